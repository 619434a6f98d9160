//! E-mail notices: the parties' addresses, the mails planned from case events with their
//! attempts, and the mailer's position in the log.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::db;
use super::read::{self, column, corrupt};
use crate::{Attempt, Contact, Mail, MailQuery, MailStatus, NewMail, Party, StoreError};

fn unsigned(value: i64, what: impl std::fmt::Display) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(format!("{what}: {value} is negative")))
}

fn party(kind: &str, code: &str, what: impl std::fmt::Display) -> Result<Party, StoreError> {
    Party::from_parts(kind, code)
        .ok_or_else(|| corrupt(format!("{what}: no party `{kind}` `{code}`")))
}

pub(super) fn set_contact(conn: &Connection, contact: &Contact) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO contacts (party_kind, party, address, set_at_us, set_by) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (party, party_kind) DO UPDATE SET \
             address = excluded.address, set_at_us = excluded.set_at_us, \
             set_by = excluded.set_by",
    )
    .and_then(|mut upsert| {
        upsert.execute(params![
            contact.party.kind(),
            contact.party.code(),
            contact.address,
            contact.set_at_us,
            contact.set_by,
        ])
    })
    .map_err(db("storing an e-mail address"))?;
    Ok(())
}

pub(super) fn remove_contact(conn: &Connection, party: &Party) -> Result<bool, StoreError> {
    let removed = conn
        .prepare_cached("DELETE FROM contacts WHERE party = ?1 AND party_kind = ?2")
        .and_then(|mut delete| delete.execute(params![party.code(), party.kind()]))
        .map_err(db("removing an e-mail address"))?;
    Ok(removed == 1)
}

pub(super) fn contact(conn: &Connection, party: &Party) -> Result<Option<Contact>, StoreError> {
    let row: Option<(String, i64, String)> = conn
        .prepare_cached(
            "SELECT address, set_at_us, set_by FROM contacts \
             WHERE party = ?1 AND party_kind = ?2",
        )
        .and_then(|mut select| {
            select
                .query_row(params![party.code(), party.kind()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
        })
        .map_err(db("reading an e-mail address"))?;
    Ok(row.map(|(address, set_at_us, set_by)| Contact {
        party: party.clone(),
        address,
        set_at_us,
        set_by,
    }))
}

pub(super) fn mail_position(conn: &Connection) -> Result<Option<u64>, StoreError> {
    let seq: Option<i64> = conn
        .prepare_cached("SELECT event_seq FROM mail_position WHERE id = 1")
        .and_then(|mut select| select.query_row([], |row| row.get(0)).optional())
        .map_err(db("reading the mailer's position"))?;
    seq.map(|seq| unsigned(seq, "mail_position.event_seq"))
        .transpose()
}

pub(super) fn enqueue_mails(
    conn: &mut Connection,
    mails: &[NewMail],
    position: u64,
) -> Result<u64, StoreError> {
    let position = i64::try_from(position)
        .map_err(|_| StoreError::Database(format!("log position {position} is out of range")))?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("starting to enqueue mails"))?;
    let mut inserted = 0;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO mails (subject, party_kind, party, seq, case_id, due, attempts, \
                 next_attempt_us, status, created_at_us) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, 'pending', ?7) \
                 ON CONFLICT DO NOTHING",
            )
            .map_err(db("enqueueing mails"))?;
        for mail in mails {
            inserted += insert
                .execute(params![
                    mail.subject,
                    mail.party.kind(),
                    mail.party.code(),
                    i64::try_from(mail.seq).unwrap_or(i64::MAX),
                    mail.case,
                    mail.due.map(|d| d.to_string()),
                    mail.created_at_us,
                ])
                .map_err(db("enqueueing a mail"))? as u64;
        }
    }
    tx.prepare_cached(
        "INSERT INTO mail_position (id, event_seq) VALUES (1, ?1) \
         ON CONFLICT (id) DO UPDATE SET event_seq = ?1",
    )
    .and_then(|mut upsert| upsert.execute([position]))
    .map_err(db("moving the mailer's position"))?;
    tx.commit().map_err(db("committing mails"))?;
    Ok(inserted)
}

pub(super) fn settle_mail(
    conn: &Connection,
    id: u64,
    attempt: &Attempt,
) -> Result<bool, StoreError> {
    let id = i64::try_from(id).unwrap_or(i64::MAX);
    let changed = match attempt {
        Attempt::Delivered { at_us } => conn
            .prepare_cached(
                "UPDATE mails SET attempts = attempts + 1, status = 'sent', sent_at_us = ?2 \
                 WHERE id = ?1 AND status = 'pending'",
            )
            .and_then(|mut update| update.execute(params![id, at_us])),
        Attempt::Failed {
            at_us,
            error,
            retry_at_us,
        } => conn
            .prepare_cached(
                "UPDATE mails SET attempts = attempts + 1, last_error = ?3, \
                 status = CASE WHEN ?4 IS NULL THEN 'failed' ELSE 'pending' END, \
                 next_attempt_us = coalesce(?4, ?2) \
                 WHERE id = ?1 AND status = 'pending'",
            )
            .and_then(|mut update| update.execute(params![id, at_us, error, retry_at_us])),
    }
    .map_err(db("recording a mail attempt"))?;
    Ok(changed == 1)
}

const MAIL_COLUMNS: &str = "id, subject, party_kind, party, seq, case_id, due, attempts, \
     next_attempt_us, status, last_error, sent_at_us, created_at_us";

fn mail_from_row(row: &Row<'_>) -> Result<Mail, StoreError> {
    let id: i64 = column(row, 0, "mails.id")?;
    let what = |part: &str| format!("mail {id}: {part}");
    let kind: String = column(row, 2, what("party_kind"))?;
    let code: String = column(row, 3, what("party"))?;
    let seq: i64 = column(row, 4, what("seq"))?;
    let due: Option<String> = column(row, 6, what("due"))?;
    let attempts: i64 = column(row, 7, what("attempts"))?;
    let status: String = column(row, 9, what("status"))?;
    Ok(Mail {
        id: unsigned(id, "mails.id")?,
        subject: column(row, 1, what("subject"))?,
        party: party(&kind, &code, what("party"))?,
        seq: unsigned(seq, what("seq"))?,
        case: column(row, 5, what("case_id"))?,
        due: due
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| corrupt(what(&format!("due `{d}` is not a date"))))
            })
            .transpose()?,
        attempts: u32::try_from(attempts)
            .map_err(|_| corrupt(what(&format!("attempts {attempts}"))))?,
        next_attempt_us: column(row, 8, what("next_attempt_us"))?,
        status: MailStatus::parse(&status)
            .ok_or_else(|| corrupt(what(&format!("unknown status `{status}`"))))?,
        last_error: column(row, 10, what("last_error"))?,
        sent_at_us: column(row, 11, what("sent_at_us"))?,
        created_at_us: column(row, 12, what("created_at_us"))?,
    })
}

pub(super) fn mails(conn: &Connection, query: &MailQuery) -> Result<Vec<Mail>, StoreError> {
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let after = i64::try_from(query.after_id).unwrap_or(i64::MAX);
    let status = query.status.map(MailStatus::as_str);
    match query.due_at_us {
        Some(now_us) => read::query_all(
            conn,
            &format!(
                "SELECT {MAIL_COLUMNS} FROM mails \
                 WHERE status = 'pending' AND next_attempt_us <= ?1 AND id > ?2 \
                   AND (?3 IS NULL OR status = ?3) \
                 ORDER BY next_attempt_us, id LIMIT ?4"
            ),
            params![now_us, after, status, limit],
            "reading due mails",
            mail_from_row,
        ),
        None => read::query_all(
            conn,
            &format!(
                "SELECT {MAIL_COLUMNS} FROM mails WHERE id > ?1 AND (?2 IS NULL OR status = ?2) \
                 ORDER BY id LIMIT ?3"
            ),
            params![after, status, limit],
            "reading mails",
            mail_from_row,
        ),
    }
}
