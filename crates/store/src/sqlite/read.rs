//! Queries, and the decoding of stored rows into domain types.
//!
//! Nothing read from the file is trusted to be well-formed: a value of the wrong type or shape
//! is reported as [`StoreError::Corrupt`] naming what it was, never unwrapped.

use std::collections::HashMap;
use std::fmt::Display;

use chrono::NaiveDate;
use gongxin_core::event::{Event, EventKind};
use gongxin_core::record::{Record, RecordId};
use rusqlite::types::FromSql;
use rusqlite::{Connection, OptionalExtension, Row};

use super::{ChainHead, db};
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

/// `?1` resolved to the subject it belongs to: the USCC an old code maps to, or itself.
pub(super) const RESOLVED: &str =
    "coalesce((SELECT subject FROM subject_codes WHERE old_code = ?1), ?1)";

/// Runs `sql` with `params` and decodes every row with `decode`: the shape of most reads.
/// `what` names the read in errors.
pub(super) fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    what: &str,
    mut decode: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db(what))?;
    let mut rows = stmt.query(params).map_err(db(what))?;
    let mut found = Vec::new();
    while let Some(row) = rows.next().map_err(db(what))? {
        found.push(decode(row)?);
    }
    Ok(found)
}

/// Column `index` as `T`; a value of another type is corruption, not an engine failure.
///
/// `what` names the value in an error; pass `format_args!` so that the hot paths format
/// nothing unless something is wrong.
pub(super) fn column<T: FromSql>(
    row: &Row<'_>,
    index: usize,
    what: impl Display,
) -> Result<T, StoreError> {
    row.get(index).map_err(|e| match e {
        rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => corrupt(format!("{what}: {e}")),
        other => StoreError::Database(format!("{what}: {other}")),
    })
}

/// Decodes the [`EVENT_COLUMNS`] of a row.
pub(super) fn event(row: &Row<'_>) -> Result<Event, StoreError> {
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
fn stored_record(row: &Row<'_>) -> Result<StoredRecord, StoreError> {
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
    let repaired_on: Option<String> = column(row, 6, format_args!("record {id}: repaired_on"))?;
    let repaired_on = repaired_on
        .map(|d| date(&d, format_args!("record {id}: repaired_on")))
        .transpose()?;
    Ok(StoredRecord {
        id,
        record,
        status: status(&status_text, format_args!("record {id}: status"))?,
        first_seq,
        head_seq,
        first_recorded_at_us: column(row, 4, format_args!("record {id}: first_recorded_at_us"))?,
        repaired_on,
    })
}

/// An ISO date column.
pub(super) fn date(text: &str, what: impl Display) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| corrupt(format!("{what}: `{text}` is not a date")))
}

/// The last event, or the empty chain.
pub(super) fn chain_head(conn: &Connection) -> Result<ChainHead, StoreError> {
    let head = conn
        .prepare_cached("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        .and_then(|mut stmt| {
            stmt.query_row([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .optional()
        })
        .map_err(db("reading the chain head"))?;
    match head {
        None => Ok(ChainHead::EMPTY),
        Some((seq_value, bytes)) => {
            seq(seq_value, "the last event")?;
            Ok(ChainHead {
                seq: seq_value,
                hash: hash(&bytes, format_args!("event {seq_value}: hash"))?,
            })
        }
    }
}

pub(super) fn subjects_after(
    conn: &Connection,
    after: &str,
    limit: usize,
) -> Result<Vec<Subject>, StoreError> {
    let codes: Vec<String> = conn
        .prepare_cached(
            "SELECT code FROM subjects WHERE code > ?1 \
             AND code NOT IN (SELECT old_code FROM subject_codes) ORDER BY code LIMIT ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_map(rusqlite::params![after, limit as i64], |row| row.get(0))?
                .collect()
        })
        .map_err(db("listing subjects"))?;
    codes
        .iter()
        .filter_map(|code| subject(conn, code).transpose())
        .collect()
}

pub(super) fn subject(conn: &Connection, code: &str) -> Result<Option<Subject>, StoreError> {
    // Several statements: one read transaction gives them one snapshot.
    let tx = conn
        .unchecked_transaction()
        .map_err(db("starting a read"))?;
    let code: String = tx
        .prepare_cached(&format!("SELECT {RESOLVED}"))
        .and_then(|mut stmt| stmt.query_row([code], |row| row.get(0)))
        .map_err(db("resolving a subject code"))?;
    let name: Option<String> = tx
        .prepare_cached("SELECT name FROM subjects WHERE code = ?1")
        .and_then(|mut stmt| stmt.query_row([&code], |row| row.get(0)).optional())
        .map_err(db("reading a subject"))?;
    let Some(name) = name else {
        return Ok(None);
    };
    // The names under its old codes count too: they are the same entity.
    let mut names: Vec<String> = Vec::new();
    let mut stmt = tx
        .prepare_cached(
            "SELECT name FROM subject_names WHERE subject IN \
             (SELECT ?1 UNION ALL SELECT old_code FROM subject_codes WHERE subject = ?1) \
             ORDER BY first_seq",
        )
        .map_err(db("reading subject names"))?;
    let mut rows = stmt.query([&code]).map_err(db("reading subject names"))?;
    while let Some(row) = rows.next().map_err(db("reading subject names"))? {
        let name: String = column(row, 0, "subject_names.name")?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let old_codes = tx
        .prepare_cached("SELECT old_code FROM subject_codes WHERE subject = ?1 ORDER BY old_code")
        .and_then(|mut stmt| {
            stmt.query_map([&code], |row| row.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .map_err(db("reading old codes"))?;
    Ok(Some(Subject {
        code,
        name,
        names,
        old_codes,
    }))
}

pub(super) fn subject_code(conn: &Connection, code: &str) -> Result<String, StoreError> {
    conn.prepare_cached(&format!("SELECT {RESOLVED}"))
        .and_then(|mut stmt| stmt.query_row([code], |row| row.get(0)))
        .map_err(db("resolving a subject code"))
}

pub(super) fn records_of(conn: &Connection, code: &str) -> Result<Vec<StoredRecord>, StoreError> {
    // One statement, so one snapshot: resolve the code, then take the records filed under the
    // subject and under every old code of it.
    let sql = format!(
        "WITH s(code) AS (SELECT {RESOLVED}) \
         {RECORD_SELECT} \
         WHERE r.subject IN (SELECT code FROM s \
             UNION ALL SELECT c.old_code FROM subject_codes c JOIN s ON c.subject = s.code) \
         ORDER BY r.decision_date DESC, r.first_seq DESC"
    );
    query_all(
        conn,
        &sql,
        [code],
        "reading a subject's records",
        stored_record,
    )
}

pub(super) fn records_page(
    conn: &Connection,
    code: &str,
    range: &RecordRange<'_>,
) -> Result<Vec<StoredRecord>, StoreError> {
    // One statement, so one snapshot. The newest `per_item` of each item are ranked from the
    // subject's entries in `records_by_subject_item` alone (the index covers every column
    // the ranking needs); only those are read from the tables.
    let sql = format!(
        "WITH s(code) AS (SELECT {RESOLVED}), \
         codes(code) AS (SELECT code FROM s \
             UNION ALL SELECT c.old_code FROM subject_codes c JOIN s ON c.subject = s.code), \
         ranked(first_seq, n) AS (SELECT first_seq, row_number() OVER (PARTITION BY item \
                 ORDER BY decision_date DESC, first_seq DESC) \
             FROM records WHERE subject IN (SELECT code FROM codes) \
             AND item IN (SELECT value FROM json_each(?2)) \
             AND decision_date >= ?3 AND decision_date <= ?4 \
             AND (decision_date, first_seq) < (?5, ?6)) \
         {RECORD_SELECT} \
         WHERE r.first_seq IN (SELECT first_seq FROM ranked WHERE n <= ?7) \
         ORDER BY r.decision_date DESC, r.first_seq DESC"
    );
    let (from, to, after_date, after_seq, per_item) = range.bounds();
    let items = serde_json::to_string(range.items).expect("strings serialise");
    query_all(
        conn,
        &sql,
        rusqlite::params![
            code,
            items,
            from.to_string(),
            to.to_string(),
            after_date.to_string(),
            after_seq,
            per_item
        ],
        "reading a page of a subject's records",
        stored_record,
    )
}

pub(super) fn record(conn: &Connection, id: &RecordId) -> Result<Option<StoredRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!("{RECORD_SELECT} WHERE r.id = ?1"))
        .map_err(db("reading a record"))?;
    let mut rows = stmt.query([&id.0[..]]).map_err(db("reading a record"))?;
    match rows.next().map_err(db("reading a record"))? {
        Some(row) => stored_record(row).map(Some),
        None => Ok(None),
    }
}

pub(super) fn history(conn: &Connection, id: &RecordId) -> Result<Vec<Event>, StoreError> {
    let tx = conn
        .unchecked_transaction()
        .map_err(db("starting a read"))?;
    let head: Option<i64> = tx
        .prepare_cached("SELECT head_seq FROM records WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([&id.0[..]], |row| row.get(0)).optional())
        .map_err(db("reading a record's head"))?;
    linked_events(&tx, head, id, format_args!("record {id}"))
}

/// The events linked back from `head` through `prev_record_seq`, oldest first: the history of
/// a record, or of a case about the record `id`.
pub(super) fn linked_events(
    conn: &Connection,
    head: Option<i64>,
    id: &RecordId,
    owner: impl Display,
) -> Result<Vec<Event>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS}, prev_record_seq FROM events WHERE seq = ?1"
        ))
        .map_err(db("reading a history"))?;
    let mut events = Vec::new();
    let mut next = head;
    while let Some(at) = next {
        let mut rows = stmt.query([at]).map_err(db("reading a history"))?;
        let row = rows
            .next()
            .map_err(db("reading a history"))?
            .ok_or_else(|| corrupt(format!("{owner}: its event {at} is missing")))?;
        let event = event(row)?;
        if event.record != id.to_string() {
            return Err(corrupt(format!(
                "{owner}: event {at} in its history is about `{}`",
                event.record
            )));
        }
        let prev: Option<i64> = column(row, 9, format_args!("event {at}: prev_record_seq"))?;
        // Strictly decreasing, so that a damaged link cannot send the walk round in circles.
        if prev.is_some_and(|p| p >= at) {
            return Err(corrupt(format!(
                "{owner}: event {at} links back to a later event"
            )));
        }
        events.push(event);
        next = prev;
    }
    events.reverse();
    Ok(events)
}

pub(super) fn events_after(
    conn: &Connection,
    after: u64,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    // Beyond i64 nothing is stored; clamping keeps the query meaningful instead of failing.
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    query_all(
        conn,
        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
        [after, limit],
        "reading events",
        event,
    )
}

pub(super) fn records_of_many(
    conn: &Connection,
    codes: &[&str],
) -> Result<HashMap<String, Vec<StoredRecord>>, StoreError> {
    // The subjects and every old code of each, then their records: one statement, one
    // snapshot. The subject comes last so that the record columns read as in `RECORD_SELECT`.
    let codes = serde_json::to_string(codes).expect("strings serialise");
    let mut stmt = conn
        .prepare_cached(
            "WITH s(code) AS (SELECT value FROM json_each(?1)), \
             k(code, subject) AS (SELECT code, code FROM s \
                 UNION ALL SELECT c.old_code, s.code FROM subject_codes c JOIN s ON c.subject = s.code) \
             SELECT r.id, r.status, r.first_seq, r.head_seq, r.first_recorded_at_us, e.payload, \
                 p.repaired_on, k.subject \
             FROM k JOIN records r ON r.subject = k.code LEFT JOIN events e ON e.seq = r.head_seq \
             LEFT JOIN repairs p ON p.record = r.id \
             ORDER BY k.subject, r.decision_date DESC, r.first_seq DESC",
        )
        .map_err(db("reading many subjects' records"))?;
    let mut rows = stmt
        .query([codes])
        .map_err(db("reading many subjects' records"))?;
    let mut found: HashMap<String, Vec<StoredRecord>> = HashMap::new();
    while let Some(row) = rows.next().map_err(db("reading many subjects' records"))? {
        let subject: String = column(row, 7, "subject")?;
        found.entry(subject).or_default().push(stored_record(row)?);
    }
    Ok(found)
}

pub(super) fn subjects_holding(
    conn: &Connection,
    items: &[&str],
) -> Result<Vec<String>, StoreError> {
    // One pass over `records`; the item list is short, so `IN` over a JSON array keeps one
    // statement for any number of items. Old codes (rare: individual businesses without a
    // USCC, records from before 2015) are resolved afterwards, one look-up each, rather than
    // joining every row against `subject_codes`.
    let items = serde_json::to_string(items).expect("strings serialise");
    let holders: Vec<String> = conn
        .prepare_cached(
            "SELECT DISTINCT subject FROM records \
             WHERE item IN (SELECT value FROM json_each(?1))",
        )
        .and_then(|mut select| select.query_map([items], |row| row.get(0))?.collect())
        .map_err(db("finding the subjects holding items"))?;
    let mut resolve = conn
        .prepare_cached(&format!("SELECT {RESOLVED}"))
        .map_err(db("resolving old codes"))?;
    let mut subjects = Vec::with_capacity(holders.len());
    for code in holders {
        if code.len() == 18 {
            subjects.push(code);
        } else {
            let resolved: String = resolve
                .query_row([&code], |row| row.get(0))
                .map_err(db("resolving old codes"))?;
            subjects.push(resolved);
        }
    }
    subjects.sort_unstable();
    subjects.dedup();
    Ok(subjects)
}

pub(super) fn counts(conn: &Connection) -> Result<Counts, StoreError> {
    // A subject known by an old code that now maps to a USCC is one entity, counted once.
    // Events: `seq` has no gaps (verify checks it), so the last one is the count, found in
    // O(log n) instead of scanning the log.
    let (subjects, records, events): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT \
               (SELECT count(*) FROM subjects \
                 WHERE code NOT IN (SELECT old_code FROM subject_codes)), \
               (SELECT count(*) FROM records), \
               (SELECT coalesce(max(seq), 0) FROM events)",
        )
        .and_then(|mut stmt| stmt.query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))))
        .map_err(db("counting"))?;
    Ok(Counts {
        subjects: subjects.unsigned_abs(),
        records: records.unsigned_abs(),
        events: events.unsigned_abs(),
    })
}
