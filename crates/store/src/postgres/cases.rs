//! Due-process cases (listings, objections, repairs) and the check log.

use gongxin_core::event::Event;
use gongxin_core::record::{Change, PreparedRecord, RecordId};
use postgres::{GenericClient, Row};

use super::apply::{KnownSubjects, Writer, lock_head};
use super::column;
use super::read::{self, corrupt};
use super::{ChainHead, Conn, Db, pg};
use crate::{Actor, CaseKind, CaseStep, CheckEntry, StoreError, StoredCase};

pub(super) fn append_case(
    conn: &mut Conn,
    cached: &mut ChainHead,
    known: &mut KnownSubjects,
    step: &CaseStep<'_>,
    records: &mut dyn Iterator<Item = PreparedRecord>,
    actor: &Actor<'_>,
) -> Result<(u64, Vec<Change>), StoreError> {
    let mut tx = conn
        .client
        .transaction()
        .map_err(pg("starting a case step"))?;
    let mut db = Db {
        client: &mut tx,
        statements: &mut conn.statements,
    };
    // The case is read under the chain head's lock: a step another officer took is committed
    // and seen here, or still waiting behind this one.
    let locked = lock_head(&mut db, *cached)?;
    let existing = case_row(&mut db, step.id)?;
    step.may_follow(existing.as_ref())?;
    let seq = locked.seq + 1;
    let event = step
        .event(actor)
        .seal(read::seq(seq, "the next event")?, locked.hash);
    let prev_record_seq = existing
        .as_ref()
        .map(|c| i64::try_from(c.head_seq).unwrap_or(i64::MAX));
    db.execute(
        "INSERT INTO events (seq, kind, subject, record, prev_record_seq, recorded_at_us, \
         actor, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &seq,
            &event.kind.as_str(),
            &event.subject,
            &&step.record.0[..],
            &prev_record_seq,
            &event.recorded_at_us,
            &event.actor,
            &event.payload,
            &&event.prev_hash.0[..],
            &&event.hash.0[..],
        ],
        "inserting a case event",
    )?;
    db.execute(
        "INSERT INTO cases (id, kind, subject, record, open, due, first_seq, head_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (id) DO UPDATE SET open = EXCLUDED.open, due = EXCLUDED.due, \
             head_seq = EXCLUDED.head_seq",
        &[
            &step.id,
            &step.kind.as_str(),
            &step.subject,
            &&step.record.0[..],
            &step.open,
            &step.due,
            &seq,
        ],
        "writing a case",
    )?;
    if let Some(on) = step.repaired_on {
        db.execute(
            "INSERT INTO repairs (record, subject, case_id, repaired_on, seq) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&&step.record.0[..], &step.subject, &step.id, &on, &seq],
            "marking a record repaired",
        )?;
    }
    let mut writer = Writer::new(
        ChainHead {
            seq,
            hash: event.hash,
        },
        actor,
        KnownSubjects::take(known, locked, *cached),
    );
    let changes = writer.apply_all(&mut db, records)?;
    let (head, learned) = writer.finish(&mut db, locked)?;
    tx.commit().map_err(pg("committing a case step"))?;
    *cached = head;
    learned.keep(known);
    Ok((event.seq, changes))
}

const CASE_SELECT: &str = "SELECT c.id, c.kind, c.subject, c.record, c.open, c.due, \
     c.first_seq, c.head_seq, e.payload \
     FROM cases c LEFT JOIN events e ON e.seq = c.head_seq";

fn stored_case(row: &Row) -> Result<StoredCase, StoreError> {
    let id: String = column(row, 0, "cases.id")?;
    let kind: String = column(row, 1, format_args!("case {id}: kind"))?;
    let kind = CaseKind::parse(&kind)
        .ok_or_else(|| corrupt(format!("case {id}: unknown kind `{kind}`")))?;
    let record: Vec<u8> = column(row, 3, format_args!("case {id}: record"))?;
    let first_seq = column(row, 6, format_args!("case {id}: first_seq"))?;
    let head_seq = column(row, 7, format_args!("case {id}: head_seq"))?;
    let payload: Option<String> = column(row, 8, format_args!("case {id}: head event"))?;
    Ok(StoredCase {
        record: read::record_id(&record, format_args!("case {id}: record"))?,
        subject: column(row, 2, format_args!("case {id}: subject"))?,
        kind,
        open: column(row, 4, format_args!("case {id}: open"))?,
        due: column(row, 5, format_args!("case {id}: due"))?,
        first_seq: read::seq(first_seq, format_args!("case {id}: first_seq"))?,
        head_seq: read::seq(head_seq, format_args!("case {id}: head_seq"))?,
        payload: payload.ok_or_else(|| corrupt(format!("case {id}: its head event is missing")))?,
        id,
    })
}

fn cases_where(
    db: &mut Db<'_, impl GenericClient>,
    condition: &str,
    params: super::Params<'_>,
) -> Result<Vec<StoredCase>, StoreError> {
    db.query(
        &format!("{CASE_SELECT} WHERE {condition} ORDER BY c.first_seq"),
        params,
        "reading cases",
    )?
    .iter()
    .map(stored_case)
    .collect()
}

fn case_row(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Option<StoredCase>, StoreError> {
    Ok(cases_where(db, "c.id = $1", &[&id])?.pop())
}

pub(super) fn case(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Option<StoredCase>, StoreError> {
    case_row(db, id)
}

pub(super) fn cases_of(
    db: &mut Db<'_, impl GenericClient>,
    subject: &str,
    kind: Option<CaseKind>,
) -> Result<Vec<StoredCase>, StoreError> {
    match kind {
        Some(kind) => cases_where(
            db,
            "c.subject = $1 AND c.kind = $2",
            &[&subject, &kind.as_str()],
        ),
        None => cases_where(db, "c.subject = $1", &[&subject]),
    }
}

pub(super) fn open_cases(
    db: &mut Db<'_, impl GenericClient>,
    kind: CaseKind,
) -> Result<Vec<StoredCase>, StoreError> {
    cases_where(db, "c.kind = $1 AND c.open", &[&kind.as_str()])
}

pub(super) fn all_cases(
    db: &mut Db<'_, impl GenericClient>,
    kind: CaseKind,
) -> Result<Vec<StoredCase>, StoreError> {
    cases_where(db, "c.kind = $1", &[&kind.as_str()])
}

pub(super) fn cases_of_record(
    db: &mut Db<'_, impl GenericClient>,
    record: &RecordId,
) -> Result<Vec<StoredCase>, StoreError> {
    cases_where(db, "c.record = $1", &[&&record.0[..]])
}

pub(super) fn case_history(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Vec<Event>, StoreError> {
    // Events never change once written: the walk back from the head read first is whole.
    let Some(case) = case_row(db, id)? else {
        return Ok(Vec::new());
    };
    read::linked_events(
        db,
        Some(i64::try_from(case.head_seq).unwrap_or(i64::MAX)),
        &case.record,
        format_args!("case {id}"),
    )
}

const CHECK_COLUMNS: &str = "receipt, at_us, key_id, unit, subject, scenario, purpose, log_seq, \
     measures_version, request, answer";

fn check_from_row(row: &Row) -> Result<CheckEntry, StoreError> {
    let receipt: String = column(row, 0, "checks.receipt")?;
    let what = |part: &str| format!("check {receipt}: {part}");
    let log_seq: i64 = column(row, 7, what("log_seq"))?;
    Ok(CheckEntry {
        at_us: column(row, 1, what("at_us"))?,
        key_id: column(row, 2, what("key_id"))?,
        unit: column(row, 3, what("unit"))?,
        subject: column(row, 4, what("subject"))?,
        scenario: column(row, 5, what("scenario"))?,
        purpose: column(row, 6, what("purpose"))?,
        log_seq: u64::try_from(log_seq).unwrap_or_default(),
        measures_version: column(row, 8, what("measures_version"))?,
        request: column(row, 9, what("request"))?,
        answer: column(row, 10, what("answer"))?,
        receipt,
    })
}

pub(super) fn append_check(
    db: &mut Db<'_, impl GenericClient>,
    entry: &CheckEntry,
) -> Result<(), StoreError> {
    let log_seq = i64::try_from(entry.log_seq).unwrap_or(i64::MAX);
    let inserted = db.execute(
        &format!(
            "INSERT INTO checks ({CHECK_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (receipt) DO NOTHING"
        ),
        &[
            &entry.receipt,
            &entry.at_us,
            &entry.key_id,
            &entry.unit,
            &entry.subject,
            &entry.scenario,
            &entry.purpose,
            &log_seq,
            &entry.measures_version,
            &entry.request,
            &entry.answer,
        ],
        "logging a check",
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "receipt {} exists",
            entry.receipt
        )));
    }
    Ok(())
}

pub(super) fn check_entry(
    db: &mut Db<'_, impl GenericClient>,
    receipt: &str,
) -> Result<Option<CheckEntry>, StoreError> {
    db.query_opt(
        &format!("SELECT {CHECK_COLUMNS} FROM checks WHERE receipt = $1"),
        &[&receipt],
        "reading a check",
    )?
    .as_ref()
    .map(check_from_row)
    .transpose()
}

pub(super) fn checks_of(
    db: &mut Db<'_, impl GenericClient>,
    subject: &str,
    limit: usize,
) -> Result<Vec<CheckEntry>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    db.query(
        &format!(
            "SELECT {CHECK_COLUMNS} FROM checks WHERE subject = $1 \
             ORDER BY at_us DESC, receipt DESC LIMIT $2"
        ),
        &[&subject, &limit],
        "reading checks",
    )?
    .iter()
    .map(check_from_row)
    .collect()
}
