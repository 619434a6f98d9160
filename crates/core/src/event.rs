//! The append-only event log: every change to the platform's data is one event, and each
//! event holds the hash of its predecessor, so that anyone holding the log can re-verify that
//! nothing was changed, inserted or removed behind the platform's back (可查可核可溯).
//!
//! The hash covers every stored column of the event in a fixed, length-prefixed encoding, so
//! verification needs nothing but the rows themselves — not the catalog, not the code version.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::record::Change;

/// A SHA-256 digest, shown as lower-case hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The predecessor of the first event.
    pub const GENESIS: Hash = Hash([0; 32]);
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What happened. Stored as its snake_case name; an unknown name in a stored log is reported,
/// never guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    RecordSubmitted,
    RecordCorrected,
    RecordRevoked,
    /// Steps of a listing case (see `listing`).
    ListingProposed,
    ListingObjected,
    ListingDecided,
    ListingRemoved,
    /// Steps of an objection to a record in force (see `objection`).
    ObjectionFiled,
    ObjectionForwarded,
    ObjectionExtended,
    ObjectionDecided,
    /// Steps of a credit repair (see `repair`).
    RepairFiled,
    RepairDecided,
}

/// Every kind, for parsing and documentation.
const ALL_KINDS: [EventKind; 13] = [
    EventKind::RecordSubmitted,
    EventKind::RecordCorrected,
    EventKind::RecordRevoked,
    EventKind::ListingProposed,
    EventKind::ListingObjected,
    EventKind::ListingDecided,
    EventKind::ListingRemoved,
    EventKind::ObjectionFiled,
    EventKind::ObjectionForwarded,
    EventKind::ObjectionExtended,
    EventKind::ObjectionDecided,
    EventKind::RepairFiled,
    EventKind::RepairDecided,
];

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RecordSubmitted => "record_submitted",
            EventKind::RecordCorrected => "record_corrected",
            EventKind::RecordRevoked => "record_revoked",
            EventKind::ListingProposed => "listing_proposed",
            EventKind::ListingObjected => "listing_objected",
            EventKind::ListingDecided => "listing_decided",
            EventKind::ListingRemoved => "listing_removed",
            EventKind::ObjectionFiled => "objection_filed",
            EventKind::ObjectionForwarded => "objection_forwarded",
            EventKind::ObjectionExtended => "objection_extended",
            EventKind::ObjectionDecided => "objection_decided",
            EventKind::RepairFiled => "repair_filed",
            EventKind::RepairDecided => "repair_decided",
        }
    }

    /// Whether the event changes a record (its payload is the record), rather than a step of
    /// a case about one.
    pub fn is_record_change(self) -> bool {
        matches!(
            self,
            EventKind::RecordSubmitted | EventKind::RecordCorrected | EventKind::RecordRevoked
        )
    }

    /// The event that records a change to a record; `None` for an unchanged re-submission.
    pub fn for_change(change: Change) -> Option<EventKind> {
        match change {
            Change::Submitted => Some(EventKind::RecordSubmitted),
            Change::Corrected => Some(EventKind::RecordCorrected),
            Change::Revoked => Some(EventKind::RecordRevoked),
            Change::Unchanged => None,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_KINDS
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown event kind `{s}`"))
    }
}

/// The payload of a case step: the case's id, the step, and the state after it. The id is in
/// the payload so that the log alone tells which case an event belongs to.
pub fn case_payload<S: Serialize, T: Serialize>(case: &str, step: &S, state: &T) -> String {
    serde_json::json!({ "case": case, "step": step, "state": state }).to_string()
}

/// The case id of a [`case_payload`]; `None` if the payload is not one.
pub fn case_of_payload(payload: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct CaseRef {
        case: String,
    }
    serde_json::from_str::<CaseRef>(payload)
        .ok()
        .map(|c| c.case)
}

/// The state part of a [`case_payload`], decoded.
pub fn case_state<T: serde::de::DeserializeOwned>(payload: &str) -> Option<T> {
    #[derive(Deserialize)]
    struct StateRef<T> {
        state: T,
    }
    serde_json::from_str::<StateRef<T>>(payload)
        .ok()
        .map(|s| s.state)
}

/// An event before it takes its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    pub kind: EventKind,
    /// The subject code the event is about; every table carries it for partitioning.
    pub subject: String,
    /// The record id (hex), or empty for events that are not about one record.
    pub record: String,
    /// Microseconds since the Unix epoch, UTC. Passed in: the domain never reads the clock.
    pub recorded_at_us: i64,
    /// Who caused it: a unit code, an API key id, or `cli`.
    pub actor: String,
    /// The event's content as canonical JSON.
    pub payload: String,
}

/// An event in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    pub kind: EventKind,
    pub subject: String,
    pub record: String,
    pub recorded_at_us: i64,
    pub actor: String,
    pub payload: String,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// SHA-256 of an event's payload. The event hash covers the payload through this digest, so
/// that the payload — a kilobyte or more — can be hashed where there is time (an import's
/// reader thread) while linking the chain, which must happen in order, stays cheap.
pub fn payload_digest(payload: &str) -> Hash {
    Hash(Sha256::digest(payload.as_bytes()).into())
}

impl EventDraft {
    /// Links the draft into the chain after the event with `prev_hash` at `seq - 1`.
    pub fn seal(self, seq: u64, prev_hash: Hash) -> Event {
        let digest = payload_digest(&self.payload);
        self.seal_with_digest(seq, prev_hash, digest)
    }

    /// [`seal`](Self::seal) with the payload's digest computed earlier. A digest that is not
    /// `payload_digest(&self.payload)` yields an event that verification rejects.
    pub fn seal_with_digest(self, seq: u64, prev_hash: Hash, payload_digest: Hash) -> Event {
        let hash = event_hash(
            HashedParts {
                kind: self.kind,
                subject: &self.subject,
                record: &self.record,
                recorded_at_us: self.recorded_at_us,
                actor: &self.actor,
                payload_digest,
            },
            seq,
            &prev_hash,
        );
        Event {
            seq,
            kind: self.kind,
            subject: self.subject,
            record: self.record,
            recorded_at_us: self.recorded_at_us,
            actor: self.actor,
            payload: self.payload,
            prev_hash,
            hash,
        }
    }
}

/// What an event hash covers: every stored column, the payload through its digest.
pub(crate) struct HashedParts<'a> {
    pub kind: EventKind,
    pub subject: &'a str,
    pub record: &'a str,
    pub recorded_at_us: i64,
    pub actor: &'a str,
    pub payload_digest: Hash,
}

pub(crate) fn event_hash(parts: HashedParts<'_>, seq: u64, prev_hash: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(b"gongxin-event-v1");
    hasher.update(seq.to_be_bytes());
    hasher.update(prev_hash.0);
    for part in [
        parts.kind.as_str(),
        parts.subject,
        parts.record,
        parts.actor,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update(parts.recorded_at_us.to_be_bytes());
    hasher.update(parts.payload_digest.0);
    Hash(hasher.finalize().into())
}

/// Why a stored event does not fit the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq}: expected sequence number {expected} (an event is missing or inserted)")]
    Gap { seq: u64, expected: u64 },
    #[error("event {seq}: its predecessor hash {found} is not the hash of event {} ({expected})", seq - 1)]
    BrokenLink {
        seq: u64,
        expected: Hash,
        found: Hash,
    },
    #[error(
        "event {seq}: its content does not match its hash (stored {stored}, computed {computed}); the row was changed after it was written"
    )]
    Tampered {
        seq: u64,
        stored: Hash,
        computed: Hash,
    },
}

impl ChainError {
    pub fn seq(&self) -> u64 {
        match self {
            ChainError::Gap { seq, .. }
            | ChainError::BrokenLink { seq, .. }
            | ChainError::Tampered { seq, .. } => *seq,
        }
    }
}

/// Walks a log in order and checks every link. Feed it events one at a time so that logs of
/// any length verify in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: Hash,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: Hash::GENESIS,
        }
    }
}

impl ChainVerifier {
    /// Checks the next event; on success it becomes the predecessor of the one after.
    pub fn check(&mut self, event: &Event) -> Result<(), ChainError> {
        if event.seq != self.next_seq {
            return Err(ChainError::Gap {
                seq: event.seq,
                expected: self.next_seq,
            });
        }
        if event.prev_hash != self.prev_hash {
            return Err(ChainError::BrokenLink {
                seq: event.seq,
                expected: self.prev_hash,
                found: event.prev_hash,
            });
        }
        let parts = HashedParts {
            kind: event.kind,
            subject: &event.subject,
            record: &event.record,
            recorded_at_us: event.recorded_at_us,
            actor: &event.actor,
            payload_digest: payload_digest(&event.payload),
        };
        let computed = event_hash(parts, event.seq, &event.prev_hash);
        if computed != event.hash {
            return Err(ChainError::Tampered {
                seq: event.seq,
                stored: event.hash,
                computed,
            });
        }
        self.next_seq += 1;
        self.prev_hash = event.hash;
        Ok(())
    }

    /// How many events have been checked.
    pub fn checked(&self) -> u64 {
        self.next_seq - 1
    }

    /// The hash of the last checked event: the head of the verified chain.
    pub fn head(&self) -> Hash {
        self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(n: i64) -> EventDraft {
        EventDraft {
            kind: EventKind::RecordSubmitted,
            subject: "91350100M000100Y43".into(),
            record: format!("{n:032x}"),
            recorded_at_us: 1_700_000_000_000_000 + n,
            actor: "cli".into(),
            payload: format!(r#"{{"n":{n},"名称":"厦门某某有限公司"}}"#),
        }
    }

    fn chain(len: i64) -> Vec<Event> {
        let mut prev = Hash::GENESIS;
        (1..=len)
            .map(|n| {
                let event = draft(n).seal(n as u64, prev);
                prev = event.hash;
                event
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let mut verifier = ChainVerifier::default();
        for event in chain(5) {
            verifier.check(&event).unwrap();
        }
        assert_eq!(verifier.checked(), 5);
    }

    #[test]
    fn every_kind_of_tampering_names_the_first_bad_event() {
        let verify = |events: &[Event]| {
            let mut verifier = ChainVerifier::default();
            events.iter().try_for_each(|e| verifier.check(e))
        };
        let mut edited = chain(5);
        edited[2].payload = edited[2].payload.replace("某某", "某");
        assert!(matches!(
            verify(&edited),
            Err(ChainError::Tampered { seq: 3, .. })
        ));

        let mut removed = chain(5);
        removed.remove(1);
        assert!(matches!(
            verify(&removed),
            Err(ChainError::Gap {
                seq: 3,
                expected: 2
            })
        ));

        let mut reordered = chain(5);
        reordered.swap(1, 2);
        assert_eq!(verify(&reordered).unwrap_err().seq(), 3);

        let mut actor = chain(5);
        actor[4].actor = "someone else".into();
        assert!(matches!(
            verify(&actor),
            Err(ChainError::Tampered { seq: 5, .. })
        ));

        // Re-hashing an edited event does not help: its successor no longer links to it.
        let mut rehashed = chain(5);
        let forged = EventDraft {
            payload: "{}".into(),
            ..draft(2)
        }
        .seal(2, rehashed[0].hash);
        rehashed[1] = forged;
        assert!(matches!(
            verify(&rehashed),
            Err(ChainError::BrokenLink { seq: 3, .. })
        ));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [
            EventKind::RecordSubmitted,
            EventKind::RecordCorrected,
            EventKind::RecordRevoked,
        ] {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        }
        assert!("record_deleted".parse::<EventKind>().is_err());
    }
}
