//! Re-checking the whole log and the projections against it.
//!
//! One pass over the log in `seq` order, streamed row by row so that memory stays constant
//! however long the log is; what is checked is [`crate::verification`]'s, the same for every
//! engine. Each record event's projection row is found by its id as the pass meets it.

use gongxin_core::event::ChainVerifier;
use gongxin_core::record::RecordId;
use rusqlite::{Connection, OptionalExtension};

use super::db;
use super::read::{self, EVENT_COLUMNS, column};
use crate::verification::{CaseRow, CasesSeen, RecordRow, RecordsSeen};
use crate::{StoreError, Verification};

/// How often `progress` hears from a long verification.
const PROGRESS_EVERY: u64 = 100_000;

pub(super) fn verify(
    conn: &Connection,
    progress: &mut dyn FnMut(u64),
) -> Result<Verification, StoreError> {
    // One snapshot for the whole check, even while another process appends.
    let tx = conn
        .unchecked_transaction()
        .map_err(db("starting a read"))?;
    let mut chain = ChainVerifier::default();
    let mut cases = CasesSeen::default();
    let mut records = RecordsSeen::default();
    let mut first_mismatch: Option<Verification> = None;
    let mut find = tx
        .prepare_cached(
            "SELECT first_seq, head_seq, first_recorded_at_us, subject, item, source_unit, \
             document_no, decision_date, status, content_hash, catalog_version \
             FROM records WHERE id = ?1",
        )
        .map_err(db("preparing verification"))?;
    // Not cached: it runs once and holds the whole log in its cursor.
    let mut stmt = tx
        .prepare(&format!(
            "SELECT {EVENT_COLUMNS}, prev_record_seq FROM events ORDER BY seq"
        ))
        .map_err(db("reading the log"))?;
    let mut rows = stmt.query([]).map_err(db("reading the log"))?;
    while let Some(row) = rows.next().map_err(db("reading the log"))? {
        let event = read::event(row)?;
        if let Err(broken) = chain.check(&event) {
            return Ok(Verification::Broken(broken));
        }
        // After the first mismatch, only the chain is still worth checking: a broken chain
        // further on is the graver finding and takes precedence.
        if first_mismatch.is_none() && !event.record.is_empty() {
            let prev_record_seq: Option<i64> =
                column(row, 9, format_args!("event {}: prev_record_seq", event.seq))?;
            let problem = if event.kind.is_record_change() {
                match event.record.parse::<RecordId>() {
                    Err(_) => Some(format!("event {} names no valid record id", event.seq)),
                    Ok(id) => {
                        let row = find
                            .query_row([&id.0[..]], |row| Ok(record_row(row)))
                            .optional()
                            .map_err(db("reading a record row"))?
                            .transpose()?;
                        records.check(&event, prev_record_seq, row.as_ref())
                    }
                }
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
    progress(chain.checked());
    if let Some(mismatch) = first_mismatch {
        return Ok(mismatch);
    }
    let rows: i64 = tx
        .query_row("SELECT count(*) FROM records", [], |row| row.get(0))
        .map_err(db("counting records"))?;
    if u64::try_from(rows).ok() != Some(records.heads_seen) {
        return orphan_row(&tx);
    }
    if let Err((record, reason)) = compare_cases(&cases, &tx)? {
        return Ok(Verification::ProjectionMismatch { record, reason });
    }
    Ok(Verification::Intact {
        events: chain.checked(),
        head: chain.head().to_string(),
    })
}

fn record_row(row: &rusqlite::Row<'_>) -> Result<RecordRow, StoreError> {
    let what = "records row";
    Ok(RecordRow {
        first_seq: column(row, 0, what)?,
        head_seq: column(row, 1, what)?,
        first_recorded_at_us: column(row, 2, what)?,
        subject: column(row, 3, what)?,
        item: column(row, 4, what)?,
        source_unit: column(row, 5, what)?,
        document_no: column(row, 6, what)?,
        decision_date: column(row, 7, what)?,
        status: column(row, 8, what)?,
        content_hash: column(row, 9, what)?,
        catalog_version: column(row, 10, what)?,
    })
}

/// Every `cases` row is a case of the log with its first and last event, and the other way
/// round; the same for `repairs`.
fn compare_cases(
    cases: &CasesSeen,
    conn: &Connection,
) -> Result<Result<(), (String, String)>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT id, subject, record, first_seq, head_seq FROM cases")
        .map_err(db("reading cases"))?;
    let mut rows = stmt.query([]).map_err(db("reading cases"))?;
    let mut found = 0;
    while let Some(row) = rows.next().map_err(db("reading cases"))? {
        found += 1;
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
    if let Err(mismatch) = cases.compare_case_count(found) {
        return Ok(Err(mismatch));
    }
    let repairs = read::query_all(
        conn,
        "SELECT record, subject, case_id, repaired_on, seq FROM repairs",
        [],
        "reading repairs",
        |row| {
            let record: Vec<u8> = column(row, 0, "repairs.record")?;
            let seq: i64 = column(row, 4, "repairs.seq")?;
            Ok((
                hex::encode(record),
                (
                    column::<String>(row, 1, "repairs.subject")?,
                    column::<String>(row, 2, "repairs.case_id")?,
                    column::<String>(row, 3, "repairs.repaired_on")?,
                    u64::try_from(seq).unwrap_or_default(),
                ),
            ))
        },
    )?;
    Ok(cases.compare_repairs(&repairs))
}

/// Names a row whose head event is missing or about another record (the count said so).
fn orphan_row(conn: &Connection) -> Result<Verification, StoreError> {
    let found: Option<(Vec<u8>, i64)> = conn
        .query_row(
            "SELECT r.id, r.head_seq FROM records r LEFT JOIN events e ON e.seq = r.head_seq \
             WHERE e.seq IS NULL OR e.record IS NOT r.id LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(db("finding an orphaned record row"))?;
    let (record, reason) = match found {
        Some((id, head_seq)) => (
            hex::encode(id),
            format!("its head event {head_seq} is missing or about another record"),
        ),
        None => (
            String::new(),
            "the number of records rows differs from the records in the log".to_owned(),
        ),
    };
    Ok(Verification::ProjectionMismatch { record, reason })
}
