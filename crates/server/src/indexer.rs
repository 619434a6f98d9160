//! Keeps the search index in step with the store. The event log is the one source: the
//! indexer follows it from the last position it indexed, so records that arrive by any path
//! (the API, `gongxin import` in another process) are found shortly after.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use gongxin_core::catalog::{Catalog, FieldType};
use gongxin_core::personal::sealed_matching_hash;
use gongxin_search::{SearchIndex, SubjectDoc};
use gongxin_store::{Store, StoreError, StoredRecord, Subject};

use crate::state::AppState;

/// Events read per step.
const EVENTS_PER_STEP: usize = 10_000;
/// Subjects per rebuild page.
const SUBJECTS_PER_PAGE: usize = 1_000;

/// Failures of indexing, which the indexer logs and retries.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] gongxin_search::SearchError),
    #[error("the indexed position file {}: {source}", path.display())]
    Position {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where the search index of a data directory lives.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

/// The file that remembers the last event indexed.
fn position_file(data_dir: &Path) -> PathBuf {
    data_dir.join("search.seq")
}

fn read_position(data_dir: &Path) -> Result<u64, IndexError> {
    let path = position_file(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text.trim().parse().unwrap_or(0)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(source) => Err(IndexError::Position { path, source }),
    }
}

fn write_position(data_dir: &Path, seq: u64) -> Result<(), IndexError> {
    let path = position_file(data_dir);
    let temporary = path.with_extension("seq.tmp");
    std::fs::write(&temporary, format!("{seq}\n"))
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|source| IndexError::Position { path, source })
}

/// What the index holds about one subject, or `None` if the store has no such subject.
pub fn subject_doc(
    catalog: &Catalog,
    store: &dyn Store,
    code: &str,
) -> Result<Option<SubjectDoc>, StoreError> {
    let Some(subject) = store.subject(code)? else {
        return Ok(None);
    };
    let records = store.records_of(&subject.code)?;
    Ok(Some(doc_of(catalog, &subject, &records)))
}

/// What the index holds about `subject`, which holds `records`.
fn doc_of(catalog: &Catalog, subject: &Subject, records: &[StoredRecord]) -> SubjectDoc {
    let mut doc = SubjectDoc::new(&subject.code, &subject.name);
    doc.former_names = subject
        .names
        .iter()
        .filter(|n| **n != subject.name)
        .cloned()
        .collect();
    doc.old_codes = subject.old_codes.clone();
    doc.record_count = records.len() as u64;
    for stored in records {
        let Some(item) = catalog.item(&stored.record.key.item) else {
            continue;
        };
        for (code, value) in &stored.record.fields {
            let hash = item
                .field(code)
                .filter(|f| f.ty == FieldType::IdNumber)
                .and_then(|_| sealed_matching_hash(value));
            if let Some(hash) = hash
                && !doc.personal_id_hashes.iter().any(|h| h == hash)
            {
                doc.personal_id_hashes.push(hash.to_owned());
            }
        }
        let representative = item
            .roles
            .legal_representative
            .as_deref()
            .and_then(|field| stored.record.field(field));
        if let Some(name) = representative
            && !doc.legal_representatives.iter().any(|n| n == name)
        {
            doc.legal_representatives.push(name.to_owned());
        }
    }
    doc
}

/// Indexes the subjects of events after the remembered position; returns how many events
/// were taken in. Safe to repeat: indexing a subject twice gives the same document.
pub fn catch_up(
    catalog: &Catalog,
    store: &dyn Store,
    index: &SearchIndex,
    data_dir: &Path,
) -> Result<u64, IndexError> {
    let mut position = read_position(data_dir)?;
    let mut taken = 0;
    loop {
        let events = store.events_after(position, EVENTS_PER_STEP)?;
        let Some(last) = events.last() else {
            return Ok(taken);
        };
        let last_seq = last.seq;
        let codes: BTreeSet<&str> = events.iter().map(|e| e.subject.as_str()).collect();
        let mut docs = Vec::with_capacity(codes.len());
        for code in codes {
            docs.extend(subject_doc(catalog, store, code)?);
        }
        // Several old codes can resolve to one subject.
        docs.sort_by(|a, b| a.code.cmp(&b.code));
        docs.dedup_by(|a, b| a.code == b.code);
        index.upsert(&docs)?;
        taken += events.len() as u64;
        position = last_seq;
        write_position(data_dir, position)?;
    }
}

/// Builds the index afresh from every subject in the store and swaps it in.
pub fn rebuild(
    catalog: &Catalog,
    store: &dyn Store,
    index: &SearchIndex,
    data_dir: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, IndexError> {
    // Events after this are picked up by the next catch-up; earlier ones are in the rebuild.
    let head = store.counts()?.events;
    let mut after = String::new();
    let mut page: Vec<SubjectDoc> = Vec::new();
    let docs = std::iter::from_fn(|| -> Option<Result<SubjectDoc, StoreError>> {
        if page.is_empty() {
            let subjects = match store.subjects_after(&after, SUBJECTS_PER_PAGE) {
                Ok(subjects) => subjects,
                Err(e) => return Some(Err(e)),
            };
            after = subjects.last()?.code.clone();
            // A page's records in one read: one round trip per page, not per subject.
            let codes: Vec<&str> = subjects.iter().map(|s| s.code.as_str()).collect();
            let mut records = match store.records_of_many(&codes) {
                Ok(records) => records,
                Err(e) => return Some(Err(e)),
            };
            for subject in subjects.iter().rev() {
                let held = records.remove(&subject.code).unwrap_or_default();
                page.push(doc_of(catalog, subject, &held));
            }
        }
        page.pop().map(Ok)
    });
    let count = index.rebuild(docs, progress)?;
    write_position(data_dir, head)?;
    Ok(count)
}

/// Runs [`catch_up`] every `interval` until the server stops.
pub async fn follow(state: AppState, interval: Duration, data_dir: PathBuf) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let data_dir = data_dir.clone();
        let result = state
            .read(move |state, store| {
                let platform = &state.platform;
                catch_up(&platform.catalog, store, &platform.search, &data_dir)
                    .map_err(crate::error::ApiError::internal)
            })
            .await;
        match result {
            Ok(0) => {}
            Ok(events) => tracing::debug!(events, "search index caught up"),
            Err(error) => tracing::warn!(?error, "search indexing failed; retrying"),
        }
    }
}
