//! Decoding stored values into domain types, the same for every engine.
//!
//! Nothing read from a database is trusted to be well-formed: a value of the wrong shape is
//! reported as [`StoreError::Corrupt`] naming what it was, never unwrapped.

use std::fmt::Display;

use gongxin_core::event::Hash;
use gongxin_core::record::{RecordId, RecordStatus};

use crate::StoreError;

pub(crate) fn corrupt(message: impl Into<String>) -> StoreError {
    StoreError::Corrupt(message.into())
}

/// A sequence number as stored (positive) to the domain's `u64`.
pub(crate) fn seq(value: i64, what: impl Display) -> Result<u64, StoreError> {
    u64::try_from(value)
        .ok()
        .filter(|&s| s > 0)
        .ok_or_else(|| corrupt(format!("{what}: {value} is not a sequence number")))
}

pub(crate) fn hash(bytes: &[u8], what: impl Display) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map(Hash)
        .map_err(|_| corrupt(format!("{what}: {} bytes, not a SHA-256", bytes.len())))
}

pub(crate) fn record_id(bytes: &[u8], what: impl Display) -> Result<RecordId, StoreError> {
    bytes
        .try_into()
        .map(RecordId)
        .map_err(|_| corrupt(format!("{what}: {} bytes, not a record id", bytes.len())))
}

/// How a status is stored: the snake_case name it has in payloads.
pub(crate) fn status_str(status: RecordStatus) -> &'static str {
    match status {
        RecordStatus::Normal => "normal",
        RecordStatus::Revoked => "revoked",
    }
}

pub(crate) fn status(text: &str, what: impl Display) -> Result<RecordStatus, StoreError> {
    match text {
        "normal" => Ok(RecordStatus::Normal),
        "revoked" => Ok(RecordStatus::Revoked),
        other => Err(corrupt(format!("{what}: unknown status `{other}`"))),
    }
}

/// A non-negative integer as stored to the domain's `u64`.
pub(crate) fn unsigned(value: i64, what: impl Display) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(format!("{what}: {value} is negative")))
}

/// A JSON list of strings as stored (scenarios, record and case ids).
pub(crate) fn json_list(text: &str, what: impl Display) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings serialises")
}
