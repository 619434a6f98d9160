//! Re-checking the whole log and the projections against it.
//!
//! One pass over the log in `seq` order, a page at a time, in one repeatable-read snapshot
//! (appends go on meanwhile, unseen). Each page brings every event with its record's
//! projection row, looked up by id as the events come (a lateral join, so that a page costs
//! an index probe per event however large `records` is), and memory stays constant however
//! long the log is. What is checked is [`crate::verification`]'s, the same for every engine;
//! PostgreSQL adds the `chain_head` row, which must name the last event.

use gongxin_core::event::ChainVerifier;
use postgres::{GenericClient, Row};

use super::read::{self, EVENT_COLUMNS, head_of};
use super::{Conn, Db, column};
use crate::verification::{CaseRow, CasesSeen, RecordRow, RecordsSeen, RepairRow};
use crate::{StoreError, Verification};

/// Events per page.
const PAGE: i64 = 5_000;

/// How often `progress` hears from a long verification.
const PROGRESS_EVERY: u64 = 100_000;

pub(super) fn verify(
    conn: &mut Conn,
    progress: &mut dyn FnMut(u64),
) -> Result<Verification, StoreError> {
    conn.read("verifying the log", |db| verify_in(db, progress))
}

pub(super) fn verify_in(
    db: &mut Db<'_, impl GenericClient>,
    progress: &mut dyn FnMut(u64),
) -> Result<Verification, StoreError> {
    let mut chain = ChainVerifier::default();
    let mut cases = CasesSeen::default();
    let mut records = RecordsSeen::default();
    let mut first_mismatch: Option<Verification> = None;
    let page_sql = format!(
        "SELECT e.{columns}, e.prev_record_seq, \
             r.first_seq, r.head_seq, r.first_recorded_at_us, r.subject, r.item, \
             r.source_unit, r.document_no, r.decision_date, r.status, r.content_hash, \
             r.catalog_version \
         FROM (SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2) e \
         LEFT JOIN LATERAL (SELECT * FROM records WHERE records.id = e.record LIMIT 1) r \
             ON true \
         ORDER BY e.seq",
        columns = EVENT_COLUMNS.replace(", ", ", e.")
    );
    let mut after = 0_i64;
    loop {
        let rows = db.query(&page_sql, &[&after, &PAGE], "reading the log")?;
        for row in &rows {
            let event = read::event(row)?;
            if let Err(broken) = chain.check(&event) {
                return Ok(Verification::Broken(broken));
            }
            after = i64::try_from(event.seq).unwrap_or(i64::MAX);
            // After the first mismatch, only the chain is still worth checking: a broken
            // chain further on is the graver finding and takes precedence.
            if first_mismatch.is_none() && !event.record.is_empty() {
                let prev_record_seq: Option<i64> =
                    column(row, 9, format_args!("event {}: prev_record_seq", event.seq))?;
                let problem = if event.kind.is_record_change() {
                    let row = record_row(row)?;
                    records.check(&event, prev_record_seq, row.as_ref())
                } else {
                    cases.follow(&event, prev_record_seq).err()
                };
                if let Some(reason) = problem {
                    first_mismatch = Some(Verification::ProjectionMismatch {
                        record: event.record.clone(),
                        reason,
                    });
                }
            }
            if chain.checked() % PROGRESS_EVERY == 0 {
                progress(chain.checked());
            }
        }
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    progress(chain.checked());
    if let Some(mismatch) = first_mismatch {
        return Ok(mismatch);
    }
    let head = db
        .query_opt(
            "SELECT seq, hash FROM chain_head WHERE id = 1",
            &[],
            "reading the chain head",
        )?
        .map(|row| head_of(&row))
        .transpose()?;
    let head_agrees = head.is_some_and(|h| {
        u64::try_from(h.seq).ok() == Some(chain.checked()) && h.hash == chain.head()
    });
    if !head_agrees {
        return Ok(Verification::ProjectionMismatch {
            record: String::new(),
            reason: match head {
                Some(h) => format!(
                    "the chain_head row names event {} ({}), but the log ends at event {} ({})",
                    h.seq,
                    h.hash,
                    chain.checked(),
                    chain.head()
                ),
                None => "the chain_head row is missing".to_owned(),
            },
        });
    }
    let row = db.query_one("SELECT count(*) FROM records", &[], "counting records")?;
    let rows: i64 = column(&row, 0, "the number of records")?;
    if u64::try_from(rows).ok() != Some(records.heads_seen) {
        return orphan_row(db);
    }
    if let Err((record, reason)) = compare_cases(&cases, db)? {
        return Ok(Verification::ProjectionMismatch { record, reason });
    }
    Ok(Verification::Intact {
        events: chain.checked(),
        head: chain.head().to_string(),
    })
}

/// The record columns of a page row, if the event's record has a row.
fn record_row(row: &Row) -> Result<Option<RecordRow>, StoreError> {
    let what = "records row";
    let Some(first_seq) = column::<Option<i64>>(row, 10, what)? else {
        return Ok(None);
    };
    let decision_date: chrono::NaiveDate = column(row, 17, what)?;
    Ok(Some(RecordRow {
        first_seq,
        head_seq: column(row, 11, what)?,
        first_recorded_at_us: column(row, 12, what)?,
        subject: column(row, 13, what)?,
        item: column(row, 14, what)?,
        source_unit: column(row, 15, what)?,
        document_no: column(row, 16, what)?,
        decision_date: decision_date.to_string(),
        status: column(row, 18, what)?,
        content_hash: column(row, 19, what)?,
        catalog_version: column(row, 20, what)?,
    }))
}

/// Every `cases` row is a case of the log with its first and last event, and the other way
/// round; the same for `repairs`.
fn compare_cases(
    cases: &CasesSeen,
    db: &mut Db<'_, impl GenericClient>,
) -> Result<Result<(), (String, String)>, StoreError> {
    let rows = db.query(
        "SELECT id, subject, record, first_seq, head_seq FROM cases",
        &[],
        "reading cases",
    )?;
    for row in &rows {
        let record: Vec<u8> = column(row, 2, "cases.record")?;
        let row = CaseRow {
            id: column(row, 0, "cases.id")?,
            subject: column(row, 1, "cases.subject")?,
            record: hex::encode(record),
            first_seq: column(row, 3, "cases.first_seq")?,
            head_seq: column(row, 4, "cases.head_seq")?,
        };
        if let Err(mismatch) = cases.compare_case(&row) {
            return Ok(Err(mismatch));
        }
    }
    if let Err(mismatch) = cases.compare_case_count(rows.len()) {
        return Ok(Err(mismatch));
    }
    let repairs = db
        .query(
            "SELECT record, subject, case_id, repaired_on, seq FROM repairs",
            &[],
            "reading repairs",
        )?
        .iter()
        .map(|row| -> Result<RepairRow, StoreError> {
            let record: Vec<u8> = column(row, 0, "repairs.record")?;
            let day: chrono::NaiveDate = column(row, 3, "repairs.repaired_on")?;
            let seq: i64 = column(row, 4, "repairs.seq")?;
            Ok((
                hex::encode(record),
                (
                    column::<String>(row, 1, "repairs.subject")?,
                    column::<String>(row, 2, "repairs.case_id")?,
                    day.to_string(),
                    u64::try_from(seq).unwrap_or_default(),
                ),
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(cases.compare_repairs(&repairs))
}

/// Names a row whose head event is missing or about another record (the count said so).
fn orphan_row(db: &mut Db<'_, impl GenericClient>) -> Result<Verification, StoreError> {
    let found = db.query_opt(
        "SELECT r.id, r.head_seq FROM records r LEFT JOIN events e ON e.seq = r.head_seq \
         WHERE e.seq IS NULL OR e.record IS DISTINCT FROM r.id LIMIT 1",
        &[],
        "finding an orphaned record row",
    )?;
    let (record, reason) = match found {
        Some(row) => {
            let id: Vec<u8> = column(&row, 0, "records.id")?;
            let head_seq: i64 = column(&row, 1, "records.head_seq")?;
            (
                hex::encode(id),
                format!("its head event {head_seq} is missing or about another record"),
            )
        }
        None => (
            String::new(),
            "the number of records rows differs from the records in the log".to_owned(),
        ),
    };
    Ok(Verification::ProjectionMismatch { record, reason })
}
