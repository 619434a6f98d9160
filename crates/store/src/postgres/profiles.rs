//! The cache of public profiles (`subject_profiles`, migration 9).

use chrono::NaiveDate;
use postgres::GenericClient;

use super::{Conn, Db, column, read};
use crate::{CachedProfile, StoreError};

pub(super) fn cached_profile(
    db: &mut Db<'_, impl GenericClient>,
    code: &str,
    version: &str,
    today: NaiveDate,
) -> Result<Option<Vec<u8>>, StoreError> {
    db.query_opt(
        &format!(
            "SELECT body FROM subject_profiles WHERE subject = {} \
             AND version = $2 AND valid_from <= $3 AND (valid_until IS NULL OR $3 < valid_until)",
            read::RESOLVED
        ),
        &[&code, &version, &today],
        "reading a cached profile",
    )?
    .map(|row| column(&row, 0, "subject_profiles.body"))
    .transpose()
}

pub(super) fn keep_profiles(
    conn: &mut Conn,
    head: u64,
    profiles: &[CachedProfile],
) -> Result<bool, StoreError> {
    let head = i64::try_from(head).unwrap_or(i64::MAX);
    conn.write("keeping profiles", |db| {
        // A share lock on the head: an append that has moved it is waited for and then seen,
        // and one that has not yet waits until these entries are in, so that its triggers
        // find them and drop what it changes.
        let row = db.query_one(
            "SELECT seq FROM chain_head WHERE id = 1 FOR SHARE",
            &[],
            "reading the chain head",
        )?;
        let now: i64 = column(&row, 0, "chain_head.seq")?;
        if now != head {
            return Ok(false);
        }
        for profile in profiles {
            db.execute(
                "INSERT INTO subject_profiles (subject, version, valid_from, valid_until, body) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (subject) DO UPDATE SET version = excluded.version, \
                 valid_from = excluded.valid_from, valid_until = excluded.valid_until, \
                 body = excluded.body",
                &[
                    &profile.subject,
                    &profile.version,
                    &profile.valid_from,
                    &profile.valid_until,
                    &profile.body,
                ],
                "keeping a profile",
            )?;
        }
        Ok(true)
    })
}

pub(super) fn subjects_without_profile(
    db: &mut Db<'_, impl GenericClient>,
    after: &str,
    version: &str,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    db.query(
        "SELECT code FROM subjects s WHERE code > $1 \
         AND NOT EXISTS (SELECT 1 FROM subject_codes c WHERE c.old_code = s.code) \
         AND NOT EXISTS (SELECT 1 FROM subject_profiles p WHERE p.subject = s.code \
             AND p.version = $2 AND p.valid_from <= $3 \
             AND (p.valid_until IS NULL OR $3 < p.valid_until)) \
         ORDER BY code LIMIT $4",
        &[&after, &version, &today, &limit],
        "listing subjects without a cached profile",
    )?
    .iter()
    .map(|row| column(row, 0, "subjects.code"))
    .collect()
}
