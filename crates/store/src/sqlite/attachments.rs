//! Attachments, stored by the SHA-256 of their content, and the cases filed with them.

use gongxin_core::attachment::content_id;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::db;
use super::read::{self, column, corrupt};
use crate::{Attachment, AttachmentReference, NewAttachment, StoreError};

const COLUMNS: &str = "id, filename, media_type, size, uploaded_at_us, uploader";

fn attachment_from_row(row: &Row<'_>) -> Result<Attachment, StoreError> {
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
    conn: &Connection,
    new: &NewAttachment<'_>,
) -> Result<Attachment, StoreError> {
    let id = content_id(new.content);
    // Only a second upload of the same content is let pass; a row the table's checks refuse
    // (an unknown media type, an empty file) is an error.
    conn.prepare_cached(&format!(
        "INSERT INTO attachments ({COLUMNS}, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (id) DO NOTHING"
    ))
    .and_then(|mut insert| {
        insert.execute(params![
            id,
            new.filename,
            new.media_type,
            new.content.len() as i64,
            new.uploaded_at_us,
            new.uploader,
            new.content,
        ])
    })
    .map_err(db("storing an attachment"))?;
    attachment(conn, &id)?
        .ok_or_else(|| StoreError::Database(format!("attachment {id} vanished after storing")))
}

pub(super) fn attachment(conn: &Connection, id: &str) -> Result<Option<Attachment>, StoreError> {
    Ok(read::query_all(
        conn,
        &format!("SELECT {COLUMNS} FROM attachments WHERE id = ?1"),
        [id],
        "reading an attachment",
        attachment_from_row,
    )?
    .pop())
}

pub(super) fn attachment_content(
    conn: &Connection,
    id: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let content: Option<Vec<u8>> = conn
        .prepare_cached("SELECT content FROM attachments WHERE id = ?1")
        .and_then(|mut select| select.query_row([id], |row| row.get(0)).optional())
        .map_err(db("reading an attachment's content"))?;
    match content {
        Some(content) if content_id(&content) != id => Err(corrupt(format!(
            "attachment {id}: the content does not hash to its id"
        ))),
        other => Ok(other),
    }
}

pub(super) fn reference_attachments(
    conn: &mut Connection,
    case: &str,
    subject: &str,
    ids: &[String],
    at_us: i64,
) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("starting to reference attachments"))?;
    for id in ids {
        let known = tx
            .prepare_cached("SELECT 1 FROM attachments WHERE id = ?1")
            .and_then(|mut select| select.exists([id]))
            .map_err(db("looking an attachment up"))?;
        if !known {
            return Err(StoreError::Conflict(format!("no attachment {id}")));
        }
        tx.prepare_cached(
            "INSERT INTO attachment_refs (attachment, case_id, subject, at_us) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (attachment, case_id) DO NOTHING",
        )
        .and_then(|mut insert| insert.execute(params![id, case, subject, at_us]))
        .map_err(db("referencing an attachment"))?;
    }
    tx.commit().map_err(db("committing attachment references"))
}

pub(super) fn attachment_references(
    conn: &Connection,
    id: &str,
) -> Result<Vec<AttachmentReference>, StoreError> {
    read::query_all(
        conn,
        "SELECT attachment, case_id, subject, at_us FROM attachment_refs \
         WHERE attachment = ?1 ORDER BY at_us, case_id",
        [id],
        "reading attachment references",
        |row| {
            Ok(AttachmentReference {
                attachment: column(row, 0, "attachment_refs.attachment")?,
                case: column(row, 1, "attachment_refs.case_id")?,
                subject: column(row, 2, "attachment_refs.subject")?,
                at_us: column(row, 3, "attachment_refs.at_us")?,
            })
        },
    )
}
