//! Webhook subscriptions and their deliveries, the feedback log and its statistics, and the
//! typical-case register.

use std::collections::BTreeMap;

use postgres::{GenericClient, Row};

use super::read::{corrupt, record_id};
use super::{Conn, Db, Params, column, describe, is_constraint};
use crate::decode::{json_list, to_json, unsigned};
use crate::{
    Attempt, CheckTally, Delivery, DeliveryQuery, DeliveryStatus, DispatchPosition, Feedback,
    FeedbackOutcome, MeasureTally, NewDelivery, StoreError, Subscription, TypicalCase,
};

/// A `u64` of the domain as the `BIGINT` it is stored as; beyond `i64` nothing is stored.
fn stored(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, unit, key_id, url, scenarios, purpose, after_seq, created_at_us, revoked_at_us";

fn subscription_from_row(row: &Row) -> Result<Subscription, StoreError> {
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
    db: &mut Db<'_, impl GenericClient>,
    condition: &str,
    params: Params<'_>,
) -> Result<Vec<Subscription>, StoreError> {
    db.query(
        &format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE {condition} \
             ORDER BY created_at_us, id"
        ),
        params,
        "reading subscriptions",
    )?
    .iter()
    .map(subscription_from_row)
    .collect()
}

pub(super) fn add_subscription(
    db: &mut Db<'_, impl GenericClient>,
    subscription: &Subscription,
    secret: &str,
) -> Result<(), StoreError> {
    db.try_execute(
        &format!(
            "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}, secret) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        &[
            &subscription.id,
            &subscription.unit,
            &subscription.key_id,
            &subscription.url,
            &to_json(&subscription.scenarios),
            &subscription.purpose,
            &stored(subscription.after_seq),
            &subscription.created_at_us,
            &subscription.revoked_at_us,
            &secret,
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(format!(
                "subscription {} exists: {}",
                subscription.id,
                describe(&e)
            ))
        } else {
            StoreError::Database(format!("storing a subscription: {}", describe(&e)))
        }
    })?;
    Ok(())
}

pub(super) fn subscriptions(
    db: &mut Db<'_, impl GenericClient>,
) -> Result<Vec<Subscription>, StoreError> {
    subscriptions_where(db, "true", &[])
}

pub(super) fn subscription(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Option<Subscription>, StoreError> {
    Ok(subscriptions_where(db, "id = $1", &[&id])?.pop())
}

pub(super) fn subscription_secret(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
) -> Result<Option<String>, StoreError> {
    db.query_opt(
        "SELECT secret FROM subscriptions WHERE id = $1",
        &[&id],
        "reading a subscription's secret",
    )?
    .map(|row| column(&row, 0, format_args!("subscription {id}: secret")))
    .transpose()
}

pub(super) fn revoke_subscription(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
    at_us: i64,
) -> Result<bool, StoreError> {
    let changed = db.execute(
        "UPDATE subscriptions SET revoked_at_us = $2 WHERE id = $1 AND revoked_at_us IS NULL",
        &[&id, &at_us],
        "revoking a subscription",
    )?;
    Ok(changed == 1)
}

pub(super) fn dispatch_position(
    db: &mut Db<'_, impl GenericClient>,
) -> Result<DispatchPosition, StoreError> {
    let Some(row) = db.query_opt(
        "SELECT event_seq, expiry_through FROM dispatch_position WHERE id = 1",
        &[],
        "reading the dispatch position",
    )?
    else {
        return Ok(DispatchPosition::default());
    };
    let event_seq: i64 = column(&row, 0, "dispatch_position.event_seq")?;
    Ok(DispatchPosition {
        event_seq: unsigned(event_seq, "dispatch_position.event_seq")?,
        expiry_through: column(&row, 1, "dispatch_position.expiry_through")?,
    })
}

const DELIVERY_COLUMNS: &str = "id, subscription, subject, seq, kind, record, on_day, reasons, \
     attempts, next_attempt_us, status, last_error, delivered_at_us, created_at_us";

fn delivery_from_row(row: &Row) -> Result<Delivery, StoreError> {
    let id: i64 = column(row, 0, "deliveries.id")?;
    let what = |part: &str| format!("delivery {id}: {part}");
    let seq: i64 = column(row, 3, what("seq"))?;
    let record: Option<Vec<u8>> = column(row, 5, what("record"))?;
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
        on: column(row, 6, what("on_day"))?,
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
    db: &mut Db<'_, impl GenericClient>,
    from: &str,
    condition: &str,
    params: Params<'_>,
) -> Result<Vec<Delivery>, StoreError> {
    db.query(
        &format!("SELECT {DELIVERY_COLUMNS} FROM {from} d WHERE {condition}"),
        params,
        "reading deliveries",
    )?
    .iter()
    .map(delivery_from_row)
    .collect()
}

pub(super) fn enqueue_deliveries(
    conn: &mut Conn,
    deliveries: &[NewDelivery],
    position: &DispatchPosition,
) -> Result<u64, StoreError> {
    conn.write("enqueueing deliveries", |db| {
        // Ids grow in commit order, as for the audit log: a reader paging by id skips none.
        db.execute(
            "LOCK TABLE deliveries IN SHARE ROW EXCLUSIVE MODE",
            &[],
            "locking the deliveries",
        )?;
        let mut inserted = 0;
        for delivery in deliveries {
            let record = delivery.record.as_ref().map(|r| &r.0[..]);
            inserted += db.execute(
                "INSERT INTO deliveries (subscription, subject, seq, kind, record, on_day, \
                     reasons, attempts, next_attempt_us, status, created_at_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, 'pending', $8) \
                 ON CONFLICT DO NOTHING",
                &[
                    &delivery.subscription,
                    &delivery.subject,
                    &stored(delivery.seq),
                    &delivery.kind,
                    &record,
                    &delivery.on,
                    &delivery.reasons,
                    &delivery.created_at_us,
                ],
                "enqueueing a delivery",
            )?;
        }
        db.execute(
            "INSERT INTO dispatch_position (id, event_seq, expiry_through) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET event_seq = EXCLUDED.event_seq, \
                 expiry_through = EXCLUDED.expiry_through",
            &[&stored(position.event_seq), &position.expiry_through],
            "moving the dispatch position",
        )?;
        Ok(inserted)
    })
}

pub(super) fn due_deliveries(
    db: &mut Db<'_, impl GenericClient>,
    now_us: i64,
    per_subscription: usize,
) -> Result<Vec<Delivery>, StoreError> {
    let per_subscription = i64::try_from(per_subscription).unwrap_or(i64::MAX);
    deliveries_where(
        db,
        "(SELECT *, row_number() OVER \
            (PARTITION BY subscription ORDER BY next_attempt_us, id) AS place \
          FROM deliveries \
          WHERE status = 'pending' AND next_attempt_us <= $1 \
            AND subscription IN (SELECT id FROM subscriptions WHERE revoked_at_us IS NULL))",
        "d.place <= $2 ORDER BY d.next_attempt_us, d.id",
        &[&now_us, &per_subscription],
    )
}

pub(super) fn settle_delivery(
    db: &mut Db<'_, impl GenericClient>,
    id: u64,
    attempt: &Attempt,
) -> Result<bool, StoreError> {
    let id = stored(id);
    let changed = match attempt {
        Attempt::Delivered { at_us } => db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, status = 'delivered', \
             delivered_at_us = $2 WHERE id = $1 AND status = 'pending'",
            &[&id, at_us],
            "recording a delivery attempt",
        )?,
        Attempt::Failed {
            at_us,
            error,
            retry_at_us,
        } => db.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = $3, \
             status = CASE WHEN $4::bigint IS NULL THEN 'dead' ELSE 'pending' END, \
             next_attempt_us = coalesce($4, $2) \
             WHERE id = $1 AND status = 'pending'",
            &[&id, at_us, error, retry_at_us],
            "recording a delivery attempt",
        )?,
    };
    Ok(changed == 1)
}

pub(super) fn deliveries(
    db: &mut Db<'_, impl GenericClient>,
    query: &DeliveryQuery,
) -> Result<Vec<Delivery>, StoreError> {
    deliveries_where(
        db,
        "deliveries",
        "d.id > $1 AND ($2::text IS NULL OR d.subscription = $2) \
         AND ($3::text IS NULL OR d.status = $3) \
         ORDER BY d.id LIMIT $4",
        &[
            &stored(query.after_id),
            &query.subscription,
            &query.status.map(DeliveryStatus::as_str),
            &i64::try_from(query.limit).unwrap_or(i64::MAX),
        ],
    )
}

pub(super) fn requeue_deliveries(
    db: &mut Db<'_, impl GenericClient>,
    subscription: &str,
    from_seq: Option<u64>,
    at_us: i64,
) -> Result<u64, StoreError> {
    db.execute(
        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_us = $2 \
         WHERE subscription = $1 \
           AND CASE WHEN $3::bigint IS NULL THEN status = 'dead' ELSE seq >= $3 END",
        &[&subscription, &at_us, &from_seq.map(stored)],
        "re-queueing deliveries",
    )
}

const FEEDBACK_COLUMNS: &str =
    "seq, receipt, measure, outcome, reason, unit, subject, key_id, at_us";

fn feedback_from_row(row: &Row) -> Result<Feedback, StoreError> {
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

/// Appends under a table lock, so that positions grow in commit order (see the audit log).
pub(super) fn append_feedback(conn: &mut Conn, feedback: &Feedback) -> Result<u64, StoreError> {
    let seq = conn.write("appending feedback", |db| {
        db.execute(
            "LOCK TABLE feedback IN SHARE ROW EXCLUSIVE MODE",
            &[],
            "locking the feedback log",
        )?;
        let row = db
            .try_query(
                "INSERT INTO feedback (receipt, measure, outcome, reason, unit, subject, \
                     key_id, at_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
                &[
                    &feedback.receipt,
                    &feedback.measure,
                    &feedback.outcome.as_str(),
                    &feedback.reason,
                    &feedback.unit,
                    &feedback.subject,
                    &feedback.key_id,
                    &feedback.at_us,
                ],
            )
            .map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Conflict(format!(
                        "feedback on measure {} of receipt {} is refused: {}",
                        feedback.measure,
                        feedback.receipt,
                        describe(&e)
                    ))
                } else {
                    StoreError::Database(format!("appending feedback: {}", describe(&e)))
                }
            })?;
        let row = row
            .first()
            .ok_or_else(|| StoreError::Database("appending feedback returned no row".into()))?;
        column::<i64>(row, 0, "feedback.seq")
    })?;
    unsigned(seq, "feedback.seq")
}

pub(super) fn feedback_of(
    db: &mut Db<'_, impl GenericClient>,
    receipt: &str,
) -> Result<Vec<Feedback>, StoreError> {
    db.query(
        &format!("SELECT {FEEDBACK_COLUMNS} FROM feedback WHERE receipt = $1 ORDER BY seq"),
        &[&receipt],
        "reading feedback",
    )?
    .iter()
    .map(feedback_from_row)
    .collect()
}

/// Checks made in the period: `$1` from (inclusive), `$2` to (exclusive), each optional.
const IN_PERIOD: &str =
    "($1::bigint IS NULL OR c.at_us >= $1) AND ($2::bigint IS NULL OR c.at_us < $2)";

pub(super) fn check_tallies(
    db: &mut Db<'_, impl GenericClient>,
    from_us: Option<i64>,
    to_us: Option<i64>,
) -> Result<Vec<CheckTally>, StoreError> {
    db.query(
        &format!(
            "SELECT c.scenario, c.unit, count(*) FROM checks c WHERE {IN_PERIOD} \
             GROUP BY c.scenario, c.unit ORDER BY c.scenario, c.unit"
        ),
        &[&from_us, &to_us],
        "counting checks",
    )?
    .iter()
    .map(|row| {
        let checks: i64 = column(row, 2, "a check count")?;
        Ok(CheckTally {
            scenario: column(row, 0, "checks.scenario")?,
            unit: column(row, 1, "checks.unit")?,
            checks: checks.unsigned_abs(),
        })
    })
    .collect()
}

pub(super) fn measure_tallies(
    db: &mut Db<'_, impl GenericClient>,
    from_us: Option<i64>,
    to_us: Option<i64>,
) -> Result<Vec<MeasureTally>, StoreError> {
    let mut tallies: BTreeMap<(String, Option<String>), MeasureTally> = BTreeMap::new();
    // The answer is the JSON the check was answered with (an empty object should a row not
    // hold JSON); its measures and rewards name their `id` and whether they were `suspended`.
    let returned = tally_rows(
        db,
        &format!(
            "WITH a AS (SELECT c.unit, coalesce(try_jsonb(c.answer), '{{}}') AS answer \
                        FROM checks c WHERE {IN_PERIOD}), \
             m AS (SELECT a.unit, m.value FROM a, jsonb_array_elements( \
                       CASE WHEN jsonb_typeof(a.answer -> 'measures') = 'array' \
                            THEN a.answer -> 'measures' ELSE '[]' END) m \
                   UNION ALL \
                   SELECT a.unit, r.value FROM a, jsonb_array_elements( \
                       CASE WHEN jsonb_typeof(a.answer -> 'rewards') = 'array' \
                            THEN a.answer -> 'rewards' ELSE '[]' END) r) \
             SELECT m.value ->> 'id' AS measure, m.unit, count(*), \
                    count(*) FILTER (WHERE m.value -> 'suspended' IN ('true', '1')) \
             FROM m WHERE m.value ->> 'id' IS NOT NULL \
             GROUP BY measure, m.unit"
        ),
        from_us,
        to_us,
        "counting the measures checks returned",
    )?;
    for (measure, unit, times, suspended) in returned {
        let tally = tally_of(&mut tallies, measure, unit);
        tally.returned += times.unsigned_abs();
        tally.suspended += suspended.unsigned_abs();
    }
    let reported = tally_rows(
        db,
        &format!(
            "SELECT f.measure, c.unit, \
                    count(*) FILTER (WHERE f.outcome = 'applied'), \
                    count(*) FILTER (WHERE f.outcome = 'not_applicable') \
             FROM feedback f JOIN checks c ON c.receipt = f.receipt WHERE {IN_PERIOD} \
             GROUP BY f.measure, c.unit"
        ),
        from_us,
        to_us,
        "counting feedback",
    )?;
    for (measure, unit, applied, not_applicable) in reported {
        let tally = tally_of(&mut tallies, measure, unit);
        tally.applied += applied.unsigned_abs();
        tally.not_applicable += not_applicable.unsigned_abs();
    }
    Ok(tallies.into_values().collect())
}

/// A measure, the unit that checked, and two counts.
type TallyRow = (String, Option<String>, i64, i64);

/// Rows of (measure, unit, two counts) over a period.
fn tally_rows(
    db: &mut Db<'_, impl GenericClient>,
    sql: &str,
    from_us: Option<i64>,
    to_us: Option<i64>,
    context: &str,
) -> Result<Vec<TallyRow>, StoreError> {
    db.query(sql, &[&from_us, &to_us], context)?
        .iter()
        .map(|row| {
            Ok((
                column(row, 0, "a tally's measure")?,
                column(row, 1, "a tally's unit")?,
                column(row, 2, "a tally's count")?,
                column(row, 3, "a tally's count")?,
            ))
        })
        .collect()
}

/// The tally of `measure` for `unit`, started at zero.
fn tally_of(
    tallies: &mut BTreeMap<(String, Option<String>), MeasureTally>,
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

fn typical_from_row(row: &Row) -> Result<TypicalCase, StoreError> {
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

pub(super) fn add_typical_case(
    db: &mut Db<'_, impl GenericClient>,
    case: &TypicalCase,
) -> Result<(), StoreError> {
    db.try_execute(
        &format!(
            "INSERT INTO typical_cases ({TYPICAL_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ),
        &[
            &case.id,
            &case.title,
            &case.subject,
            &case.subject_name,
            &to_json(&case.records),
            &to_json(&case.cases),
            &case.summary_zh,
            &case.published,
            &case.published_at_us,
            &case.created_at_us,
            &case.created_by,
        ],
    )
    .map_err(|e| {
        if is_constraint(&e) {
            StoreError::Conflict(format!(
                "typical case {} is refused: {}",
                case.id,
                describe(&e)
            ))
        } else {
            StoreError::Database(format!("adding a typical case: {}", describe(&e)))
        }
    })?;
    Ok(())
}

pub(super) fn typical_cases(
    db: &mut Db<'_, impl GenericClient>,
    published_only: bool,
) -> Result<Vec<TypicalCase>, StoreError> {
    db.query(
        &format!(
            "SELECT {TYPICAL_COLUMNS} FROM typical_cases WHERE published OR NOT $1 \
             ORDER BY created_at_us, id"
        ),
        &[&published_only],
        "reading the typical-case register",
    )?
    .iter()
    .map(typical_from_row)
    .collect()
}

pub(super) fn publish_typical_case(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
    at_us: i64,
) -> Result<bool, StoreError> {
    let changed = db.execute(
        "UPDATE typical_cases SET published = true, published_at_us = $2 \
         WHERE id = $1 AND NOT published",
        &[&id, &at_us],
        "publishing a typical case",
    )?;
    Ok(changed == 1)
}
