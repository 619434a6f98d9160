//! Re-checking the whole log and the projections against it.
//!
//! One pass over the log in `seq` order, streamed row by row so that memory stays constant
//! however long the log is. Every event goes through the [`ChainVerifier`]; every event about a
//! record is also checked against that record's projection row, found by its id:
//!
//! - the row exists and the event lies between its first and head event;
//! - the first event starts the record's history (no predecessor) at the row's first time;
//! - the head event's payload has exactly the row's key, subject, date, status, catalog version
//!   and content hash.
//!
//! Together with "as many rows as head events found", that makes the rows and the records in
//! the log the same set, without holding either in memory.

use std::collections::HashMap;

use gongxin_core::event::{ChainVerifier, Event, EventKind, case_of_payload, case_state};
use gongxin_core::record::{Record, RecordId};
use gongxin_core::repair::{Repair, RepairOutcome};
use rusqlite::{CachedStatement, Connection, OptionalExtension};

use super::db;
use super::read::{self, EVENT_COLUMNS, column};
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
    let mut projection = Projection {
        find: tx
            .prepare_cached(
                "SELECT first_seq, head_seq, first_recorded_at_us, subject, item, source_unit, \
                 document_no, decision_date, status, content_hash, catalog_version \
                 FROM records WHERE id = ?1",
            )
            .map_err(db("preparing verification"))?,
        heads_seen: 0,
        first_mismatch: None,
    };
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
        if projection.first_mismatch.is_none() && !event.record.is_empty() {
            let prev_record_seq: Option<i64> =
                column(row, 9, format_args!("event {}: prev_record_seq", event.seq))?;
            if event.kind.is_record_change() {
                projection.check(&event, prev_record_seq)?;
            } else if let Err(reason) = cases.follow(&event, prev_record_seq) {
                projection.first_mismatch = Some(Verification::ProjectionMismatch {
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
    if let Some(mismatch) = projection.first_mismatch {
        return Ok(mismatch);
    }
    let rows: i64 = tx
        .query_row("SELECT count(*) FROM records", [], |row| row.get(0))
        .map_err(db("counting records"))?;
    if u64::try_from(rows).ok() != Some(projection.heads_seen) {
        return orphan_row(&tx);
    }
    if let Err((record, reason)) = cases.compare(&tx)? {
        return Ok(Verification::ProjectionMismatch { record, reason });
    }
    Ok(Verification::Intact {
        events: chain.checked(),
        head: chain.head().to_string(),
    })
}

/// The cases met in the log: few enough to hold in memory, compared with the `cases` rows
/// at the end.
#[derive(Default)]
struct CasesSeen {
    /// Case id → (subject, record, first seq, last seq).
    cases: HashMap<String, (String, String, u64, u64)>,
    /// Record (hex) → (subject, case, day, seq) of its approved repair.
    repairs: HashMap<String, (String, String, String, u64)>,
}

impl CasesSeen {
    /// Follows one case event: it names its case, and links to that case's previous event.
    fn follow(&mut self, event: &Event, prev: Option<i64>) -> Result<(), String> {
        let case = case_of_payload(&event.payload)
            .ok_or_else(|| format!("event {} names no case", event.seq))?;
        if event.kind == EventKind::RepairDecided
            && let Some(repair) = case_state::<Repair>(&event.payload)
            && repair.outcome == Some(RepairOutcome::Approved)
            && let Some(on) = repair.decided_on
        {
            let approval = (
                event.subject.clone(),
                case.clone(),
                on.to_string(),
                event.seq,
            );
            if self
                .repairs
                .insert(event.record.clone(), approval)
                .is_some()
            {
                return Err(format!(
                    "event {} approves a second repair of its record",
                    event.seq
                ));
            }
        }
        let prev = prev.and_then(|p| u64::try_from(p).ok());
        match self.cases.get_mut(&case) {
            None if prev.is_none() => {
                self.cases.insert(
                    case,
                    (
                        event.subject.clone(),
                        event.record.clone(),
                        event.seq,
                        event.seq,
                    ),
                );
                Ok(())
            }
            None => Err(format!(
                "event {} starts case {case} but links to an earlier event",
                event.seq
            )),
            Some((subject, record, _, last)) => {
                if prev != Some(*last) || *subject != event.subject || *record != event.record {
                    return Err(format!(
                        "event {} of case {case} does not follow its event {last}",
                        event.seq
                    ));
                }
                *last = event.seq;
                Ok(())
            }
        }
    }

    /// Every `cases` row is a case of the log with its first and last event, and the other
    /// way round.
    fn compare(&self, conn: &Connection) -> Result<Result<(), (String, String)>, StoreError> {
        let mut stmt = conn
            .prepare("SELECT id, subject, record, first_seq, head_seq FROM cases")
            .map_err(db("reading cases"))?;
        let mut rows = stmt.query([]).map_err(db("reading cases"))?;
        let mut found = 0;
        while let Some(row) = rows.next().map_err(db("reading cases"))? {
            found += 1;
            let id: String = column(row, 0, "cases.id")?;
            let subject: String = column(row, 1, "cases.subject")?;
            let record: Vec<u8> = column(row, 2, "cases.record")?;
            let record = hex::encode(record);
            let first: i64 = column(row, 3, "cases.first_seq")?;
            let head: i64 = column(row, 4, "cases.head_seq")?;
            let matches = self.cases.get(&id).is_some_and(|(s, r, f, l)| {
                *s == subject && *r == record && *f as i64 == first && *l as i64 == head
            });
            if !matches {
                return Ok(Err((
                    record,
                    format!("case {id} differs from its events in the log"),
                )));
            }
        }
        if found != self.cases.len() {
            return Ok(Err((
                String::new(),
                "the log holds cases that have no cases row".to_owned(),
            )));
        }
        self.compare_repairs(conn)
    }

    /// Every `repairs` row is an approved repair of the log, and the other way round.
    fn compare_repairs(
        &self,
        conn: &Connection,
    ) -> Result<Result<(), (String, String)>, StoreError> {
        let rows = read::query_all(
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
        for (record, row) in &rows {
            if self.repairs.get(record) != Some(row) {
                return Ok(Err((
                    record.clone(),
                    format!("repair of record {record} differs from its approval in the log"),
                )));
            }
        }
        if rows.len() != self.repairs.len() {
            return Ok(Err((
                String::new(),
                "the log approves repairs that have no repairs row".to_owned(),
            )));
        }
        Ok(Ok(()))
    }
}

/// The projection side of the pass.
struct Projection<'c> {
    find: CachedStatement<'c>,
    /// Events that are the head of the row of the record they are about.
    heads_seen: u64,
    first_mismatch: Option<Verification>,
}

impl Projection<'_> {
    fn check(&mut self, event: &Event, prev_record_seq: Option<i64>) -> Result<(), StoreError> {
        let mismatch = |reason: String| {
            Some(Verification::ProjectionMismatch {
                record: event.record.clone(),
                reason,
            })
        };
        let Ok(id) = event.record.parse::<RecordId>() else {
            self.first_mismatch = mismatch(format!("event {} names no valid record id", event.seq));
            return Ok(());
        };
        let row = self
            .find
            .query_row([&id.0[..]], |row| Ok(RowValues::read(row)))
            .optional()
            .map_err(db("reading a record row"))?
            .transpose()?;
        let Some(row) = row else {
            self.first_mismatch = mismatch(format!(
                "event {} is about this record, which has no records row",
                event.seq
            ));
            return Ok(());
        };
        let seq = i64::try_from(event.seq).unwrap_or(i64::MAX);
        let problem = if seq < row.first_seq || seq > row.head_seq {
            Some(format!(
                "event {} lies outside the row's events {}..={}",
                event.seq, row.first_seq, row.head_seq
            ))
        } else if seq == row.first_seq && prev_record_seq.is_some() {
            Some(format!(
                "its first event {} links to an earlier one",
                event.seq
            ))
        } else if seq == row.first_seq && event.recorded_at_us != row.first_recorded_at_us {
            Some(format!(
                "first_recorded_at_us is {}, its first event {} says {}",
                row.first_recorded_at_us, event.seq, event.recorded_at_us
            ))
        } else if seq > row.first_seq && prev_record_seq.is_none() {
            Some(format!(
                "event {} does not link to the record's earlier events",
                event.seq
            ))
        } else if seq == row.head_seq {
            self.heads_seen += 1;
            row.differs_from_head(event)
        } else {
            None
        };
        if let Some(reason) = problem {
            self.first_mismatch = mismatch(reason);
        }
        Ok(())
    }
}

/// A `records` row as verification reads it.
struct RowValues {
    first_seq: i64,
    head_seq: i64,
    first_recorded_at_us: i64,
    subject: String,
    item: String,
    source_unit: String,
    document_no: String,
    decision_date: String,
    status: String,
    content_hash: Vec<u8>,
    catalog_version: String,
}

impl RowValues {
    fn read(row: &rusqlite::Row<'_>) -> Result<Self, StoreError> {
        let what = "records row";
        Ok(RowValues {
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

    /// Why the row is not what its head event says, if it is not.
    fn differs_from_head(&self, head: &Event) -> Option<String> {
        let record = match Record::from_payload(&head.payload) {
            Ok(record) => record,
            Err(e) => return Some(format!("its head event {} has {e}", head.seq)),
        };
        let stored_date = &self.decision_date;
        let checks: [(&str, bool); 9] = [
            (
                "subject",
                self.subject == head.subject && head.subject == record.subject.to_string(),
            ),
            ("item", self.item == record.key.item),
            ("source_unit", self.source_unit == record.key.source_unit),
            ("document_no", self.document_no == record.key.document_no),
            (
                "decision_date",
                *stored_date == record.decision_date.to_string(),
            ),
            ("status", self.status == read::status_str(record.status)),
            ("content_hash", self.content_hash == record.content_hash().0),
            (
                "catalog_version",
                self.catalog_version == record.catalog_version,
            ),
            ("id", head.record == record.id().to_string()),
        ];
        checks
            .iter()
            .find(|(_, ok)| !ok)
            .map(|(name, _)| format!("{name} differs from its head event {}", head.seq))
    }
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
