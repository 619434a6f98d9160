//! What [`Store::verify`](crate::Store::verify) checks, apart from how an engine reads its rows.
//!
//! One pass over the log in `seq` order: every event goes through the chain verifier (in
//! `core`); every event about a record is also checked against that record's projection row:
//!
//! - the row exists and the event lies between its first and head event;
//! - the first event starts the record's history (no predecessor) at the row's first time;
//! - the head event's payload has exactly the row's key, subject, date, status, catalog version
//!   and content hash.
//!
//! Together with "as many rows as head events found", that makes the rows and the records in
//! the log the same set, without holding either in memory. Case events are followed per case
//! ([`CasesSeen`]), and the `cases` and `repairs` rows compared with what the log says at the
//! end.

use std::collections::HashMap;

use gongxin_core::event::{Event, EventKind, case_of_payload, case_state};
use gongxin_core::record::Record;
use gongxin_core::repair::{Repair, RepairOutcome};

use crate::decode::status_str;

/// A `records` row as verification reads it, whatever the engine's column types.
#[derive(Debug, Clone)]
pub(crate) struct RecordRow {
    pub first_seq: i64,
    pub head_seq: i64,
    pub first_recorded_at_us: i64,
    pub subject: String,
    pub item: String,
    pub source_unit: String,
    pub document_no: String,
    /// ISO-8601, as the domain prints a date.
    pub decision_date: String,
    pub status: String,
    pub content_hash: Vec<u8>,
    pub catalog_version: String,
}

impl RecordRow {
    /// Why the row is not what its head event says, if it is not.
    fn differs_from_head(&self, head: &Event) -> Option<String> {
        let record = match Record::from_payload(&head.payload) {
            Ok(record) => record,
            Err(e) => return Some(format!("its head event {} has {e}", head.seq)),
        };
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
                self.decision_date == record.decision_date.to_string(),
            ),
            ("status", self.status == status_str(record.status)),
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

/// The record side of the pass: each record-change event against its row.
#[derive(Debug, Default)]
pub(crate) struct RecordsSeen {
    /// Events that are the head of the row of the record they are about: at the end, the
    /// number of `records` rows must be this.
    pub heads_seen: u64,
}

impl RecordsSeen {
    /// Checks a record-change event against `row`, the `records` row with the event's record
    /// id (`None`: there is none). Returns why they disagree, if they do.
    pub(crate) fn check(
        &mut self,
        event: &Event,
        prev_record_seq: Option<i64>,
        row: Option<&RecordRow>,
    ) -> Option<String> {
        let Some(row) = row else {
            return Some(format!(
                "event {} is about this record, which has no records row",
                event.seq
            ));
        };
        let seq = i64::try_from(event.seq).unwrap_or(i64::MAX);
        if seq < row.first_seq || seq > row.head_seq {
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
        }
    }
}

/// A `cases` row as verification reads it.
#[derive(Debug, Clone)]
pub(crate) struct CaseRow {
    pub id: String,
    pub subject: String,
    /// The record id, hex.
    pub record: String,
    pub first_seq: i64,
    pub head_seq: i64,
}

/// A `repairs` row: the record (hex) and its subject, case, day (ISO-8601) and event.
pub(crate) type RepairRow = (String, (String, String, String, u64));

/// The cases met in the log: few enough to hold in memory, compared with the `cases` rows
/// at the end.
#[derive(Debug, Default)]
pub(crate) struct CasesSeen {
    /// Case id → (subject, record, first seq, last seq).
    cases: HashMap<String, (String, String, u64, u64)>,
    /// Record (hex) → (subject, case, day, seq) of its approved repair.
    repairs: HashMap<String, (String, String, String, u64)>,
}

impl CasesSeen {
    /// Follows one case event: it names its case, and links to that case's previous event.
    pub(crate) fn follow(&mut self, event: &Event, prev: Option<i64>) -> Result<(), String> {
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

    /// Whether `row` is a case of the log with its first and last event; an error names the
    /// record and the reason.
    pub(crate) fn compare_case(&self, row: &CaseRow) -> Result<(), (String, String)> {
        let matches = self.cases.get(&row.id).is_some_and(|(s, r, f, l)| {
            *s == row.subject
                && *r == row.record
                && i64::try_from(*f).ok() == Some(row.first_seq)
                && i64::try_from(*l).ok() == Some(row.head_seq)
        });
        if matches {
            Ok(())
        } else {
            Err((
                row.record.clone(),
                format!("case {} differs from its events in the log", row.id),
            ))
        }
    }

    /// After every `cases` row passed [`compare_case`](Self::compare_case): whether there
    /// were as many rows as cases in the log.
    pub(crate) fn compare_case_count(&self, rows: usize) -> Result<(), (String, String)> {
        if rows == self.cases.len() {
            Ok(())
        } else {
            Err((
                String::new(),
                "the log holds cases that have no cases row".to_owned(),
            ))
        }
    }

    /// Every `repairs` row is an approved repair of the log, and the other way round.
    pub(crate) fn compare_repairs(&self, rows: &[RepairRow]) -> Result<(), (String, String)> {
        for (record, row) in rows {
            if self.repairs.get(record) != Some(row) {
                return Err((
                    record.clone(),
                    format!("repair of record {record} differs from its approval in the log"),
                ));
            }
        }
        if rows.len() != self.repairs.len() {
            return Err((
                String::new(),
                "the log approves repairs that have no repairs row".to_owned(),
            ));
        }
        Ok(())
    }
}
