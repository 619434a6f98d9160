//! E-mail notices: the parties' addresses, the mails planned from case events with their
//! attempts, and the mailer's position in the log.

use postgres::{GenericClient, Row};

use super::read::corrupt;
use super::{Conn, Db, column};
use crate::decode::unsigned;
use crate::{Attempt, Contact, Mail, MailQuery, MailStatus, NewMail, Party, StoreError};

fn party(kind: &str, code: &str, what: impl std::fmt::Display) -> Result<Party, StoreError> {
    Party::from_parts(kind, code)
        .ok_or_else(|| corrupt(format!("{what}: no party `{kind}` `{code}`")))
}

pub(super) fn set_contact(
    db: &mut Db<'_, impl GenericClient>,
    contact: &Contact,
) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO contacts (party_kind, party, address, set_at_us, set_by) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (party, party_kind) DO UPDATE SET \
             address = EXCLUDED.address, set_at_us = EXCLUDED.set_at_us, \
             set_by = EXCLUDED.set_by",
        &[
            &contact.party.kind(),
            &contact.party.code(),
            &contact.address,
            &contact.set_at_us,
            &contact.set_by,
        ],
        "storing an e-mail address",
    )?;
    Ok(())
}

pub(super) fn remove_contact(
    db: &mut Db<'_, impl GenericClient>,
    party: &Party,
) -> Result<bool, StoreError> {
    let removed = db.execute(
        "DELETE FROM contacts WHERE party = $1 AND party_kind = $2",
        &[&party.code(), &party.kind()],
        "removing an e-mail address",
    )?;
    Ok(removed == 1)
}

pub(super) fn contact(
    db: &mut Db<'_, impl GenericClient>,
    party: &Party,
) -> Result<Option<Contact>, StoreError> {
    let Some(row) = db.query_opt(
        "SELECT address, set_at_us, set_by FROM contacts WHERE party = $1 AND party_kind = $2",
        &[&party.code(), &party.kind()],
        "reading an e-mail address",
    )?
    else {
        return Ok(None);
    };
    let what = "contacts row";
    Ok(Some(Contact {
        party: party.clone(),
        address: column(&row, 0, what)?,
        set_at_us: column(&row, 1, what)?,
        set_by: column(&row, 2, what)?,
    }))
}

pub(super) fn mail_position(
    db: &mut Db<'_, impl GenericClient>,
) -> Result<Option<u64>, StoreError> {
    db.query_opt(
        "SELECT event_seq FROM mail_position WHERE id = 1",
        &[],
        "reading the mailer's position",
    )?
    .map(|row| {
        let seq: i64 = column(&row, 0, "mail_position.event_seq")?;
        unsigned(seq, "mail_position.event_seq")
    })
    .transpose()
}

pub(super) fn enqueue_mails(
    conn: &mut Conn,
    mails: &[NewMail],
    position: u64,
) -> Result<u64, StoreError> {
    let position = i64::try_from(position)
        .map_err(|_| StoreError::Database(format!("log position {position} is out of range")))?;
    conn.write("enqueueing mails", |db| {
        // Ids grow in commit order, as for the audit log: a reader paging by id skips none.
        db.execute(
            "LOCK TABLE mails IN SHARE ROW EXCLUSIVE MODE",
            &[],
            "locking the mails",
        )?;
        let mut inserted = 0;
        for mail in mails {
            inserted += db.execute(
                "INSERT INTO mails (subject, party_kind, party, seq, case_id, due, attempts, \
                     next_attempt_us, status, created_at_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 'pending', $7) \
                 ON CONFLICT DO NOTHING",
                &[
                    &mail.subject,
                    &mail.party.kind(),
                    &mail.party.code(),
                    &i64::try_from(mail.seq).unwrap_or(i64::MAX),
                    &mail.case,
                    &mail.due,
                    &mail.created_at_us,
                ],
                "enqueueing a mail",
            )?;
        }
        db.execute(
            "INSERT INTO mail_position (id, event_seq) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET event_seq = EXCLUDED.event_seq",
            &[&position],
            "moving the mailer's position",
        )?;
        Ok(inserted)
    })
}

pub(super) fn settle_mail(
    db: &mut Db<'_, impl GenericClient>,
    id: u64,
    attempt: &Attempt,
) -> Result<bool, StoreError> {
    let id = i64::try_from(id).unwrap_or(i64::MAX);
    let changed = match attempt {
        Attempt::Delivered { at_us } => db.execute(
            "UPDATE mails SET attempts = attempts + 1, status = 'sent', sent_at_us = $2 \
             WHERE id = $1 AND status = 'pending'",
            &[&id, at_us],
            "recording a mail attempt",
        )?,
        Attempt::Failed {
            at_us,
            error,
            retry_at_us,
        } => db.execute(
            "UPDATE mails SET attempts = attempts + 1, last_error = $3, \
             status = CASE WHEN $4::bigint IS NULL THEN 'failed' ELSE 'pending' END, \
             next_attempt_us = coalesce($4, $2) \
             WHERE id = $1 AND status = 'pending'",
            &[&id, at_us, error, retry_at_us],
            "recording a mail attempt",
        )?,
    };
    Ok(changed == 1)
}

const MAIL_COLUMNS: &str = "id, subject, party_kind, party, seq, case_id, due, attempts, \
     next_attempt_us, status, last_error, sent_at_us, created_at_us";

fn mail_from_row(row: &Row) -> Result<Mail, StoreError> {
    let id: i64 = column(row, 0, "mails.id")?;
    let what = |part: &str| format!("mail {id}: {part}");
    let kind: String = column(row, 2, what("party_kind"))?;
    let code: String = column(row, 3, what("party"))?;
    let seq: i64 = column(row, 4, what("seq"))?;
    let attempts: i64 = column(row, 7, what("attempts"))?;
    let status: String = column(row, 9, what("status"))?;
    Ok(Mail {
        id: unsigned(id, "mails.id")?,
        subject: column(row, 1, what("subject"))?,
        party: party(&kind, &code, what("party"))?,
        seq: unsigned(seq, what("seq"))?,
        case: column(row, 5, what("case_id"))?,
        due: column(row, 6, what("due"))?,
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

pub(super) fn mails(
    db: &mut Db<'_, impl GenericClient>,
    query: &MailQuery,
) -> Result<Vec<Mail>, StoreError> {
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let after = i64::try_from(query.after_id).unwrap_or(i64::MAX);
    let status = query.status.map(MailStatus::as_str);
    let rows = match query.due_at_us {
        Some(now_us) => db.query(
            &format!(
                "SELECT {MAIL_COLUMNS} FROM mails \
                 WHERE status = 'pending' AND next_attempt_us <= $1 AND id > $2 \
                   AND ($3::text IS NULL OR status = $3) \
                 ORDER BY next_attempt_us, id LIMIT $4"
            ),
            &[&now_us, &after, &status, &limit],
            "reading due mails",
        )?,
        None => db.query(
            &format!(
                "SELECT {MAIL_COLUMNS} FROM mails WHERE id > $1 \
                 AND ($2::text IS NULL OR status = $2) \
                 ORDER BY id LIMIT $3"
            ),
            &[&after, &status, &limit],
            "reading mails",
        )?,
    };
    rows.iter().map(mail_from_row).collect()
}
