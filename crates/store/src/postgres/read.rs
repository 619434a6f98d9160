//! Queries, and the decoding of stored rows into domain types.
//!
//! Each read is one statement where it can be (one round trip, one snapshot): a subject with
//! its names, old codes and record count comes back as one row with arrays in it.

use std::collections::HashMap;

use chrono::NaiveDate;
use gongxin_core::event::{Event, EventKind};
use gongxin_core::record::{Record, RecordId};
use postgres::{GenericClient, Row};

use super::{ChainHead, Db, column};
pub(super) use crate::decode::{corrupt, hash, record_id, seq, status, status_str};
use crate::{Counts, RecordRange, StoreError, StoredRecord, Subject};

/// The columns [`event`] decodes, in its order.
pub(super) const EVENT_COLUMNS: &str =
    "seq, kind, subject, record, recorded_at_us, actor, payload, prev_hash, hash";

/// The columns [`stored_record`] decodes, in its order; `e` is the head event, left-joined so
/// that a missing head is reported instead of silently dropping the record; `p` its repair.
const RECORD_SELECT: &str = "SELECT r.id, r.status, r.first_seq, r.head_seq, \
     r.first_recorded_at_us, e.payload, p.repaired_on \
     FROM records r LEFT JOIN events e ON e.seq = r.head_seq \
     LEFT JOIN repairs p ON p.record = r.id";

/// `$1` resolved to the subject it belongs to: the USCC an old code maps to, or itself.
pub(super) const RESOLVED: &str =
    "coalesce((SELECT subject FROM subject_codes WHERE old_code = $1), $1)";

/// Decodes the [`EVENT_COLUMNS`] of a row.
pub(super) fn event(row: &Row) -> Result<Event, StoreError> {
    let at = seq(column(row, 0, "events.seq")?, "events.seq")?;
    let kind: String = column(row, 1, format_args!("event {at}: kind"))?;
    let kind: EventKind = kind
        .parse()
        .map_err(|e: String| corrupt(format!("event {at}: {e}")))?;
    // The hash covers the record id as hex, so any stored bytes are shown as they are: a
    // tampered value then fails verification as tampering instead of as a decoding error.
    let record: Option<Vec<u8>> = column(row, 3, format_args!("event {at}: record"))?;
    let prev_hash: Vec<u8> = column(row, 7, format_args!("event {at}: prev_hash"))?;
    let stored_hash: Vec<u8> = column(row, 8, format_args!("event {at}: hash"))?;
    Ok(Event {
        seq: at,
        kind,
        subject: column(row, 2, format_args!("event {at}: subject"))?,
        record: record.map(hex::encode).unwrap_or_default(),
        recorded_at_us: column(row, 4, format_args!("event {at}: recorded_at_us"))?,
        actor: column(row, 5, format_args!("event {at}: actor"))?,
        payload: column(row, 6, format_args!("event {at}: payload"))?,
        prev_hash: hash(&prev_hash, format_args!("event {at}: prev_hash"))?,
        hash: hash(&stored_hash, format_args!("event {at}: hash"))?,
    })
}

/// Decodes a row of [`RECORD_SELECT`].
fn stored_record(row: &Row) -> Result<StoredRecord, StoreError> {
    let id_bytes: Vec<u8> = column(row, 0, "records.id")?;
    let id = record_id(&id_bytes, "records.id")?;
    let status_text: String = column(row, 1, format_args!("record {id}: status"))?;
    let first_seq = column(row, 2, format_args!("record {id}: first_seq"))?;
    let first_seq = seq(first_seq, format_args!("record {id}: first_seq"))?;
    let head_seq = column(row, 3, format_args!("record {id}: head_seq"))?;
    let head_seq = seq(head_seq, format_args!("record {id}: head_seq"))?;
    let payload: Option<String> = column(row, 5, format_args!("record {id}: head event"))?;
    let payload = payload
        .ok_or_else(|| corrupt(format!("record {id}: its head event {head_seq} is missing")))?;
    let record =
        Record::from_payload(&payload).map_err(|e| corrupt(format!("record {id}: {e}")))?;
    Ok(StoredRecord {
        id,
        record,
        status: status(&status_text, format_args!("record {id}: status"))?,
        first_seq,
        head_seq,
        first_recorded_at_us: column(row, 4, format_args!("record {id}: first_recorded_at_us"))?,
        repaired_on: column::<Option<NaiveDate>>(row, 6, format_args!("record {id}: repaired_on"))?,
    })
}

/// The chain head as the `chain_head` row has it.
pub(super) fn chain_head(db: &mut Db<'_, impl GenericClient>) -> Result<ChainHead, StoreError> {
    let row = db
        .query_opt(
            "SELECT seq, hash FROM chain_head WHERE id = 1",
            &[],
            "reading the chain head",
        )?
        .ok_or_else(|| corrupt("the chain_head row is missing"))?;
    head_of(&row)
}

/// A `(seq, hash)` row of `chain_head`.
pub(super) fn head_of(row: &Row) -> Result<ChainHead, StoreError> {
    let seq_value: i64 = column(row, 0, "chain_head.seq")?;
    let bytes: Vec<u8> = column(row, 1, "chain_head.hash")?;
    if seq_value < 0 {
        return Err(corrupt(format!("chain_head.seq is {seq_value}")));
    }
    Ok(ChainHead {
        seq: seq_value,
        hash: hash(&bytes, "chain_head.hash")?,
    })
}

/// Subjects with their names (old codes' too, oldest first) and old codes,
/// one row each, for the subjects the CTE `s(code, name)` that precedes it selects.
const SUBJECT_ROWS: &str = "SELECT s.code, s.name, \
       ARRAY(SELECT n.name FROM subject_names n WHERE n.subject IN \
             (SELECT s.code UNION ALL SELECT c.old_code FROM subject_codes c WHERE c.subject = s.code) \
             ORDER BY n.first_seq), \
       ARRAY(SELECT c.old_code FROM subject_codes c WHERE c.subject = s.code ORDER BY c.old_code) \
     FROM s ORDER BY s.code";

fn subject_from_row(row: &Row) -> Result<Subject, StoreError> {
    let code: String = column(row, 0, "subjects.code")?;
    let all_names: Vec<String> = column(row, 2, format_args!("subject {code}: names"))?;
    // The names under its old codes count too: they are the same entity. Each once.
    let mut names: Vec<String> = Vec::with_capacity(all_names.len());
    for name in all_names {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(Subject {
        name: column(row, 1, format_args!("subject {code}: name"))?,
        names,
        old_codes: column(row, 3, format_args!("subject {code}: old codes"))?,
        code,
    })
}

pub(super) fn subject(
    db: &mut Db<'_, impl GenericClient>,
    code: &str,
) -> Result<Option<Subject>, StoreError> {
    let rows = db.query(
        &format!(
            "WITH s(code, name) AS (SELECT code, name FROM subjects WHERE code = {RESOLVED}) \
             {SUBJECT_ROWS}"
        ),
        &[&code],
        "reading a subject",
    )?;
    rows.first().map(subject_from_row).transpose()
}

/// `OFFSET 0` keeps the `NOT EXISTS` a filter on the walk down the subjects' key, which
/// stops at the limit. As an anti-join, it is planned from the estimate that every subject
/// code is also an old code (there are more old codes than subjects): a page of 500 then
/// joined all subjects with all old codes, 2.1 s instead of 14 ms at 1,000,000 subjects.
pub(super) fn subjects_after(
    db: &mut Db<'_, impl GenericClient>,
    after: &str,
    limit: usize,
) -> Result<Vec<Subject>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = db.query(
        &format!(
            "WITH s(code, name) AS (SELECT code, name FROM subjects \
                 WHERE code > $1 \
                   AND NOT EXISTS (SELECT 1 FROM subject_codes c \
                       WHERE c.old_code = subjects.code OFFSET 0) \
                 ORDER BY code LIMIT $2) \
             {SUBJECT_ROWS}"
        ),
        &[&after, &limit],
        "listing subjects",
    )?;
    rows.iter().map(subject_from_row).collect()
}

pub(super) fn subject_code(
    db: &mut Db<'_, impl GenericClient>,
    code: &str,
) -> Result<String, StoreError> {
    let row = db.query_one(
        &format!("SELECT {RESOLVED}"),
        &[&code],
        "resolving a subject code",
    )?;
    column(&row, 0, "subject code")
}

pub(super) fn records_of(
    db: &mut Db<'_, impl GenericClient>,
    code: &str,
) -> Result<Vec<StoredRecord>, StoreError> {
    // One statement, so one snapshot: resolve the code, then take the records filed under the
    // subject and under every old code of it.
    let rows = db.query(
        &format!(
            "WITH s(code) AS (SELECT {RESOLVED}) \
             {RECORD_SELECT} \
             WHERE r.subject IN (SELECT code FROM s \
                 UNION ALL SELECT c.old_code FROM subject_codes c JOIN s ON c.subject = s.code) \
             ORDER BY r.decision_date DESC, r.first_seq DESC"
        ),
        &[&code],
        "reading a subject's records",
    )?;
    rows.iter().map(stored_record).collect()
}

pub(super) fn records_page(
    db: &mut Db<'_, impl GenericClient>,
    code: &str,
    range: &RecordRange<'_>,
) -> Result<Vec<StoredRecord>, StoreError> {
    // One statement, one snapshot. The newest `per_item` of each item are ranked from the
    // subject's entries in `records_by_subject_item` (an index-only scan where the
    // visibility map allows); only those are read from the tables.
    let (from, to, after_date, after_seq, per_item) = range.bounds();
    let rows = db.query(
        &format!(
            "WITH s(code) AS (SELECT {RESOLVED}), \
             codes(code) AS (SELECT code FROM s \
                 UNION ALL SELECT c.old_code FROM subject_codes c JOIN s ON c.subject = s.code), \
             ranked AS (SELECT first_seq, row_number() OVER (PARTITION BY item \
                     ORDER BY decision_date DESC, first_seq DESC) AS n \
                 FROM records WHERE subject IN (SELECT code FROM codes) \
                 AND item = ANY($2) AND decision_date BETWEEN $3 AND $4 \
                 AND (decision_date, first_seq) < ($5, $6)) \
             {RECORD_SELECT} \
             WHERE r.first_seq IN (SELECT first_seq FROM ranked WHERE n <= $7) \
             ORDER BY r.decision_date DESC, r.first_seq DESC"
        ),
        &[
            &code,
            &range.items,
            &from,
            &to,
            &after_date,
            &after_seq,
            &per_item,
        ],
        "reading a page of a subject's records",
    )?;
    rows.iter().map(stored_record).collect()
}

pub(super) fn record(
    db: &mut Db<'_, impl GenericClient>,
    id: &RecordId,
) -> Result<Option<StoredRecord>, StoreError> {
    let row = db.query_opt(
        &format!("{RECORD_SELECT} WHERE r.id = $1"),
        &[&&id.0[..]],
        "reading a record",
    )?;
    row.as_ref().map(stored_record).transpose()
}

pub(super) fn history(
    db: &mut Db<'_, impl GenericClient>,
    id: &RecordId,
) -> Result<Vec<Event>, StoreError> {
    // Events never change once written: the history as of the head read first is whole
    // without a transaction around both statements.
    let head: Option<i64> = db
        .query_opt(
            "SELECT head_seq FROM records WHERE id = $1",
            &[&&id.0[..]],
            "reading a record's head",
        )?
        .map(|row| column(&row, 0, format_args!("record {id}: head_seq")))
        .transpose()?;
    linked_events(db, head, id, format_args!("record {id}"))
}

/// The events linked back from `head` through `prev_record_seq`, oldest first: the history of
/// a record, or of a case about the record `id`. One recursive query walks the links, always
/// to an earlier event (a damaged link cannot send it round in circles); the walk is then
/// checked link by link.
pub(super) fn linked_events(
    db: &mut Db<'_, impl GenericClient>,
    head: Option<i64>,
    id: &RecordId,
    owner: impl std::fmt::Display,
) -> Result<Vec<Event>, StoreError> {
    let Some(head) = head else {
        return Ok(Vec::new());
    };
    let rows = db.query(
        &format!(
            "WITH RECURSIVE h AS ( \
                 SELECT {EVENT_COLUMNS}, prev_record_seq FROM events WHERE seq = $1 \
                 UNION ALL \
                 SELECT e.seq, e.kind, e.subject, e.record, e.recorded_at_us, e.actor, \
                        e.payload, e.prev_hash, e.hash, e.prev_record_seq \
                 FROM events e JOIN h ON e.seq = h.prev_record_seq AND h.prev_record_seq < h.seq) \
             SELECT * FROM h ORDER BY seq DESC"
        ),
        &[&head],
        "reading a history",
    )?;
    let mut events = Vec::with_capacity(rows.len());
    let mut expected = Some(head);
    for row in &rows {
        let Some(at) = expected else { break };
        let event = event(row)?;
        if i64::try_from(event.seq).ok() != Some(at) {
            break;
        }
        if event.record != id.to_string() {
            return Err(corrupt(format!(
                "{owner}: event {at} in its history is about `{}`",
                event.record
            )));
        }
        let prev: Option<i64> = column(row, 9, format_args!("event {at}: prev_record_seq"))?;
        if prev.is_some_and(|p| p >= at) {
            return Err(corrupt(format!(
                "{owner}: event {at} links back to a later event"
            )));
        }
        events.push(event);
        expected = prev;
    }
    if let Some(at) = expected {
        return Err(corrupt(format!("{owner}: its event {at} is missing")));
    }
    events.reverse();
    Ok(events)
}

pub(super) fn events_after(
    db: &mut Db<'_, impl GenericClient>,
    after: u64,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    // Beyond i64 nothing is stored; clamping keeps the query meaningful instead of failing.
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = db.query(
        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"),
        &[&after, &limit],
        "reading events",
    )?;
    rows.iter().map(event).collect()
}

pub(super) fn records_by_id(
    db: &mut Db<'_, impl GenericClient>,
    ids: &[RecordId],
) -> Result<HashMap<RecordId, StoredRecord>, StoreError> {
    let ids: Vec<&[u8]> = ids.iter().map(|id| &id.0[..]).collect();
    let rows = db.query(
        &format!("{RECORD_SELECT} WHERE r.id = ANY($1)"),
        &[&ids],
        "reading records",
    )?;
    rows.iter()
        .map(|row| stored_record(row).map(|record| (record.id, record)))
        .collect()
}

pub(super) fn subject_codes(
    db: &mut Db<'_, impl GenericClient>,
    codes: &[&str],
) -> Result<HashMap<String, String>, StoreError> {
    let rows = db.query(
        "SELECT c.code, coalesce(m.subject, c.code) FROM unnest($1::text[]) AS c(code) \
         LEFT JOIN subject_codes m ON m.old_code = c.code",
        &[&codes],
        "resolving subject codes",
    )?;
    rows.iter()
        .map(|row| Ok((column(row, 0, "code")?, column(row, 1, "subject code")?)))
        .collect()
}

pub(super) fn records_of_many(
    db: &mut Db<'_, impl GenericClient>,
    codes: &[&str],
) -> Result<HashMap<String, Vec<StoredRecord>>, StoreError> {
    // The subjects and every old code of each, then their records: one statement, one
    // snapshot. The subject comes last so that the record columns read as in `RECORD_SELECT`.
    let rows = db.query(
        "WITH s(code) AS (SELECT DISTINCT unnest($1::text[])), \
         k(code, subject) AS (SELECT code, code FROM s \
             UNION ALL SELECT c.old_code, s.code FROM subject_codes c JOIN s ON c.subject = s.code) \
         SELECT r.id, r.status, r.first_seq, r.head_seq, r.first_recorded_at_us, e.payload, \
             p.repaired_on, k.subject \
         FROM k JOIN records r ON r.subject = k.code LEFT JOIN events e ON e.seq = r.head_seq \
         LEFT JOIN repairs p ON p.record = r.id \
         ORDER BY k.subject, r.decision_date DESC, r.first_seq DESC",
        &[&codes],
        "reading many subjects' records",
    )?;
    let mut found: HashMap<String, Vec<StoredRecord>> = HashMap::new();
    for row in &rows {
        let subject: String = column(row, 7, "subject")?;
        found.entry(subject).or_default().push(stored_record(row)?);
    }
    Ok(found)
}

pub(super) fn subjects_holding(
    db: &mut Db<'_, impl GenericClient>,
    items: &[&str],
) -> Result<Vec<String>, StoreError> {
    // The distinct holders first, then the old codes among them resolved: the join runs over
    // the holders, not over every record.
    let rows = db.query(
        "SELECT coalesce(c.subject, h.subject) \
         FROM (SELECT DISTINCT subject FROM records WHERE item = ANY($1)) h \
         LEFT JOIN subject_codes c ON c.old_code = h.subject",
        &[&items],
        "finding the subjects holding items",
    )?;
    let mut subjects = rows
        .iter()
        .map(|row| column::<String>(row, 0, "records.subject"))
        .collect::<Result<Vec<_>, _>>()?;
    subjects.sort_unstable();
    subjects.dedup();
    Ok(subjects)
}

pub(super) fn counts(db: &mut Db<'_, impl GenericClient>) -> Result<Counts, StoreError> {
    // A subject known by an old code that now maps to a USCC is one entity, counted once.
    // Events: `seq` has no gaps (verify checks it), so the last one is the count.
    let row = db.query_one(
        "SELECT \
           (SELECT count(*) FROM subjects s \
             WHERE NOT EXISTS (SELECT 1 FROM subject_codes c WHERE c.old_code = s.code)), \
           (SELECT count(*) FROM records), \
           (SELECT coalesce(max(seq), 0) FROM events)",
        &[],
        "counting",
    )?;
    let count = |index: usize| column::<i64>(&row, index, "a count").map(i64::unsigned_abs);
    Ok(Counts {
        subjects: count(0)?,
        records: count(1)?,
        events: count(2)?,
    })
}
