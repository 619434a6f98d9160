//! Webhook subscriptions and their deliveries, the feedback log and its statistics, and the
//! typical-case register.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::db;
use super::read::{self, column, corrupt, record_id};
use crate::{
    Attempt, CheckTally, Delivery, DeliveryQuery, DeliveryStatus, DispatchPosition, Feedback,
    FeedbackOutcome, MeasureTally, NewDelivery, StoreError, Subscription, TypicalCase,
};

/// A non-negative integer as stored to the domain's `u64`.
fn unsigned(value: i64, what: impl std::fmt::Display) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(format!("{what}: {value} is negative")))
}

fn day(text: &str, what: impl std::fmt::Display) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| corrupt(format!("{what}: `{text}` is not a date")))
}

fn json_list(text: &str, what: impl std::fmt::Display) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings serialises")
}

/// A constraint the statement broke: a conflict the caller can act on, not an engine failure.
fn is_constraint(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, unit, key_id, url, scenarios, purpose, after_seq, created_at_us, revoked_at_us";

fn subscription_from_row(row: &Row<'_>) -> Result<Subscription, StoreError> {
    let id: String = column(row, 0, "subscriptions.id")?;
    let scenarios: String = column(row, 4, format_args!("subscription {id}: scenarios"))?;
    let after_seq: i64 = column(row, 6, format_args!("subscription {id}: after_seq"))?;
    Ok(Subscription {
        unit: column(row, 1, format_args!("subscription {id}: unit"))?,
        key_id: column(row, 2, format_args!("subscription {id}: key_id"))?,
        url: column(row, 3, format_args!("subscription {id}: url"))?,
        scenarios: json_list(&scenarios, format_args!("subscription {id}: scenarios"))?,
        purpose: column(row, 5, format_args!("subscription {id}: purpose"))?,
        after_seq: unsigned(after_seq, format_args!("subscription {id}: after_seq"))?,
        created_at_us: column(row, 7, format_args!("subscription {id}: created_at_us"))?,
        revoked_at_us: column(row, 8, format_args!("subscription {id}: revoked_at_us"))?,
        id,
    })
}

fn subscriptions_where(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Subscription>, StoreError> {
    read::query_all(
        conn,
        &format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE {condition} \
             ORDER BY created_at_us, id"
        ),
        params,
        "reading subscriptions",
        subscription_from_row,
    )
}

pub(super) fn add_subscription(
    conn: &Connection,
    subscription: &Subscription,
    secret: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}, secret) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))
    .and_then(|mut insert| {
        insert.execute(params![
            subscription.id,
            subscription.unit,
            subscription.key_id,
            subscription.url,
            to_json(&subscription.scenarios),
            subscription.purpose,
            subscription.after_seq as i64,
            subscription.created_at_us,
            subscription.revoked_at_us,
            secret,
        ])
    })
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(format!("subscription {} exists: {e}", subscription.id))
        } else {
            StoreError::Database(format!("storing a subscription: {e}"))
        }
    })?;
    Ok(())
}

pub(super) fn subscriptions(conn: &Connection) -> Result<Vec<Subscription>, StoreError> {
    subscriptions_where(conn, "1", [])
}

pub(super) fn subscription(
    conn: &Connection,
    id: &str,
) -> Result<Option<Subscription>, StoreError> {
    Ok(subscriptions_where(conn, "id = ?1", [id])?.pop())
}

pub(super) fn subscription_secret(
    conn: &Connection,
    id: &str,
) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT secret FROM subscriptions WHERE id = ?1")
        .and_then(|mut select| select.query_row([id], |row| row.get(0)).optional())
        .map_err(db("reading a subscription's secret"))
}

pub(super) fn revoke_subscription(
    conn: &Connection,
    id: &str,
    at_us: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE subscriptions SET revoked_at_us = ?2 WHERE id = ?1 AND revoked_at_us IS NULL",
        )
        .and_then(|mut update| update.execute(params![id, at_us]))
        .map_err(db("revoking a subscription"))?;
    Ok(changed == 1)
}

pub(super) fn dispatch_position(conn: &Connection) -> Result<DispatchPosition, StoreError> {
    let row: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT event_seq, expiry_through FROM dispatch_position WHERE id = 1")
        .and_then(|mut select| {
            select
                .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(db("reading the dispatch position"))?;
    let Some((event_seq, expiry_through)) = row else {
        return Ok(DispatchPosition::default());
    };
    Ok(DispatchPosition {
        event_seq: unsigned(event_seq, "dispatch_position.event_seq")?,
        expiry_through: expiry_through
            .map(|d| day(&d, "dispatch_position.expiry_through"))
            .transpose()?,
    })
}

const DELIVERY_COLUMNS: &str = "id, subscription, subject, seq, kind, record, on_day, reasons, \
     attempts, next_attempt_us, status, last_error, delivered_at_us, created_at_us";

fn delivery_from_row(row: &Row<'_>) -> Result<Delivery, StoreError> {
    let id: i64 = column(row, 0, "deliveries.id")?;
    let what = |part: &str| format!("delivery {id}: {part}");
    let seq: i64 = column(row, 3, what("seq"))?;
    let record: Option<Vec<u8>> = column(row, 5, what("record"))?;
    let on: Option<String> = column(row, 6, what("on_day"))?;
    let attempts: i64 = column(row, 8, what("attempts"))?;
    let status: String = column(row, 10, what("status"))?;
    Ok(Delivery {
        id: unsigned(id, "deliveries.id")?,
        subscription: column(row, 1, what("subscription"))?,
        subject: column(row, 2, what("subject"))?,
        seq: unsigned(seq, what("seq"))?,
        kind: column(row, 4, what("kind"))?,
        record: record
            .map(|bytes| record_id(&bytes, what("record")))
            .transpose()?,
        on: on.map(|d| day(&d, what("on_day"))).transpose()?,
        reasons: column(row, 7, what("reasons"))?,
        attempts: u32::try_from(attempts)
            .map_err(|_| corrupt(what(&format!("attempts {attempts}"))))?,
        next_attempt_us: column(row, 9, what("next_attempt_us"))?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt(what(&format!("unknown status `{status}`"))))?,
        last_error: column(row, 11, what("last_error"))?,
        delivered_at_us: column(row, 12, what("delivered_at_us"))?,
        created_at_us: column(row, 13, what("created_at_us"))?,
    })
}

/// The deliveries `from` (a table or subquery named `d`) holds under `condition`.
fn deliveries_where(
    conn: &Connection,
    from: &str,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Delivery>, StoreError> {
    read::query_all(
        conn,
        &format!("SELECT {DELIVERY_COLUMNS} FROM {from} d WHERE {condition}"),
        params,
        "reading deliveries",
        delivery_from_row,
    )
}

pub(super) fn enqueue_deliveries(
    conn: &mut Connection,
    deliveries: &[NewDelivery],
    position: &DispatchPosition,
) -> Result<u64, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("starting to enqueue deliveries"))?;
    let mut inserted = 0;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO deliveries (subscription, subject, seq, kind, record, on_day, \
                 reasons, attempts, next_attempt_us, status, created_at_us) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, 'pending', ?8) \
                 ON CONFLICT DO NOTHING",
            )
            .map_err(db("enqueueing deliveries"))?;
        for delivery in deliveries {
            inserted += insert
                .execute(params![
                    delivery.subscription,
                    delivery.subject,
                    delivery.seq as i64,
                    delivery.kind,
                    delivery.record.as_ref().map(|r| &r.0[..]),
                    delivery.on.map(|d| d.to_string()),
                    delivery.reasons,
                    delivery.created_at_us,
                ])
                .map_err(db("enqueueing a delivery"))? as u64;
        }
    }
    tx.prepare_cached(
        "INSERT INTO dispatch_position (id, event_seq, expiry_through) VALUES (1, ?1, ?2) \
         ON CONFLICT (id) DO UPDATE SET event_seq = ?1, expiry_through = ?2",
    )
    .and_then(|mut upsert| {
        upsert.execute(params![
            position.event_seq as i64,
            position.expiry_through.map(|d| d.to_string())
        ])
    })
    .map_err(db("moving the dispatch position"))?;
    tx.commit().map_err(db("committing deliveries"))?;
    Ok(inserted)
}

pub(super) fn due_deliveries(
    conn: &Connection,
    now_us: i64,
    per_subscription: usize,
) -> Result<Vec<Delivery>, StoreError> {
    deliveries_where(
        conn,
        "(SELECT *, row_number() OVER \
            (PARTITION BY subscription ORDER BY next_attempt_us, id) AS place \
          FROM deliveries \
          WHERE status = 'pending' AND next_attempt_us <= ?1 \
            AND subscription IN (SELECT id FROM subscriptions WHERE revoked_at_us IS NULL))",
        "d.place <= ?2 ORDER BY d.next_attempt_us, d.id",
        params![now_us, per_subscription as i64],
    )
}

pub(super) fn settle_delivery(
    conn: &Connection,
    id: u64,
    attempt: &Attempt,
) -> Result<bool, StoreError> {
    let changed = match attempt {
        Attempt::Delivered { at_us } => conn
            .prepare_cached(
                "UPDATE deliveries SET attempts = attempts + 1, status = 'delivered', \
                 delivered_at_us = ?2 WHERE id = ?1 AND status = 'pending'",
            )
            .and_then(|mut update| update.execute(params![id as i64, at_us])),
        Attempt::Failed {
            at_us,
            error,
            retry_at_us,
        } => conn
            .prepare_cached(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?3, \
                 status = CASE WHEN ?4 IS NULL THEN 'dead' ELSE 'pending' END, \
                 next_attempt_us = coalesce(?4, ?2) \
                 WHERE id = ?1 AND status = 'pending'",
            )
            .and_then(|mut update| update.execute(params![id as i64, at_us, error, retry_at_us])),
    }
    .map_err(db("recording a delivery attempt"))?;
    Ok(changed == 1)
}

pub(super) fn deliveries(
    conn: &Connection,
    query: &DeliveryQuery,
) -> Result<Vec<Delivery>, StoreError> {
    deliveries_where(
        conn,
        "deliveries",
        "d.id > ?1 AND (?2 IS NULL OR d.subscription = ?2) AND (?3 IS NULL OR d.status = ?3) \
         ORDER BY d.id LIMIT ?4",
        params![
            query.after_id as i64,
            query.subscription,
            query.status.map(DeliveryStatus::as_str),
            query.limit as i64
        ],
    )
}

pub(super) fn requeue_deliveries(
    conn: &Connection,
    subscription: &str,
    from_seq: Option<u64>,
    at_us: i64,
) -> Result<u64, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_us = ?2 \
             WHERE subscription = ?1 \
               AND CASE WHEN ?3 IS NULL THEN status = 'dead' ELSE seq >= ?3 END",
        )
        .and_then(|mut update| {
            update.execute(params![
                subscription,
                at_us,
                from_seq.map(|s| s.min(i64::MAX as u64) as i64)
            ])
        })
        .map_err(db("re-queueing deliveries"))?;
    Ok(changed as u64)
}

const FEEDBACK_COLUMNS: &str =
    "seq, receipt, measure, outcome, reason, unit, subject, key_id, at_us";

fn feedback_from_row(row: &Row<'_>) -> Result<Feedback, StoreError> {
    let seq: i64 = column(row, 0, "feedback.seq")?;
    let outcome: String = column(row, 3, format_args!("feedback {seq}: outcome"))?;
    Ok(Feedback {
        seq: unsigned(seq, "feedback.seq")?,
        receipt: column(row, 1, format_args!("feedback {seq}: receipt"))?,
        measure: column(row, 2, format_args!("feedback {seq}: measure"))?,
        outcome: FeedbackOutcome::parse(&outcome)
            .ok_or_else(|| corrupt(format!("feedback {seq}: unknown outcome `{outcome}`")))?,
        reason: column(row, 4, format_args!("feedback {seq}: reason"))?,
        unit: column(row, 5, format_args!("feedback {seq}: unit"))?,
        subject: column(row, 6, format_args!("feedback {seq}: subject"))?,
        key_id: column(row, 7, format_args!("feedback {seq}: key_id"))?,
        at_us: column(row, 8, format_args!("feedback {seq}: at_us"))?,
    })
}

pub(super) fn append_feedback(conn: &Connection, feedback: &Feedback) -> Result<u64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO feedback (receipt, measure, outcome, reason, unit, subject, key_id, at_us) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            feedback.receipt,
            feedback.measure,
            feedback.outcome.as_str(),
            feedback.reason,
            feedback.unit,
            feedback.subject,
            feedback.key_id,
            feedback.at_us,
        ])
    })
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(format!(
                "feedback on measure {} of receipt {} is refused: {e}",
                feedback.measure, feedback.receipt
            ))
        } else {
            StoreError::Database(format!("appending feedback: {e}"))
        }
    })?;
    unsigned(conn.last_insert_rowid(), "feedback.seq")
}

pub(super) fn feedback_of(conn: &Connection, receipt: &str) -> Result<Vec<Feedback>, StoreError> {
    read::query_all(
        conn,
        &format!("SELECT {FEEDBACK_COLUMNS} FROM feedback WHERE receipt = ?1 ORDER BY seq"),
        [receipt],
        "reading feedback",
        feedback_from_row,
    )
}

/// A check's answer as JSON to walk, or an empty object should a row not hold JSON.
const ANSWER: &str = "CASE WHEN json_valid(c.answer) THEN c.answer ELSE '{}' END";

/// Checks made in the period: `?1` from (inclusive), `?2` to (exclusive), each optional.
const IN_PERIOD: &str = "(?1 IS NULL OR c.at_us >= ?1) AND (?2 IS NULL OR c.at_us < ?2)";

pub(super) fn check_tallies(
    conn: &Connection,
    from_us: Option<i64>,
    to_us: Option<i64>,
) -> Result<Vec<CheckTally>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT c.scenario, c.unit, count(*) FROM checks c WHERE {IN_PERIOD} \
         GROUP BY c.scenario, c.unit ORDER BY c.scenario, c.unit"
    ))
    .and_then(|mut select| {
        select
            .query_map(params![from_us, to_us], |row| {
                Ok(CheckTally {
                    scenario: row.get(0)?,
                    unit: row.get(1)?,
                    checks: row.get::<_, i64>(2)?.max(0) as u64,
                })
            })?
            .collect()
    })
    .map_err(db("counting checks"))
}

pub(super) fn measure_tallies(
    conn: &Connection,
    from_us: Option<i64>,
    to_us: Option<i64>,
) -> Result<Vec<MeasureTally>, StoreError> {
    let mut tallies: std::collections::BTreeMap<(String, Option<String>), MeasureTally> =
        std::collections::BTreeMap::new();
    let count = |value: i64| value.max(0) as u64;
    // The answer is the JSON the check was answered with; its measures and rewards name
    // their `id` and whether they were `suspended`.
    let returned = tally_rows(
        conn,
        &format!(
            "SELECT json_extract(m.value, '$.id') AS measure, c.unit, count(*), \
                    coalesce(sum(json_extract(m.value, '$.suspended') = 1), 0) \
             FROM checks c, json_each({ANSWER}, '$.measures') m WHERE {IN_PERIOD} \
               AND measure IS NOT NULL \
             GROUP BY measure, c.unit \
             UNION ALL \
             SELECT json_extract(r.value, '$.id') AS measure, c.unit, count(*), \
                    coalesce(sum(json_extract(r.value, '$.suspended') = 1), 0) \
             FROM checks c, json_each({ANSWER}, '$.rewards') r WHERE {IN_PERIOD} \
               AND measure IS NOT NULL \
             GROUP BY measure, c.unit"
        ),
        from_us,
        to_us,
        "counting the measures checks returned",
    )?;
    for (measure, unit, times, suspended) in returned {
        let tally = tally_of(&mut tallies, measure, unit);
        tally.returned += count(times);
        tally.suspended += count(suspended);
    }
    let reported = tally_rows(
        conn,
        &format!(
            "SELECT f.measure, c.unit, \
                    coalesce(sum(f.outcome = 'applied'), 0), \
                    coalesce(sum(f.outcome = 'not_applicable'), 0) \
             FROM feedback f JOIN checks c ON c.receipt = f.receipt WHERE {IN_PERIOD} \
             GROUP BY f.measure, c.unit"
        ),
        from_us,
        to_us,
        "counting feedback",
    )?;
    for (measure, unit, applied, not_applicable) in reported {
        let tally = tally_of(&mut tallies, measure, unit);
        tally.applied += count(applied);
        tally.not_applicable += count(not_applicable);
    }
    Ok(tallies.into_values().collect())
}

/// A measure, the unit that checked, and two counts.
type TallyRow = (String, Option<String>, i64, i64);

/// Rows of (measure, unit, two counts) over a period.
fn tally_rows(
    conn: &Connection,
    sql: &str,
    from_us: Option<i64>,
    to_us: Option<i64>,
    context: &str,
) -> Result<Vec<TallyRow>, StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut select| {
            select
                .query_map(params![from_us, to_us], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })?
                .collect()
        })
        .map_err(db(context))
}

/// The tally of `measure` for `unit`, started at zero.
fn tally_of(
    tallies: &mut std::collections::BTreeMap<(String, Option<String>), MeasureTally>,
    measure: String,
    unit: Option<String>,
) -> &mut MeasureTally {
    tallies
        .entry((measure.clone(), unit.clone()))
        .or_insert_with(|| MeasureTally {
            measure,
            unit,
            ..MeasureTally::default()
        })
}

const TYPICAL_COLUMNS: &str = "id, title, subject, subject_name, records, cases, summary_zh, \
     published, published_at_us, created_at_us, created_by";

fn typical_from_row(row: &Row<'_>) -> Result<TypicalCase, StoreError> {
    let id: String = column(row, 0, "typical_cases.id")?;
    let what = |part: &str| format!("typical case {id}: {part}");
    let records: String = column(row, 4, what("records"))?;
    let cases: String = column(row, 5, what("cases"))?;
    Ok(TypicalCase {
        title: column(row, 1, what("title"))?,
        subject: column(row, 2, what("subject"))?,
        subject_name: column(row, 3, what("subject_name"))?,
        records: json_list(&records, what("records"))?,
        cases: json_list(&cases, what("cases"))?,
        summary_zh: column(row, 6, what("summary_zh"))?,
        published: column(row, 7, what("published"))?,
        published_at_us: column(row, 8, what("published_at_us"))?,
        created_at_us: column(row, 9, what("created_at_us"))?,
        created_by: column(row, 10, what("created_by"))?,
        id,
    })
}

pub(super) fn add_typical_case(conn: &Connection, case: &TypicalCase) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO typical_cases ({TYPICAL_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))
    .and_then(|mut insert| {
        insert.execute(params![
            case.id,
            case.title,
            case.subject,
            case.subject_name,
            to_json(&case.records),
            to_json(&case.cases),
            case.summary_zh,
            case.published,
            case.published_at_us,
            case.created_at_us,
            case.created_by,
        ])
    })
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(format!("typical case {} is refused: {e}", case.id))
        } else {
            StoreError::Database(format!("adding a typical case: {e}"))
        }
    })?;
    Ok(())
}

pub(super) fn typical_cases(
    conn: &Connection,
    published_only: bool,
) -> Result<Vec<TypicalCase>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {TYPICAL_COLUMNS} FROM typical_cases WHERE published = 1 OR NOT ?1 \
             ORDER BY created_at_us, id"
        ))
        .map_err(db("reading the typical-case register"))?;
    let mut rows = stmt
        .query([published_only])
        .map_err(db("reading the typical-case register"))?;
    let mut found = Vec::new();
    while let Some(row) = rows
        .next()
        .map_err(db("reading the typical-case register"))?
    {
        found.push(typical_from_row(row)?);
    }
    Ok(found)
}

pub(super) fn publish_typical_case(
    conn: &Connection,
    id: &str,
    at_us: i64,
) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE typical_cases SET published = 1, published_at_us = ?2 \
             WHERE id = ?1 AND published = 0",
        )
        .and_then(|mut update| update.execute(params![id, at_us]))
        .map_err(db("publishing a typical case"))?;
    Ok(changed == 1)
}
