//! The cache of public profiles (`subject_profiles`, migration 9).

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{db, read};
use crate::{CachedProfile, StoreError};

pub(super) fn cached_profile(
    conn: &Connection,
    code: &str,
    version: &str,
    today: NaiveDate,
) -> Result<Option<Vec<u8>>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT body FROM subject_profiles WHERE subject = {} \
         AND version = ?2 AND valid_from <= ?3 AND (valid_until IS NULL OR ?3 < valid_until)",
        read::RESOLVED
    ))
    .and_then(|mut stmt| {
        stmt.query_row(params![code, version, today.to_string()], |row| row.get(0))
            .optional()
    })
    .map_err(db("reading a cached profile"))
}

pub(super) fn keep_profiles(
    conn: &mut Connection,
    head: u64,
    profiles: &[CachedProfile],
) -> Result<bool, StoreError> {
    // The write lock first: no event can be appended between the look at the head and the
    // inserts.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("keeping profiles"))?;
    if read::seq(read::chain_head(&tx)?.seq, "the chain head")? != head {
        return Ok(false);
    }
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT OR REPLACE INTO subject_profiles \
                 (subject, version, valid_from, valid_until, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(db("keeping profiles"))?;
        for profile in profiles {
            insert
                .execute(params![
                    profile.subject,
                    profile.version,
                    profile.valid_from.to_string(),
                    profile.valid_until.map(|day| day.to_string()),
                    profile.body
                ])
                .map_err(db("keeping a profile"))?;
        }
    }
    tx.commit().map_err(db("keeping profiles"))?;
    Ok(true)
}

pub(super) fn subjects_without_profile(
    conn: &Connection,
    after: &str,
    version: &str,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    read::query_all(
        conn,
        "SELECT code FROM subjects s WHERE code > ?1 \
         AND code NOT IN (SELECT old_code FROM subject_codes) \
         AND NOT EXISTS (SELECT 1 FROM subject_profiles p WHERE p.subject = s.code \
             AND p.version = ?2 AND p.valid_from <= ?3 \
             AND (p.valid_until IS NULL OR ?3 < p.valid_until)) \
         ORDER BY code LIMIT ?4",
        params![after, version, today.to_string(), limit as i64],
        "listing subjects without a cached profile",
        |row| read::column(row, 0, "subjects.code"),
    )
}
