//! API keys, the audit log and arrival statistics.

use postgres::{GenericClient, Row};

use super::read::corrupt;
use super::{Conn, Db, column};
use crate::{ApiKey, ArrivalCount, AuditEntry, AuditQuery, StoreError};

const KEY_COLUMNS: &str = "id, name, principal, created_at_us, created_by, revoked_at_us";

/// Decodes a key row; the principal column, which only this module writes, is JSON.
fn key_from_row(row: &Row) -> Result<ApiKey, StoreError> {
    let id: String = column(row, 0, "api_keys.id")?;
    let principal: String = column(row, 2, format_args!("key {id}: principal"))?;
    let principal = serde_json::from_str(&principal)
        .map_err(|e| corrupt(format!("key {id}: principal: {e}")))?;
    Ok(ApiKey {
        name: column(row, 1, format_args!("key {id}: name"))?,
        principal,
        created_at_us: column(row, 3, format_args!("key {id}: created_at_us"))?,
        created_by: column(row, 4, format_args!("key {id}: created_by"))?,
        revoked_at_us: column(row, 5, format_args!("key {id}: revoked_at_us"))?,
        id,
    })
}

pub(super) fn add_key(
    db: &mut Db<'_, impl GenericClient>,
    key: &ApiKey,
    secret_sha256: &[u8; 32],
) -> Result<(), StoreError> {
    let principal = serde_json::to_string(&key.principal).expect("a principal serialises");
    db.execute(
        "INSERT INTO api_keys (id, secret_sha256, name, principal, created_at_us, created_by, \
             revoked_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &key.id,
            &&secret_sha256[..],
            &key.name,
            &principal,
            &key.created_at_us,
            &key.created_by,
            &key.revoked_at_us,
        ],
        "storing an API key",
    )?;
    Ok(())
}

pub(super) fn key_by_secret(
    db: &mut Db<'_, impl GenericClient>,
    secret_sha256: &[u8; 32],
) -> Result<Option<ApiKey>, StoreError> {
    db.query_opt(
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = $1"),
        &[&&secret_sha256[..]],
        "looking up an API key",
    )?
    .as_ref()
    .map(key_from_row)
    .transpose()
}

pub(super) fn keys(db: &mut Db<'_, impl GenericClient>) -> Result<Vec<ApiKey>, StoreError> {
    db.query(
        &format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at_us, id"),
        &[],
        "listing API keys",
    )?
    .iter()
    .map(key_from_row)
    .collect()
}

pub(super) fn revoke_key(
    db: &mut Db<'_, impl GenericClient>,
    id: &str,
    at_us: i64,
) -> Result<bool, StoreError> {
    let changed = db.execute(
        "UPDATE api_keys SET revoked_at_us = $2 WHERE id = $1 AND revoked_at_us IS NULL",
        &[&id, &at_us],
        "revoking an API key",
    )?;
    Ok(changed == 1)
}

/// Appends under a lock on the table that only other appends take (readers go on): the
/// position is drawn and committed before the next append draws one, so positions grow in
/// commit order and a reader paging through the log by position never skips an entry that
/// commits late. Without it, two concurrent appends could commit in the other order.
pub(super) fn append_audit(conn: &mut Conn, entry: &AuditEntry) -> Result<u64, StoreError> {
    let seq = conn.write("appending to the audit log", |db| {
        db.execute(
            "LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE",
            &[],
            "locking the audit log",
        )?;
        let row = db.query_one(
            "INSERT INTO audit_log (at_us, key_id, role, unit, subject, action, target, \
                 purpose, client) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
            &[
                &entry.at_us,
                &entry.key_id,
                &entry.role,
                &entry.unit,
                &entry.subject,
                &entry.action,
                &entry.target,
                &entry.purpose,
                &entry.client,
            ],
            "appending to the audit log",
        )?;
        column::<i64>(&row, 0, "audit_log.seq")
    })?;
    crate::decode::unsigned(seq, "audit_log.seq")
}

pub(super) fn audit(
    db: &mut Db<'_, impl GenericClient>,
    query: &AuditQuery,
) -> Result<Vec<AuditEntry>, StoreError> {
    let after = i64::try_from(query.after_seq).unwrap_or(i64::MAX);
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let rows = db.query(
        "SELECT seq, at_us, key_id, role, unit, subject, action, target, purpose, client \
         FROM audit_log \
         WHERE seq > $1 \
           AND ($2::text IS NULL OR subject = $2) \
           AND ($3::text IS NULL OR key_id = $3) \
           AND ($4::bigint IS NULL OR at_us >= $4) \
           AND ($5::bigint IS NULL OR at_us < $5) \
         ORDER BY seq \
         LIMIT $6",
        &[
            &after,
            &query.subject,
            &query.key_id,
            &query.from_us,
            &query.to_us,
            &limit,
        ],
        "reading the audit log",
    )?;
    rows.iter()
        .map(|row| {
            let seq: i64 = column(row, 0, "audit_log.seq")?;
            let what = |part: &str| format!("audit entry {seq}: {part}");
            Ok(AuditEntry {
                seq: crate::decode::unsigned(seq, "audit_log.seq")?,
                at_us: column(row, 1, what("at_us"))?,
                key_id: column(row, 2, what("key_id"))?,
                role: column(row, 3, what("role"))?,
                unit: column(row, 4, what("unit"))?,
                subject: column(row, 5, what("subject"))?,
                action: column(row, 6, what("action"))?,
                target: column(row, 7, what("target"))?,
                purpose: column(row, 8, what("purpose"))?,
                client: column(row, 9, what("client"))?,
            })
        })
        .collect()
}

pub(super) fn arrivals(
    db: &mut Db<'_, impl GenericClient>,
) -> Result<Vec<ArrivalCount>, StoreError> {
    // Arrival days are counted in China Standard Time, as the working-day calendar is; whole
    // seconds first (truncating, as SQLite's integer division does), then the day.
    let rows = db.query(
        "SELECT source_unit, item, decision_date, \
                (timestamp '1970-01-01 08:00:00' \
                    + make_interval(secs => first_recorded_at_us / 1000000))::date AS recorded_on, \
                count(*) \
         FROM records \
         GROUP BY source_unit, item, decision_date, recorded_on \
         ORDER BY source_unit, item, decision_date, recorded_on",
        &[],
        "counting arrivals",
    )?;
    rows.iter()
        .map(|row| {
            let what = "an arrival count";
            let count: i64 = column(row, 4, what)?;
            Ok(ArrivalCount {
                source_unit: column(row, 0, what)?,
                item: column(row, 1, what)?,
                decision_date: column(row, 2, what)?,
                recorded_on: column(row, 3, what)?,
                count: count.unsigned_abs(),
            })
        })
        .collect()
}
