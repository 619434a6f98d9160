//! Public profiles answered from the store's cache (`subject_profiles`).
//!
//! A public profile depends only on what the store holds about the subject, on the catalog
//! and rules, and on the day — and on the day only where one of its records' publication
//! windows opens or closes. So the profile the public was answered is kept with the days it
//! holds; the next request for the subject, from anyone anonymous, is one read. The store
//! drops an entry in the transaction of every change to what it was built from, and keeps
//! none built from reads that an append overtook, so an entry found is current.
//!
//! Requests that built a profile leave it here ([`Pending`]); [`follow`] keeps them in
//! batches on the writer, and fills the cache for the subjects nobody has asked for yet, so
//! that the first request for any subject is answered from it too.
//!
//! Entries are gzip: a profile's JSON repeats its field labels in every record, and the cache
//! holds one per subject. A client that takes gzip gets the entry as it is; any other, the
//! JSON it holds.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use flate2::{Crc, Decompress, FlushDecompress, Status};
use gongxin_core::access::Principal;
use gongxin_core::catalog::Catalog;
use gongxin_core::publication::PublicationRules;
use gongxin_store::{CachedProfile, Store};
use sha2::{Digest, Sha256};

use crate::api::subjects::{PROFILE_RECORDS_PER_GROUP, build_profile};
use crate::error::ApiError;
use crate::state::{AppState, Platform};

/// The layout of a profile's JSON: raise it with any change to what a profile answers, so
/// that no entry of the old layout is answered again.
const LAYOUT: u32 = 2;

/// Subjects built per page when filling the cache: one write transaction each.
const FILL_PAGE: usize = 256;

/// Profiles built by requests and not kept yet, at most: beyond it they are not kept (the
/// fill builds them again later).
const MAX_PENDING: usize = 4096;

/// How often [`follow`] keeps what requests built, and looks again for subjects to fill once
/// it has found none.
const KEEP_INTERVAL: Duration = Duration::from_millis(200);
const REFILL_INTERVAL: Duration = Duration::from_secs(600);

/// The version of the profiles this platform builds: of its catalog, its publication rules,
/// this build and the answer's layout. An entry of another version is never answered.
pub fn profile_version(catalog: &Catalog, rules: &PublicationRules) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "layout {LAYOUT} gongxin {}\n",
        env!("CARGO_PKG_VERSION")
    ));
    // With its keys sorted: the catalog keeps some maps as hash maps, whose order differs
    // between two loads of the same files.
    let mut catalog = serde_json::to_value(catalog).expect("a catalog serialises");
    catalog.sort_all_objects();
    hasher.update(catalog.to_string());
    // The rules have no serialised form; their debug form names every value they hold.
    hasher.update(format!("{rules:?}"));
    hex::encode(&hasher.finalize()[..12])
}

/// A profile a request built, to keep.
#[derive(Debug)]
pub struct Pending {
    /// The log position before its reads.
    head: u64,
    entry: CachedProfile,
}

/// Profiles built by requests, waiting for [`follow`] to keep them.
#[derive(Debug, Default)]
pub struct PendingProfiles(Mutex<Vec<Pending>>);

impl PendingProfiles {
    fn push(&self, pending: Pending) {
        let mut list = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if list.len() < MAX_PENDING {
            list.push(pending);
        }
    }

    /// The newest log position among the waiting profiles and those built at it; the others
    /// were built before an append and are dropped (the store would refuse them).
    fn take(&self) -> Option<(u64, Vec<CachedProfile>)> {
        let list = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        let head = list.iter().map(|p| p.head).max()?;
        let entries = list
            .into_iter()
            .filter(|p| p.head == head)
            .map(|p| p.entry)
            .collect();
        Some((head, entries))
    }
}

/// A public profile as the API answers it.
#[derive(Debug)]
pub enum Answer {
    /// The cached entry: gzip of the JSON.
    Gzip(Vec<u8>),
    /// Built for this request: the JSON.
    Json(Vec<u8>),
}

impl Answer {
    /// The JSON, decompressed if it is the cached entry.
    pub fn into_json(self) -> Result<Vec<u8>, ApiError> {
        match self {
            Answer::Json(json) => Ok(json),
            Answer::Gzip(gzip) => {
                gunzip(&gzip).map_err(|e| ApiError::internal(format!("a cached profile: {e}")))
            }
        }
    }
}

thread_local! {
    /// A deflate decoder per thread, reset for each answer: setting one up for every answer
    /// (its state and window) is avoidable work on the hot path of a public profile.
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// The JSON of an entry as [`compress`] wrote it: a 10-byte gzip header without optional
/// fields, raw deflate, then the JSON's CRC-32 and length — which sizes the output exactly.
fn gunzip(gzip: &[u8]) -> Result<Vec<u8>, String> {
    const HEADER: usize = 10;
    const TRAILER: usize = 8;
    /// An entry claiming more is damaged: no profile comes near it.
    const MAX_JSON: usize = 64 << 20;
    let [0x1f, 0x8b, 8, 0, ..] = gzip else {
        return Err("not gzip without optional header fields".to_owned());
    };
    let Some(deflate_end) = gzip.len().checked_sub(TRAILER).filter(|&end| end >= HEADER) else {
        return Err("cut short".to_owned());
    };
    let (deflate, trailer) = (&gzip[HEADER..deflate_end], &gzip[deflate_end..]);
    let word = |at: usize| {
        u32::from_le_bytes([
            trailer[at],
            trailer[at + 1],
            trailer[at + 2],
            trailer[at + 3],
        ])
    };
    let (crc, size) = (word(0), word(4) as usize);
    if size > MAX_JSON {
        return Err(format!("claims {size} bytes"));
    }
    let mut json = Vec::with_capacity(size);
    let status = INFLATE
        .with_borrow_mut(|inflate| {
            inflate.reset(false);
            inflate.decompress_vec(deflate, &mut json, FlushDecompress::Finish)
        })
        .map_err(|e| e.to_string())?;
    let mut check = Crc::new();
    check.update(&json);
    if status != Status::StreamEnd || json.len() != size || check.sum() != crc {
        return Err("the inflated JSON does not match its length and checksum".to_owned());
    }
    Ok(json)
}

/// The public profile of the subject `code` belongs to: the cached one if an entry holds on
/// `today`, otherwise built, with the entry to keep.
pub fn public_profile(
    platform: &Platform,
    store: &dyn Store,
    code: &str,
    today: NaiveDate,
) -> Result<(Answer, Option<Pending>), ApiError> {
    if let Some(gzip) = store.cached_profile(code, &platform.profile_version, today)? {
        return Ok((Answer::Gzip(gzip), None));
    }
    let (json, pending) = build(platform, store, code, today)?;
    Ok((Answer::Json(json), Some(pending)))
}

/// gzip of `json`, as entries are kept.
fn compress(json: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 4),
        flate2::Compression::default(),
    );
    encoder
        .write_all(json)
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

/// Builds the public profile of `code` on `today`, with the entry that keeps it (its body
/// still the JSON: it is compressed where it is kept, off the request's path).
fn build(
    platform: &Platform,
    store: &dyn Store,
    code: &str,
    today: NaiveDate,
) -> Result<(Vec<u8>, Pending), ApiError> {
    // Before the reads: an append after it makes the store refuse the entry.
    let head = store.log_head()?;
    let built = build_profile(
        platform,
        store,
        &Principal::Public,
        code,
        today,
        PROFILE_RECORDS_PER_GROUP,
    )?;
    let body = serde_json::to_vec(&built.profile).map_err(ApiError::internal)?;
    let entry = CachedProfile {
        subject: built.profile.subject.code,
        version: platform.profile_version.clone(),
        valid_from: today,
        valid_until: built.changes_on,
        body: body.clone(),
    };
    Ok((body, Pending { head, entry }))
}

/// [`public_profile`] for a request: on a read connection, leaving a built profile to keep.
pub async fn answer(state: &AppState, code: &str) -> Result<Answer, ApiError> {
    let code = gongxin_codes::normalise(code);
    let cached = state.read_now(|state, store| {
        let platform = &state.platform;
        Ok(store.cached_profile(&code, &platform.profile_version, platform.clock.today())?)
    });
    // Whether the entry was looked for already: a miss then goes straight to the build.
    let looked = match cached.transpose()? {
        Some(Some(gzip)) => return Ok(Answer::Gzip(gzip)),
        Some(None) => true,
        None => false,
    };
    let (answer, pending) = state
        .read(move |state, store| {
            let platform = &state.platform;
            let today = platform.clock.today();
            if looked {
                let (json, pending) = build(platform, store, &code, today)?;
                return Ok((Answer::Json(json), Some(pending)));
            }
            public_profile(platform, store, &code, today)
        })
        .await?;
    if let Some(pending) = pending {
        state.pending_profiles.push(pending);
    }
    Ok(answer)
}

/// One page of the fill: the profiles of up to [`FILL_PAGE`] subjects after `after` that
/// have none holding on `today`, and the log position before their reads.
#[derive(Debug)]
pub struct FillPage {
    pub head: u64,
    pub profiles: Vec<CachedProfile>,
    /// The last subject of the page: where the next starts; `None` when none was left.
    pub last: Option<String>,
}

pub fn fill_page(
    platform: &Platform,
    store: &dyn Store,
    after: &str,
    today: NaiveDate,
) -> Result<FillPage, ApiError> {
    let head = store.log_head()?;
    let codes =
        store.subjects_without_profile(after, &platform.profile_version, today, FILL_PAGE)?;
    let mut profiles = Vec::with_capacity(codes.len());
    for code in &codes {
        let (_, mut pending) = build(platform, store, code, today)?;
        pending.entry.body = compress(&pending.entry.body);
        profiles.push(pending.entry);
    }
    Ok(FillPage {
        head,
        profiles,
        last: codes.last().cloned(),
    })
}

/// What [`fill`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Filled {
    /// Profiles built.
    pub built: u64,
    /// Profiles kept: the built ones but those of pages an append overtook.
    pub kept: u64,
    /// Their entries (gzip), in bytes.
    pub bytes: u64,
}

/// Fills the cache with the public profile of every subject that has none holding on
/// `today`, reading on `reader` and keeping on `writer`; `progress` gets the number of
/// subjects built so far. Pages that an append overtook are not kept.
pub fn fill(
    platform: &Platform,
    reader: &dyn Store,
    writer: &mut dyn Store,
    today: NaiveDate,
    progress: &mut dyn FnMut(u64),
) -> Result<Filled, ApiError> {
    let mut after = String::new();
    let mut filled = Filled::default();
    loop {
        let page = fill_page(platform, reader, &after, today)?;
        let Some(last) = page.last else {
            return Ok(filled);
        };
        filled.built += page.profiles.len() as u64;
        if writer.keep_profiles(page.head, &page.profiles)? {
            filled.kept += page.profiles.len() as u64;
            filled.bytes += page
                .profiles
                .iter()
                .map(|p| p.body.len() as u64)
                .sum::<u64>();
        }
        progress(filled.built);
        after = last;
    }
}

/// Keeps what requests built, every [`KEEP_INTERVAL`]; with `fill_profiles` on, also fills
/// the cache a page at a time, and looks again every [`REFILL_INTERVAL`] and when the day
/// changes (profiles built for the day before may have ended).
pub async fn follow(state: AppState) {
    let mut ticker = tokio::time::interval(KEEP_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Where the fill goes on from; `None` once it found nothing left, until it looks again.
    let mut fill_after = Some(String::new());
    let mut looked = (Instant::now(), state.platform.clock.today());
    loop {
        ticker.tick().await;
        if let Some((head, entries)) = state.pending_profiles.take() {
            // Off the runtime's threads: a full batch takes a good part of a second.
            let compressed = tokio::task::spawn_blocking(move || {
                entries
                    .into_iter()
                    .map(|entry| CachedProfile {
                        body: compress(&entry.body),
                        ..entry
                    })
                    .collect::<Vec<_>>()
            })
            .await;
            match compressed {
                Ok(entries) => {
                    if let Err(error) = keep(&state, head, entries).await {
                        tracing::warn!(?error, "keeping built profiles failed");
                    }
                }
                Err(error) => tracing::warn!(?error, "compressing built profiles failed"),
            }
        }
        if !state.config.fill_profiles {
            continue;
        }
        let today = state.platform.clock.today();
        if fill_after.is_none() && (looked.0.elapsed() >= REFILL_INTERVAL || looked.1 != today) {
            fill_after = Some(String::new());
        }
        let Some(after) = fill_after.take() else {
            continue;
        };
        let page = state
            .read(move |state, store| fill_page(&state.platform, store, &after, today))
            .await;
        match page {
            Ok(page) => {
                fill_after = page.last;
                if fill_after.is_none() {
                    looked = (Instant::now(), today);
                }
                if let Err(error) = keep(&state, page.head, page.profiles).await {
                    tracing::warn!(?error, "keeping filled profiles failed");
                }
            }
            Err(error) => {
                tracing::warn!(?error, "filling the profile cache failed; retrying");
                looked = (Instant::now(), today);
            }
        }
    }
}

async fn keep(state: &AppState, head: u64, entries: Vec<CachedProfile>) -> Result<(), ApiError> {
    if entries.is_empty() {
        return Ok(());
    }
    state
        .write(move |_, store| Ok(store.keep_profiles(head, &entries)?))
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The version is the same for every load of the same catalog (some of its maps are hash
    /// maps), and another catalog gives another.
    #[test]
    fn the_version_follows_the_catalog_not_the_load() {
        let rules = PublicationRules::default_rules();
        let load = || Catalog::embedded().expect("the embedded catalog");
        let version = profile_version(&load(), rules);
        assert!((0..8).all(|_| profile_version(&load(), rules) == version));
        let mut other = load();
        other.version.push_str("-local");
        assert_ne!(profile_version(&other, rules), version);
    }

    /// An entry inflates to the JSON it was made of, on a thread that has inflated another
    /// before; a damaged one is an error, never a wrong answer.
    #[test]
    fn an_entry_inflates_to_its_json_and_a_damaged_one_is_refused() {
        let json = |n: usize| {
            format!(
                r#"{{"subject":"91350200MA2XYZ1234","records":["{}"]}}"#,
                "处罚".repeat(n)
            )
            .into_bytes()
        };
        for n in [0, 1, 5000, 3] {
            assert_eq!(gunzip(&compress(&json(n))).unwrap(), json(n));
        }
        let entry = compress(&json(200));
        let mut flipped = entry.clone();
        flipped[entry.len() / 2] ^= 0x40;
        let mut wrong_length = entry.clone();
        let at = entry.len() - 4;
        wrong_length[at] ^= 1;
        for damaged in [
            &entry[..entry.len() - 1],
            &entry[..12],
            &entry[1..],
            &flipped[..],
            &wrong_length[..],
        ] {
            assert!(gunzip(damaged).is_err());
        }
        assert_eq!(gunzip(&entry).unwrap(), json(200));
    }
}
