//! Attachments, stored by the SHA-256 of their content, and the cases filed with them.

use gongxin_core::attachment::content_id;
use postgres::{GenericClient, Row};

use super::read::corrupt;
use super::{Conn, Db, column};
use crate::{Attachment, AttachmentReference, NewAttachment, StoreError};

const COLUMNS: &str = "id, filename, media_type, size, uploaded_at_us, uploader";

fn attachment_from_row(row: &Row) -> Result<Attachment, StoreError> {
    let id: String = column(row, 0, "attachments.id")?;
    let size: i64 = column(row, 3, format_args!("attachment {id}: size"))?;
    Ok(Attachment {
        filename: column(row, 1, format_args!("attachment {id}: filename"))?,
        media_type: column(row, 2, format_args!("attachment {id}: media_type"))?,
        size: u64::try_from(size)
            .map_err(|_| corrupt(format!("attachment {id}: size {size} is negative")))?,
        uploaded_at_us: column(row, 4, format_args!("attachment {id}: uploaded_at_us"))?,
        uploader: column(row, 5, format_args!("attachment {id}: uploader"))?,
        id,
    })
}

pub(super) fn add_attachment(
    db: &mut Db<'_, impl GenericClient>,
    new: &NewAttachment<'_>,
) -> Result<Attachment, StoreError> {
    let id = content_id(new.content);
    let size = i64::try_from(new.content.len()).unwrap_or(i64::MAX);
    // Only a second upload of the same content is let pass; a row the table's checks refuse
    // (an unknown media type, an empty file) is an error.
    db.execute(
        &format!(
            "INSERT INTO attachments ({COLUMNS}, content) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO NOTHING"
        ),
        &[
            &id,
            &new.filename,
            &new.media_type,
            &size,
            &new.uploaded_at_us,
            &new.uploader,
            &new.content,
        ],
        "storing an attachment",
    )?;
    attachment(db, &id)?
        .ok_or_else(|| StoreError::Database(format!("attachment {id} vanished after storing")))
}

pub(super) fn attachment(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Option<Attachment>, StoreError> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"),
        &[&id],
        "reading an attachment",
    )?
    .as_ref()
    .map(attachment_from_row)
    .transpose()
}

pub(super) fn attachment_content(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let content: Option<Vec<u8>> = db
        .query_opt(
            "SELECT content FROM attachments WHERE id = $1",
            &[&id],
            "reading an attachment's content",
        )?
        .map(|row| column(&row, 0, format_args!("attachment {id}: content")))
        .transpose()?;
    match content {
        Some(content) if content_id(&content) != id => Err(corrupt(format!(
            "attachment {id}: the content does not hash to its id"
        ))),
        other => Ok(other),
    }
}

pub(super) fn reference_attachments(
    conn: &mut Conn,
    case: &str,
    subject: &str,
    ids: &[String],
    at_us: i64,
) -> Result<(), StoreError> {
    conn.write("referencing attachments", |db| {
        for id in ids {
            let known = db
                .query_opt(
                    "SELECT 1 FROM attachments WHERE id = $1",
                    &[id],
                    "looking an attachment up",
                )?
                .is_some();
            if !known {
                return Err(StoreError::Conflict(format!("no attachment {id}")));
            }
            db.execute(
                "INSERT INTO attachment_refs (attachment, case_id, subject, at_us) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (attachment, case_id) DO NOTHING",
                &[id, &case, &subject, &at_us],
                "referencing an attachment",
            )?;
        }
        Ok(())
    })
}

pub(super) fn attachment_references(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Vec<AttachmentReference>, StoreError> {
    db.query(
        "SELECT attachment, case_id, subject, at_us FROM attachment_refs \
         WHERE attachment = $1 ORDER BY at_us, case_id",
        &[&id],
        "reading attachment references",
    )?
    .iter()
    .map(|row| {
        Ok(AttachmentReference {
            attachment: column(row, 0, "attachment_refs.attachment")?,
            case: column(row, 1, "attachment_refs.case_id")?,
            subject: column(row, 2, "attachment_refs.subject")?,
            at_us: column(row, 3, "attachment_refs.at_us")?,
        })
    })
    .collect()
}
