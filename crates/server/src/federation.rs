//! Federation (省市县三级、双向共享): a node pulls a peer node's change feed and applies the
//! record changes to its own store, as the peer's credit office sees them.
//!
//! - **Idempotent.** A record is identified by its natural key on every node, and applying a
//!   version the store holds already changes nothing (no event), so pulling a page twice —
//!   after a crash between applying it and saving the cursor — is harmless.
//! - **Resumable.** The cursor (the peer's log position) is saved after every page, in a file
//!   of the data directory per peer, written atomically.
//! - **Origin.** Each change is applied with the actor `node:ORIGIN`, the node where it was
//!   first recorded (the peer itself, or the node it came to the peer from), and the feed
//!   shows that origin to the next puller. A change whose origin is the pulling node is its
//!   own coming back, and is skipped: records go both ways without loops.
//!
//! Only record changes travel. Case steps are each node's own procedure; what they do to a
//! record (a revocation, a list entry decided or removed) is a record change and travels.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gongxin_codes::Whitelist;
use gongxin_core::catalog::Catalog;
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::record::{ParseContext, PreparedRecord, Record, RecordStatus, Template};
use gongxin_store::{Actor, Store, StoreError};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::api::feed::NODE_ACTOR_PREFIX;

/// Events asked for per page.
const PAGE: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("peer {url}: {message}")]
    Peer { url: String, message: String },
    #[error("the peer calls itself `{0}`, which is this node's id: a node cannot pull from itself")]
    SameNode(String),
    #[error("cursor file {path}: {message}")]
    Cursor { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the pulling node needs to rebuild records: its own catalog and keys.
#[derive(Debug)]
pub struct Local<'a> {
    pub node_id: &'a str,
    pub catalog: &'a Catalog,
    pub whitelist: &'a Whitelist,
    pub personal_key: &'a PersonalDataKey,
}

/// The peer and the key its credit office issued to this node (the feed shows fields and
/// identity numbers whole only to a credit-office key).
pub struct Peer<'a> {
    pub url: &'a str,
    pub key: &'a str,
}

impl std::fmt::Debug for Peer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What one pull did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PullReport {
    pub pages: u64,
    /// Record events read from the peer.
    pub events: u64,
    /// Of them, changes to this node's store (new versions); the rest it held already.
    pub applied: u64,
    /// This node's own changes coming back, skipped.
    pub own: u64,
    /// Record events this node could not take, with the reason (an item its catalog lacks,
    /// a version its catalog refuses).
    pub refused: Vec<String>,
    /// The peer's log position reached.
    pub cursor: u64,
    /// Whether the peer had nothing more.
    pub caught_up: bool,
}

#[derive(Debug, Deserialize)]
struct FeedPage {
    events: Vec<FeedEvent>,
    next: u64,
    has_more: bool,
    node: String,
}

#[derive(Debug, Deserialize)]
struct FeedEvent {
    seq: u64,
    kind: String,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    view: Option<RecordView>,
}

#[derive(Debug, Deserialize)]
struct RecordView {
    item: String,
    status: RecordStatus,
    fields: Vec<Field>,
}

#[derive(Debug, Deserialize)]
struct Field {
    code: String,
    value: String,
}

/// The file under `data_dir` that keeps the cursor of `peer`.
pub fn cursor_file(data_dir: &Path, peer: &str) -> PathBuf {
    let digest = hex::encode(&Sha256::digest(peer.as_bytes())[..8]);
    data_dir.join("federation").join(format!("{digest}.cursor"))
}

fn read_cursor(path: &Path) -> Result<u64, FederationError> {
    let error = |message: String| FederationError::Cursor {
        path: path.to_owned(),
        message,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| error(format!("`{}` is not a log position", text.trim()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(error(e.to_string())),
    }
}

/// Writes the cursor beside, then renames over: a crash leaves the old cursor or the new.
fn save_cursor(path: &Path, cursor: u64) -> Result<(), FederationError> {
    let error = |e: std::io::Error| FederationError::Cursor {
        path: path.to_owned(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(error)?;
    }
    let staging = path.with_extension("cursor.new");
    std::fs::write(&staging, format!("{cursor}\n")).map_err(error)?;
    std::fs::rename(&staging, path).map_err(error)
}

fn fetch(agent: &ureq::Agent, peer: &Peer<'_>, after: u64) -> Result<FeedPage, FederationError> {
    let error = |message: String| FederationError::Peer {
        url: peer.url.to_owned(),
        message,
    };
    let url = format!(
        "{}/api/v1/feed?after={after}&limit={PAGE}&purpose=federation",
        peer.url.trim_end_matches('/')
    );
    let mut response = agent
        .get(&url)
        .header("Authorization", &format!("Bearer {}", peer.key))
        .call()
        .map_err(|e| error(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| error(e.to_string()))?;
    if status != 200 {
        return Err(error(format!("answered {status}: {body}")));
    }
    serde_json::from_str(&body).map_err(|e| error(format!("an unreadable feed page: {e}")))
}

/// The record a feed view describes, rebuilt through this node's catalog like any row.
fn rebuild(local: &Local<'_>, view: &RecordView) -> Result<Record, String> {
    let item = local
        .catalog
        .item(&view.item)
        .ok_or_else(|| format!("this node's catalog has no item `{}`", view.item))?;
    let mut cells: Vec<Option<&str>> = vec![None; item.fields.len()];
    for field in &view.fields {
        let position = item
            .field_index(&field.code)
            .ok_or_else(|| format!("item `{}` has no field `{}`", item.id, field.code))?;
        cells[position] = Some(&field.value);
    }
    let context = ParseContext {
        catalog_version: &local.catalog.version,
        whitelist: local.whitelist,
        personal_key: local.personal_key,
        submitting_unit: None,
        template: Template::Current,
    };
    let mut record = item
        .parse_row(context, &cells)
        .map(|parsed| parsed.record)
        .map_err(|problems| {
            let reasons: Vec<String> = problems.iter().map(|p| p.message_en.clone()).collect();
            reasons.join("; ")
        })?;
    // A revocation is not always a field (an objection's outcome sets the status alone).
    record.status = view.status;
    Ok(record)
}

/// Pulls the peer's feed from the saved cursor until it has nothing more, or `max_pages`
/// pages; applies each page's record changes, then saves the cursor.
pub fn pull(
    local: &Local<'_>,
    store: &mut dyn Store,
    peer: &Peer<'_>,
    cursor_path: &Path,
    max_pages: Option<u64>,
    now_us: &dyn Fn() -> i64,
) -> Result<PullReport, FederationError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut report = PullReport {
        cursor: read_cursor(cursor_path)?,
        ..PullReport::default()
    };
    loop {
        if max_pages.is_some_and(|max| report.pages >= max) {
            return Ok(report);
        }
        let page = fetch(&agent, peer, report.cursor)?;
        if page.node == local.node_id {
            return Err(FederationError::SameNode(page.node));
        }
        // Consecutive changes of one origin go in together, under that origin's actor.
        let mut batch: Vec<PreparedRecord> = Vec::new();
        let mut batch_origin = String::new();
        for event in &page.events {
            if !event.kind.starts_with("record_") {
                continue;
            }
            let Some(view) = &event.view else { continue };
            report.events += 1;
            let origin = event.origin.as_deref().unwrap_or(&page.node);
            if origin == local.node_id {
                report.own += 1;
                continue;
            }
            match rebuild(local, view) {
                Ok(record) => {
                    if origin != batch_origin {
                        report.applied += apply(store, &mut batch, &batch_origin, now_us)?;
                        batch_origin = origin.to_owned();
                    }
                    batch.push(PreparedRecord::new(record));
                }
                Err(reason) => report
                    .refused
                    .push(format!("peer event {}: {reason}", event.seq)),
            }
        }
        report.applied += apply(store, &mut batch, &batch_origin, now_us)?;
        report.pages += 1;
        report.cursor = page.next;
        save_cursor(cursor_path, report.cursor)?;
        if !page.has_more {
            report.caught_up = true;
            return Ok(report);
        }
    }
}

/// Applies `batch` as changes from `origin`; how many changed the store.
fn apply(
    store: &mut dyn Store,
    batch: &mut Vec<PreparedRecord>,
    origin: &str,
    now_us: &dyn Fn() -> i64,
) -> Result<u64, FederationError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let name = format!("{NODE_ACTOR_PREFIX}{origin}");
    let actor = Actor {
        name: &name,
        at_us: now_us(),
    };
    let changes = store.apply(&mut batch.drain(..), &actor)?;
    Ok(changes
        .iter()
        .filter(|change| !matches!(change, gongxin_core::record::Change::Unchanged))
        .count() as u64)
}
