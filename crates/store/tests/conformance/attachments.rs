//! Attachments: stored once per content, under its SHA-256, and the cases filed with them.

use gongxin_core::attachment::content_id;
use gongxin_store::{Attachment, AttachmentReference, NewAttachment, Store, StoreError};

use super::{AT, Harness};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I',
];

fn upload<'a>(filename: &'a str, media_type: &'a str, content: &'a [u8]) -> NewAttachment<'a> {
    NewAttachment {
        filename,
        media_type,
        uploaded_at_us: AT,
        uploader: "public",
        content,
    }
}

/// The same content is one attachment, whoever uploads it under whatever name; its content
/// reads back whole; references name the cases filed with it, and only stored attachments
/// can be referenced.
pub fn attachments_are_stored_once_by_content<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let pdf_id = content_id(PDF);
    assert_eq!(store.attachment(&pdf_id).unwrap(), None);
    assert_eq!(store.attachment_content(&pdf_id).unwrap(), None);

    let first = store
        .add_attachment(&upload("缴款凭证.pdf", "application/pdf", PDF))
        .unwrap();
    let expected = Attachment {
        id: pdf_id.clone(),
        filename: "缴款凭证.pdf".to_owned(),
        media_type: "application/pdf".to_owned(),
        size: PDF.len() as u64,
        uploaded_at_us: AT,
        uploader: "public".to_owned(),
    };
    assert_eq!(first, expected);
    // Again, by someone else under another name: the first upload's description stays.
    let again = store
        .add_attachment(&NewAttachment {
            uploader: "k123",
            uploaded_at_us: AT + 1,
            ..upload("copy.pdf", "application/pdf", PDF)
        })
        .unwrap();
    assert_eq!(again, expected);
    let png = store
        .add_attachment(&upload("现场照片.png", "image/png", PNG))
        .unwrap();
    assert_eq!(png.id, content_id(PNG));
    assert_ne!(png.id, pdf_id);

    // Only the allowed media types, and never an empty file.
    assert!(
        store
            .add_attachment(&upload("a.exe", "application/x-msdownload", b"MZ"))
            .is_err()
    );
    assert!(
        store
            .add_attachment(&upload("a.pdf", "application/pdf", b""))
            .is_err()
    );

    // References: each case once per attachment, oldest first; an unknown attachment is
    // refused and nothing of the call is recorded.
    let both = [pdf_id.clone(), png.id.clone()];
    store
        .reference_attachments("obj_1", "91350200MA2Y0000XX", &both, AT + 10)
        .unwrap();
    store
        .reference_attachments("obj_1", "91350200MA2Y0000XX", &both[..1], AT + 11)
        .unwrap();
    store
        .reference_attachments("rep_2", "91350200MA2Y0001XX", &both[..1], AT + 20)
        .unwrap();
    let unknown = content_id(b"never uploaded");
    let refused = store.reference_attachments(
        "obj_3",
        "91350200MA2Y0000XX",
        &[png.id.clone(), unknown.clone()],
        AT + 30,
    );
    assert!(
        matches!(&refused, Err(StoreError::Conflict(m)) if m.contains(&unknown)),
        "{refused:?}"
    );

    let store = harness.reopen(store);
    assert_eq!(store.attachment(&pdf_id).unwrap(), Some(expected));
    assert_eq!(store.attachment_content(&pdf_id).unwrap().unwrap(), PDF);
    assert_eq!(store.attachment_content(&png.id).unwrap().unwrap(), PNG);
    assert_eq!(
        store.attachment_references(&pdf_id).unwrap(),
        [
            AttachmentReference {
                attachment: pdf_id.clone(),
                case: "obj_1".to_owned(),
                subject: "91350200MA2Y0000XX".to_owned(),
                at_us: AT + 10,
            },
            AttachmentReference {
                attachment: pdf_id.clone(),
                case: "rep_2".to_owned(),
                subject: "91350200MA2Y0001XX".to_owned(),
                at_us: AT + 20,
            },
        ]
    );
    let png_cases: Vec<String> = store
        .attachment_references(&png.id)
        .unwrap()
        .into_iter()
        .map(|r| r.case)
        .collect();
    assert_eq!(png_cases, ["obj_1"], "the refused call recorded nothing");
    assert!(store.attachment_references(&unknown).unwrap().is_empty());
}
