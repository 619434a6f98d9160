//! Due-process cases (listings, objections) and the check log.

use gongxin_core::record::{Change, PreparedRecord, RecordId};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::apply::{Batch, KnownSubjects, check_cached_head};
use super::read::{self, column, corrupt};
use super::{ChainHead, db};
use crate::{Actor, CaseKind, CaseStep, CheckEntry, StoreError, StoredCase};

pub(super) fn append_case(
    conn: &mut Connection,
    cached: &mut ChainHead,
    known: &mut KnownSubjects,
    step: &CaseStep<'_>,
    records: &mut dyn Iterator<Item = PreparedRecord>,
    actor: &Actor<'_>,
) -> Result<(u64, Vec<Change>), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("starting a case step"))?;
    check_cached_head(&tx, *cached)?;
    let head = read::chain_head(&tx)?;
    let existing = case_row(&tx, step.id)?;
    step.may_follow(existing.as_ref())?;
    let seq = head.seq + 1;
    let event = step
        .event(actor)
        .seal(read::seq(seq, "the next event")?, head.hash);
    tx.prepare_cached(
        "INSERT INTO events (seq, kind, subject, record, prev_record_seq, recorded_at_us, \
         actor, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            seq,
            event.kind.as_str(),
            event.subject,
            &step.record.0[..],
            existing.as_ref().map(|c| c.head_seq as i64),
            event.recorded_at_us,
            event.actor,
            event.payload,
            &event.prev_hash.0[..],
            &event.hash.0[..],
        ])
    })
    .map_err(db("inserting a case event"))?;
    let due = step.due.map(|d| d.to_string());
    tx.prepare_cached(
        "INSERT INTO cases (id, kind, subject, record, open, due, first_seq, head_seq) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) \
         ON CONFLICT (id) DO UPDATE SET open = ?5, due = ?6, head_seq = ?7",
    )
    .and_then(|mut upsert| {
        upsert.execute(params![
            step.id,
            step.kind.as_str(),
            step.subject,
            &step.record.0[..],
            step.open,
            due,
            seq
        ])
    })
    .map_err(db("writing a case"))?;
    if let Some(on) = step.repaired_on {
        tx.prepare_cached(
            "INSERT INTO repairs (record, subject, case_id, repaired_on, seq) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut insert| {
            insert.execute(params![
                &step.record.0[..],
                step.subject,
                step.id,
                on.to_string(),
                seq
            ])
        })
        .map_err(db("marking a record repaired"))?;
    }

    let chain = ChainHead {
        seq,
        hash: event.hash,
    };
    // Fresh knowledge: this transaction moves the head itself, and cases are rare.
    let mut batch = Batch::new(&tx, chain, KnownSubjects::default(), actor)?;
    let changes = records
        .map(|record| batch.apply(&record))
        .collect::<Result<Vec<_>, _>>()?;
    let (chain, _) = batch.finish();
    tx.commit().map_err(db("committing a case step"))?;
    *cached = chain;
    *known = KnownSubjects::default();
    Ok((event.seq, changes))
}

const CASE_SELECT: &str = "SELECT c.id, c.kind, c.subject, c.record, c.open, c.due, \
     c.first_seq, c.head_seq, e.payload \
     FROM cases c LEFT JOIN events e ON e.seq = c.head_seq";

fn stored_case(row: &Row<'_>) -> Result<StoredCase, StoreError> {
    let id: String = column(row, 0, "cases.id")?;
    let kind: String = column(row, 1, format_args!("case {id}: kind"))?;
    let kind = CaseKind::parse(&kind)
        .ok_or_else(|| corrupt(format!("case {id}: unknown kind `{kind}`")))?;
    let record: Vec<u8> = column(row, 3, format_args!("case {id}: record"))?;
    let due: Option<String> = column(row, 5, format_args!("case {id}: due"))?;
    let due = due
        .map(|d| read::date(&d, format_args!("case {id}: due")))
        .transpose()?;
    let first_seq = column(row, 6, format_args!("case {id}: first_seq"))?;
    let head_seq = column(row, 7, format_args!("case {id}: head_seq"))?;
    let payload: Option<String> = column(row, 8, format_args!("case {id}: head event"))?;
    Ok(StoredCase {
        record: read::record_id(&record, format_args!("case {id}: record"))?,
        subject: column(row, 2, format_args!("case {id}: subject"))?,
        kind,
        open: column(row, 4, format_args!("case {id}: open"))?,
        due,
        first_seq: read::seq(first_seq, format_args!("case {id}: first_seq"))?,
        head_seq: read::seq(head_seq, format_args!("case {id}: head_seq"))?,
        payload: payload.ok_or_else(|| corrupt(format!("case {id}: its head event is missing")))?,
        id,
    })
}

fn cases_where(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredCase>, StoreError> {
    read::query_all(
        conn,
        &format!("{CASE_SELECT} WHERE {condition} ORDER BY c.first_seq"),
        params,
        "reading cases",
        stored_case,
    )
}

fn case_row(conn: &Connection, id: &str) -> Result<Option<StoredCase>, StoreError> {
    Ok(cases_where(conn, "c.id = ?1", [id])?.pop())
}

pub(super) fn case(conn: &Connection, id: &str) -> Result<Option<StoredCase>, StoreError> {
    case_row(conn, id)
}

pub(super) fn cases_of(
    conn: &Connection,
    subject: &str,
    kind: Option<CaseKind>,
) -> Result<Vec<StoredCase>, StoreError> {
    match kind {
        Some(kind) => cases_where(
            conn,
            "c.subject = ?1 AND c.kind = ?2",
            params![subject, kind.as_str()],
        ),
        None => cases_where(conn, "c.subject = ?1", [subject]),
    }
}

pub(super) fn open_cases(conn: &Connection, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError> {
    cases_where(conn, "c.kind = ?1 AND c.open = 1", [kind.as_str()])
}

pub(super) fn all_cases(conn: &Connection, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError> {
    cases_where(conn, "c.kind = ?1", [kind.as_str()])
}

pub(super) fn cases_of_record(
    conn: &Connection,
    record: &RecordId,
) -> Result<Vec<StoredCase>, StoreError> {
    cases_where(conn, "c.record = ?1", [&record.0[..]])
}

pub(super) fn case_history(
    conn: &Connection,
    id: &str,
) -> Result<Vec<gongxin_core::event::Event>, StoreError> {
    let tx = conn
        .unchecked_transaction()
        .map_err(db("starting a read"))?;
    let Some(case) = case_row(&tx, id)? else {
        return Ok(Vec::new());
    };
    read::linked_events(
        &tx,
        Some(case.head_seq as i64),
        &case.record,
        format_args!("case {id}"),
    )
}

const CHECK_COLUMNS: &str = "receipt, at_us, key_id, unit, subject, scenario, purpose, log_seq, \
     measures_version, request, answer";

fn check_from_row(row: &Row<'_>) -> rusqlite::Result<CheckEntry> {
    let log_seq: i64 = row.get(7)?;
    Ok(CheckEntry {
        receipt: row.get(0)?,
        at_us: row.get(1)?,
        key_id: row.get(2)?,
        unit: row.get(3)?,
        subject: row.get(4)?,
        scenario: row.get(5)?,
        purpose: row.get(6)?,
        log_seq: u64::try_from(log_seq).unwrap_or_default(),
        measures_version: row.get(8)?,
        request: row.get(9)?,
        answer: row.get(10)?,
    })
}

pub(super) fn append_check(conn: &Connection, entry: &CheckEntry) -> Result<(), StoreError> {
    let inserted = conn
        .prepare_cached(&format!(
            "INSERT INTO checks ({CHECK_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT (receipt) DO NOTHING"
        ))
        .and_then(|mut insert| {
            insert.execute(params![
                entry.receipt,
                entry.at_us,
                entry.key_id,
                entry.unit,
                entry.subject,
                entry.scenario,
                entry.purpose,
                entry.log_seq as i64,
                entry.measures_version,
                entry.request,
                entry.answer,
            ])
        })
        .map_err(db("logging a check"))?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "receipt {} exists",
            entry.receipt
        )));
    }
    Ok(())
}

pub(super) fn check_entry(
    conn: &Connection,
    receipt: &str,
) -> Result<Option<CheckEntry>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {CHECK_COLUMNS} FROM checks WHERE receipt = ?1"
    ))
    .and_then(|mut select| select.query_row([receipt], check_from_row).optional())
    .map_err(db("reading a check"))
}

pub(super) fn checks_of(
    conn: &Connection,
    subject: &str,
    limit: usize,
) -> Result<Vec<CheckEntry>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {CHECK_COLUMNS} FROM checks WHERE subject = ?1 \
         ORDER BY at_us DESC, receipt DESC LIMIT ?2"
    ))
    .and_then(|mut select| {
        select
            .query_map(params![subject, limit as i64], check_from_row)?
            .collect()
    })
    .map_err(db("reading checks"))
}
