//! API keys, the audit log and arrival statistics.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::db;
use crate::{ApiKey, ArrivalCount, AuditEntry, AuditQuery, StoreError};

const KEY_COLUMNS: &str = "id, name, principal, created_at_us, created_by, revoked_at_us";

/// Decodes a key row; the principal column, which only this module writes, is JSON.
fn key_from_row(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    let principal: String = row.get(2)?;
    let principal = serde_json::from_str(&principal).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(ApiKey {
        id: row.get(0)?,
        name: row.get(1)?,
        principal,
        created_at_us: row.get(3)?,
        created_by: row.get(4)?,
        revoked_at_us: row.get(5)?,
    })
}

pub(super) fn add_key(
    conn: &Connection,
    key: &ApiKey,
    secret_sha256: &[u8; 32],
) -> Result<(), StoreError> {
    let principal = serde_json::to_string(&key.principal).expect("a principal serialises");
    conn.prepare_cached(
        "INSERT INTO api_keys (id, secret_sha256, name, principal, created_at_us, created_by, revoked_at_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            key.id,
            &secret_sha256[..],
            key.name,
            principal,
            key.created_at_us,
            key.created_by,
            key.revoked_at_us
        ])
    })
    .map_err(db("storing an API key"))?;
    Ok(())
}

pub(super) fn key_by_secret(
    conn: &Connection,
    secret_sha256: &[u8; 32],
) -> Result<Option<ApiKey>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = ?1"
    ))
    .and_then(|mut select| {
        select
            .query_row([&secret_sha256[..]], key_from_row)
            .optional()
    })
    .map_err(db("looking up an API key"))
}

pub(super) fn keys(conn: &Connection) -> Result<Vec<ApiKey>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at_us, id"
    ))
    .and_then(|mut select| select.query_map([], key_from_row)?.collect())
    .map_err(db("listing API keys"))
}

pub(super) fn revoke_key(conn: &Connection, id: &str, at_us: i64) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE api_keys SET revoked_at_us = ?2 WHERE id = ?1 AND revoked_at_us IS NULL",
        )
        .and_then(|mut update| update.execute(params![id, at_us]))
        .map_err(db("revoking an API key"))?;
    Ok(changed == 1)
}

pub(super) fn append_audit(conn: &Connection, entry: &AuditEntry) -> Result<u64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at_us, key_id, role, unit, subject, action, target, purpose, client)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            entry.at_us,
            entry.key_id,
            entry.role,
            entry.unit,
            entry.subject,
            entry.action,
            entry.target,
            entry.purpose,
            entry.client
        ])
    })
    .map_err(db("appending to the audit log"))?;
    Ok(conn.last_insert_rowid() as u64)
}

pub(super) fn audit(conn: &Connection, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    conn.prepare_cached(
        "SELECT seq, at_us, key_id, role, unit, subject, action, target, purpose, client
         FROM audit_log
         WHERE seq > ?1
           AND (?2 IS NULL OR subject = ?2)
           AND (?3 IS NULL OR key_id = ?3)
           AND (?4 IS NULL OR at_us >= ?4)
           AND (?5 IS NULL OR at_us < ?5)
         ORDER BY seq
         LIMIT ?6",
    )
    .and_then(|mut select| {
        select
            .query_map(
                params![
                    query.after_seq as i64,
                    query.subject,
                    query.key_id,
                    query.from_us,
                    query.to_us,
                    query.limit as i64
                ],
                |row| {
                    Ok(AuditEntry {
                        seq: row.get::<_, i64>(0)? as u64,
                        at_us: row.get(1)?,
                        key_id: row.get(2)?,
                        role: row.get(3)?,
                        unit: row.get(4)?,
                        subject: row.get(5)?,
                        action: row.get(6)?,
                        target: row.get(7)?,
                        purpose: row.get(8)?,
                        client: row.get(9)?,
                    })
                },
            )?
            .collect()
    })
    .map_err(db("reading the audit log"))
}

pub(super) fn arrivals(conn: &Connection) -> Result<Vec<ArrivalCount>, StoreError> {
    // Arrival days are counted in China Standard Time, as the working-day calendar is.
    let rows = conn
        .prepare(
            "SELECT source_unit, item, decision_date,
                    date(first_recorded_at_us / 1000000, 'unixepoch', '+8 hours') AS recorded_on,
                    count(*)
             FROM records
             GROUP BY source_unit, item, decision_date, recorded_on
             ORDER BY source_unit, item, decision_date, recorded_on",
        )
        .and_then(|mut select| {
            select
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, i64>(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db("counting arrivals"))?;
    let date = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("bad date `{text}` in records: {e}")))
    };
    rows.into_iter()
        .map(|(source_unit, item, decided, recorded, count)| {
            Ok(ArrivalCount {
                source_unit,
                item,
                decision_date: date(&decided)?,
                recorded_on: date(&recorded)?,
                count: count as u64,
            })
        })
        .collect()
}
