//! Persistence behind one trait, [`Store`], with one implementation per database engine.
//!
//! The event log is the truth; the `records` and `subjects` tables are projections of it,
//! written in the same transaction and checkable against it by [`Store::verify`]. Nothing
//! engine-specific crosses this boundary: callers see domain types and [`StoreError`].

mod decode;
mod location;
mod postgres;
mod sqlite;
mod verification;

use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::event::{ChainError, Event, EventDraft, EventKind, case_state};
use gongxin_core::record::{Change, PreparedRecord, Record, RecordId, RecordStatus};
use gongxin_core::repair::{Repair, RepairOutcome};

pub use self::postgres::PostgresStore;
pub use location::{BoxedStore, StoreFactory, StoreLocation};
pub use sqlite::{Snapshot, SqliteStore};

/// A storage failure. Engine errors are wrapped, never matched on by callers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    #[error(
        "the database schema is version {found}, newer than this program knows ({known}); upgrade gongxin"
    )]
    SchemaTooNew { found: u32, known: u32 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Someone else changed what the caller read before writing (a case moved on, a receipt
    /// exists): read again and decide again.
    #[error("conflict: {0}")]
    Conflict(String),
}

/// Who made a batch of changes, and when (microseconds since the Unix epoch, UTC).
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub at_us: i64,
}

/// A subject's public profile as it was answered, kept to answer the next request for it
/// (see [`Store::cached_profile`]). The store holds the bytes and the days they hold for; it
/// knows nothing of what they say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedProfile {
    /// The code the profile is about: a USCC, or an old code that maps to none.
    pub subject: String,
    /// The catalog, rules and answer layout the profile was built under: an entry of another
    /// version is never answered.
    pub version: String,
    /// The first day the profile holds.
    pub valid_from: NaiveDate,
    /// The first day it no longer holds (a publication window opens or closes), if any.
    pub valid_until: Option<NaiveDate>,
    pub body: Vec<u8>,
}

/// A market entity as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The USCC, or the old code for a subject known only by one.
    pub code: String,
    /// The latest name submitted for it.
    pub name: String,
    /// Every name it was submitted under, oldest first (including the current one).
    pub names: Vec<String>,
    /// Old codes (organisation code, registration number) that map to this subject.
    pub old_codes: Vec<String>,
}

/// The current state of a record, derived from its events.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub id: RecordId,
    pub record: Record,
    pub status: RecordStatus,
    /// The `seq` of the event that created the record and of the latest one.
    pub first_seq: u64,
    pub head_seq: u64,
    /// When the record first reached the platform, for the 7-working-day measurement.
    pub first_recorded_at_us: i64,
    /// The day its credit repair was approved (已修复), if it was.
    pub repaired_on: Option<NaiveDate>,
}

/// A record's place in a subject's newest-first order: its decision date, then the event
/// that created it. A page of records ends at one; the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordPosition {
    pub decision_date: NaiveDate,
    pub first_seq: u64,
}

impl RecordPosition {
    pub fn of(record: &StoredRecord) -> Self {
        Self {
            decision_date: record.record.decision_date,
            first_seq: record.first_seq,
        }
    }
}

/// Which of a subject's records [`Store::records_page`] reads.
#[derive(Debug, Clone, Copy)]
pub struct RecordRange<'a> {
    /// Catalog item ids.
    pub items: &'a [&'a str],
    /// Decision dates from (inclusive).
    pub from: Option<NaiveDate>,
    /// Decision dates to (inclusive).
    pub to: Option<NaiveDate>,
    /// Only records after this one in newest-first order: the way to page.
    pub after: Option<RecordPosition>,
    /// The most records of each item.
    pub per_item: usize,
}

impl RecordRange<'_> {
    /// The bounds as the engines' queries take them: days beyond any decision date stand
    /// for an open end (and lie within PostgreSQL's `date`).
    fn bounds(&self) -> (NaiveDate, NaiveDate, NaiveDate, i64, i64) {
        let first = NaiveDate::from_ymd_opt(1, 1, 1).expect("valid date");
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date");
        let (after_date, after_seq) = self.after.map_or((last, i64::MAX), |p| {
            (
                p.decision_date,
                i64::try_from(p.first_seq).unwrap_or(i64::MAX),
            )
        });
        (
            self.from.unwrap_or(first),
            self.to.unwrap_or(last),
            after_date,
            after_seq,
            i64::try_from(self.per_item).unwrap_or(i64::MAX),
        )
    }
}

/// Totals, for summaries and progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub subjects: u64,
    pub records: u64,
    pub events: u64,
}

/// The outcome of [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every event links to its predecessor and every projection row matches the log.
    Intact { events: u64, head: String },
    /// The first event that does not match (later events are not examined).
    Broken(ChainError),
    /// The chain is intact but a projection row disagrees with the log.
    ProjectionMismatch { record: String, reason: String },
}

/// An API key as stored: everything but its secret, of which only a digest is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Public identifier, shown in lists and the audit log.
    pub id: String,
    /// What the key is for, as its creator described it.
    pub name: String,
    pub principal: Principal,
    pub created_at_us: i64,
    pub created_by: String,
    pub revoked_at_us: Option<i64>,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Position in the log; ignored when appending.
    pub seq: u64,
    pub at_us: i64,
    /// The key used, `None` for anonymous requests.
    pub key_id: Option<String>,
    pub role: String,
    pub unit: Option<String>,
    /// The subject read about, if any.
    pub subject: Option<String>,
    /// What was done, e.g. `read_profile`, `read_record`, `submit`.
    pub action: String,
    /// What it was done to, e.g. a record id or an item.
    pub target: Option<String>,
    /// The purpose stated with the request.
    pub purpose: Option<String>,
    /// The client's address.
    pub client: Option<String>,
}

/// Which audit entries to return, oldest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub subject: Option<String>,
    pub key_id: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    /// Only entries after this position: the way to page through the log.
    pub after_seq: u64,
    pub limit: usize,
}

/// How many records of one source unit and item, decided on one day, first reached the
/// platform on another: the raw figures of the 7-working-day measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalCount {
    pub source_unit: String,
    pub item: String,
    pub decision_date: NaiveDate,
    pub recorded_on: NaiveDate,
    pub count: u64,
}

/// The kinds of due-process case the platform keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Listing,
    Objection,
    Repair,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Listing => "listing",
            CaseKind::Objection => "objection",
            CaseKind::Repair => "repair",
        }
    }

    pub fn parse(text: &str) -> Option<CaseKind> {
        [CaseKind::Listing, CaseKind::Objection, CaseKind::Repair]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// One step of a case, to append: the event and the case's state after it.
#[derive(Debug, Clone)]
pub struct CaseStep<'a> {
    pub id: &'a str,
    pub kind: CaseKind,
    pub event: EventKind,
    pub subject: &'a str,
    /// The record the case is about (for a listing, the entry it proposes).
    pub record: RecordId,
    pub open: bool,
    /// The next deadline of the case, if it has one.
    pub due: Option<NaiveDate>,
    /// The event's payload: the step and the state after it, as JSON.
    pub payload: String,
    /// The head the caller decided on: `None` for a new case. Another step in between is a
    /// [`StoreError::Conflict`], so that two officers cannot both decide one case.
    pub expected_head: Option<u64>,
    /// Set by the step that approves a repair: the day, which marks the record repaired.
    pub repaired_on: Option<NaiveDate>,
}

impl CaseStep<'_> {
    /// Whether this step may follow `existing`, the case as stored (read under the writer's
    /// lock): a new case must not exist yet; a further step must be about the same subject
    /// and record and name the head it was decided on. Anything else is a
    /// [`StoreError::Conflict`]. Every engine decides it here, the same way.
    pub fn may_follow(&self, existing: Option<&StoredCase>) -> Result<(), StoreError> {
        let conflict = |message: String| Err(StoreError::Conflict(message));
        match (existing, self.expected_head) {
            (None, None) => Ok(()),
            (Some(case), Some(expected)) if case.head_seq == expected => {
                if case.kind != self.kind
                    || case.record != self.record
                    || case.subject != self.subject
                {
                    return conflict(format!(
                        "case {} is about another subject or record",
                        self.id
                    ));
                }
                Ok(())
            }
            (Some(_), None) => conflict(format!("case {} exists", self.id)),
            (None, Some(_)) => conflict(format!("no case {}", self.id)),
            (Some(case), Some(_)) => conflict(format!(
                "case {} moved on (now at event {})",
                self.id, case.head_seq
            )),
        }
    }

    /// The step's event, before it takes its place in the chain.
    pub fn event(&self, actor: &Actor<'_>) -> EventDraft {
        EventDraft {
            kind: self.event,
            subject: self.subject.to_owned(),
            record: self.record.to_string(),
            recorded_at_us: actor.at_us,
            actor: actor.name.to_owned(),
            payload: self.payload.clone(),
        }
    }
}

/// A case as stored; its state is the payload of its latest event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    pub id: String,
    pub kind: CaseKind,
    pub subject: String,
    pub record: RecordId,
    pub open: bool,
    pub due: Option<NaiveDate>,
    pub first_seq: u64,
    pub head_seq: u64,
    pub payload: String,
}

/// One check an approving department ran, as answered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckEntry {
    pub receipt: String,
    pub at_us: i64,
    pub key_id: Option<String>,
    pub unit: Option<String>,
    pub subject: Option<String>,
    pub scenario: String,
    pub purpose: String,
    /// The last event of the log when the check was answered: what the platform knew.
    pub log_seq: u64,
    pub measures_version: String,
    /// The request and the answer, as JSON.
    pub request: String,
    pub answer: String,
}

/// A webhook subscription of a department, as stored; its signing secret is read apart
/// ([`Store::subscription_secret`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subscription {
    pub id: String,
    /// The unit it belongs to (the source-unit code of the department key that made it).
    pub unit: String,
    /// The key that made it: deliveries stop when that key is revoked.
    pub key_id: String,
    pub url: String,
    /// Scenario ids it checks applicants in; may be empty.
    pub scenarios: Vec<String>,
    /// The purpose stated for receiving non-public information, as for every such read.
    pub purpose: String,
    /// The log head when it was made: it is told about later events only.
    pub after_seq: u64,
    pub created_at_us: i64,
    pub revoked_at_us: Option<i64>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    Delivered,
    /// Given up after the last attempt: the dead-letter view, until replayed.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Dead,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A delivery to enqueue: one event of the log, or one notice that is not in the log (an
/// entry's expiry), for one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub subscription: String,
    /// The subject code the event or notice is filed under.
    pub subject: String,
    /// The event told; for a notice, the log head when it was made.
    pub seq: u64,
    /// The event kind, or the notice kind (`entry_expired`).
    pub kind: String,
    pub record: Option<RecordId>,
    /// For a notice: the day it speaks of (the day an entry ended). `None` for a log event.
    /// An event is enqueued once per subscription, a notice once per record and day.
    pub on: Option<NaiveDate>,
    /// Why the subscription is told, as JSON.
    pub reasons: String,
    pub created_at_us: i64,
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: u64,
    pub subscription: String,
    pub subject: String,
    pub seq: u64,
    pub kind: String,
    pub record: Option<RecordId>,
    pub on: Option<NaiveDate>,
    pub reasons: String,
    /// Attempts made since it was (re-)queued.
    pub attempts: u32,
    pub next_attempt_us: i64,
    pub status: DeliveryStatus,
    pub last_error: Option<String>,
    pub delivered_at_us: Option<i64>,
    pub created_at_us: i64,
}

/// Which deliveries to list, by id.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    pub subscription: Option<String>,
    pub status: Option<DeliveryStatus>,
    /// Only deliveries with a greater id: the way to page.
    pub after_id: u64,
    pub limit: usize,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        at_us: i64,
    },
    /// Failed; tried again at `retry_at_us`, or dead when `None`.
    Failed {
        at_us: i64,
        error: String,
        retry_at_us: Option<i64>,
    },
}

/// How far the dispatcher has got: the last event it planned deliveries for, and the last
/// day whose expiries it has told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchPosition {
    pub event_seq: u64,
    pub expiry_through: Option<NaiveDate>,
}

/// What an implementing unit reports it did with a measure a check returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackOutcome {
    Applied,
    NotApplicable,
}

impl FeedbackOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackOutcome::Applied => "applied",
            FeedbackOutcome::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(text: &str) -> Option<FeedbackOutcome> {
        [FeedbackOutcome::Applied, FeedbackOutcome::NotApplicable]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// One report of the append-only feedback log (实施反馈).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Feedback {
    /// Position in the log; ignored when appending.
    pub seq: u64,
    pub receipt: String,
    pub measure: String,
    pub outcome: FeedbackOutcome,
    pub reason: Option<String>,
    pub unit: String,
    /// The subject checked.
    pub subject: Option<String>,
    pub key_id: Option<String>,
    pub at_us: i64,
}

/// Checks run in one scenario by one unit (`None`: the credit office).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckTally {
    pub scenario: String,
    pub unit: Option<String>,
    pub checks: u64,
}

/// How often one measure was returned to one unit, and what the unit reported doing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MeasureTally {
    pub measure: String,
    pub unit: Option<String>,
    /// Check answers that named it (as a measure or a reward).
    pub returned: u64,
    /// Of those, answers that named it suspended (every hit behind it under objection).
    pub suspended: u64,
    pub applied: u64,
    pub not_applicable: u64,
}

/// An entry of the typical-case register (典型案例): editorial, about one subject, without
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TypicalCase {
    pub id: String,
    pub title: String,
    pub subject: String,
    pub subject_name: String,
    /// Record ids (hex) the case rests on.
    pub records: Vec<String>,
    /// Listing or objection case ids.
    pub cases: Vec<String>,
    pub summary_zh: String,
    pub published: bool,
    pub published_at_us: Option<i64>,
    pub created_at_us: i64,
    pub created_by: String,
}

/// An attachment as stored, without its content ([`Store::attachment_content`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    /// The SHA-256 of the content, lower-case hex: the same content is one attachment.
    pub id: String,
    /// The name and media type of its first upload.
    pub filename: String,
    pub media_type: String,
    pub size: u64,
    pub uploaded_at_us: i64,
    /// Who uploaded it first: a key id, or `public`.
    pub uploader: String,
}

/// An upload to store; the store computes its id from the content.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    pub filename: &'a str,
    pub media_type: &'a str,
    pub uploaded_at_us: i64,
    pub uploader: &'a str,
    pub content: &'a [u8],
}

/// A case's reference to an attachment it was filed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentReference {
    pub attachment: String,
    pub case: String,
    pub subject: String,
    pub at_us: i64,
}

/// Who gets case notices by e-mail: a subject, a unit, or the credit office.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Party {
    /// A market entity, by its canonical code.
    Subject(String),
    /// A unit, by its source-unit code.
    Unit(String),
    CreditOffice,
}

impl Party {
    /// `subject`, `unit` or `credit_office`.
    pub fn kind(&self) -> &'static str {
        match self {
            Party::Subject(_) => "subject",
            Party::Unit(_) => "unit",
            Party::CreditOffice => "credit_office",
        }
    }

    /// The subject's or the unit's code; `credit_office` for the credit office.
    pub fn code(&self) -> &str {
        match self {
            Party::Subject(code) | Party::Unit(code) => code,
            Party::CreditOffice => "credit_office",
        }
    }

    /// The party of a [`kind`](Self::kind) and a [`code`](Self::code), as stored.
    pub fn from_parts(kind: &str, code: &str) -> Option<Party> {
        match kind {
            _ if code.is_empty() => None,
            "subject" => Some(Party::Subject(code.to_owned())),
            "unit" => Some(Party::Unit(code.to_owned())),
            "credit_office" if code == "credit_office" => Some(Party::CreditOffice),
            _ => None,
        }
    }
}

/// The e-mail address a party gets its case notices at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub party: Party,
    pub address: String,
    pub set_at_us: i64,
    /// The key that set it.
    pub set_by: String,
}

/// Where a mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for its next attempt.
    Pending,
    Sent,
    /// Given up after the last attempt, with the error.
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<MailStatus> {
        [MailStatus::Pending, MailStatus::Sent, MailStatus::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A mail to enqueue: one case event, for one party. The address is not part of it: it is
/// read at each attempt ([`Store::contact`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub party: Party,
    /// The case's subject (canonical code).
    pub subject: String,
    /// The case event told.
    pub seq: u64,
    pub case: String,
    /// The case's deadline after the step, when it was planned.
    pub due: Option<NaiveDate>,
    pub created_at_us: i64,
}

/// A mail as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub id: u64,
    pub party: Party,
    pub subject: String,
    pub seq: u64,
    pub case: String,
    pub due: Option<NaiveDate>,
    pub attempts: u32,
    pub next_attempt_us: i64,
    pub status: MailStatus,
    pub last_error: Option<String>,
    pub sent_at_us: Option<i64>,
    pub created_at_us: i64,
}

/// Which mails to list.
#[derive(Debug, Clone, Default)]
pub struct MailQuery {
    pub status: Option<MailStatus>,
    /// Only the pending mails due at this time, oldest due first (by id within the same
    /// time); without it, mails by id.
    pub due_at_us: Option<i64>,
    /// Only mails with a greater id: the way to page.
    pub after_id: u64,
    pub limit: usize,
}

/// The storage contract. Every engine implements it and passes the same conformance tests.
pub trait Store {
    /// Stores the records `records` yields in one transaction: either every record's event is
    /// in the log and the projections, or none is. Returns, per record and in order, what
    /// happened to it. Records with the same natural key apply in order.
    ///
    /// Records are pulled one at a time, so a transaction can be far larger than the records
    /// held in memory: an import streams its rows through and commits every ~100,000, which
    /// keeps the per-commit cost of the random-key indexes small per record.
    fn apply(
        &mut self,
        records: &mut dyn Iterator<Item = PreparedRecord>,
        actor: &Actor<'_>,
    ) -> Result<Vec<Change>, StoreError>;

    /// [`apply`](Self::apply) for records at hand.
    fn apply_records(
        &mut self,
        records: &[Record],
        actor: &Actor<'_>,
    ) -> Result<Vec<Change>, StoreError> {
        self.apply(&mut records.iter().cloned().map(PreparedRecord::new), actor)
    }

    /// Whether reads run in this process on local files (SQLite), never waiting on a server:
    /// a point read then takes microseconds, and a caller may make it where waiting would be
    /// costly.
    fn reads_in_process(&self) -> bool;

    /// Brings the query planner's statistics up to date after a large change such as a bulk
    /// import: a planner that still sees a fresh table as empty plans reads by subject as
    /// scans of the whole table.
    fn refresh_statistics(&mut self) -> Result<(), StoreError>;

    /// Looks a subject up by its USCC or any old code that maps to it.
    fn subject(&self, code: &str) -> Result<Option<Subject>, StoreError>;

    /// The code of the subject `code` belongs to: the USCC an old code maps to, or `code`
    /// itself (also when no record names it yet). One index look-up, where [`subject`]
    /// (Self::subject) reads the whole subject.
    fn subject_code(&self, code: &str) -> Result<String, StoreError>;

    /// [`subject_code`](Self::subject_code) for many codes at once: each code to the code of
    /// its subject.
    fn subject_codes(
        &self,
        codes: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        codes
            .iter()
            .map(|code| Ok(((*code).to_owned(), self.subject_code(code)?)))
            .collect()
    }

    /// The current state of every record about a subject (also those filed under its old
    /// codes), ordered by decision date, newest first.
    fn records_of(&self, subject_code: &str) -> Result<Vec<StoredRecord>, StoreError>;

    /// The newest records of each of `range.items` about a subject (also those filed under
    /// its old codes), up to `range.per_item` of each, after `range.after`, newest first:
    /// one statement, which reads the subject's index entries and only the records it
    /// returns, however many records the subject holds.
    fn records_page(
        &self,
        subject_code: &str,
        range: &RecordRange<'_>,
    ) -> Result<Vec<StoredRecord>, StoreError>;

    /// Up to `limit` subjects with codes after `after` in code order (old codes that map to a
    /// USCC are not subjects of their own): the way to walk all of them, e.g. to rebuild the
    /// search index.
    fn subjects_after(&self, after: &str, limit: usize) -> Result<Vec<Subject>, StoreError>;

    fn record(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError>;

    /// [`record`](Self::record) for many ids at once (the ones that exist), for batch work
    /// such as a page of the change feed. Engines where a statement is a round trip answer in
    /// one.
    fn records_by_id(
        &self,
        ids: &[RecordId],
    ) -> Result<std::collections::HashMap<RecordId, StoredRecord>, StoreError> {
        let mut found = std::collections::HashMap::new();
        for id in ids {
            if let Some(record) = self.record(id)? {
                found.insert(*id, record);
            }
        }
        Ok(found)
    }

    /// Every event about one record, oldest first.
    fn history(&self, id: &RecordId) -> Result<Vec<Event>, StoreError>;

    /// Up to `limit` events with `seq > after`, in order: the change feed.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError>;

    fn counts(&self) -> Result<Counts, StoreError>;

    /// Every subject holding a record of one of `items` (in any state), by its canonical
    /// code: records filed under an old code count for the USCC it maps to. What a batch
    /// screening joins applicants against before it looks closer at the ones that hit.
    fn subjects_holding(&self, items: &[&str]) -> Result<Vec<String>, StoreError>;

    /// [`records_of`](Self::records_of) for many subjects at once (canonical codes, as
    /// [`subjects_holding`](Self::subjects_holding) gives them): one pass instead of a query
    /// per subject, for batch work. Subjects holding nothing are absent from the map.
    fn records_of_many(
        &self,
        codes: &[&str],
    ) -> Result<std::collections::HashMap<String, Vec<StoredRecord>>, StoreError> {
        let mut found = std::collections::HashMap::new();
        for code in codes {
            let records = self.records_of(code)?;
            if !records.is_empty() {
                found.insert((*code).to_owned(), records);
            }
        }
        Ok(found)
    }

    /// Every open case of `kind`, oldest first: pending objections, listings awaiting a
    /// decision.
    fn open_cases(&self, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError>;

    /// Every case of `kind`, open or closed, oldest first: for handling-time statistics.
    fn all_cases(&self, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError>;

    /// The position of the last event (0 for an empty log): what the platform knows now.
    fn log_head(&self) -> Result<u64, StoreError>;

    /// The cached public profile of the subject `code` belongs to (any of its codes), if one
    /// of `version` holds on `today`. Every change to what a profile reads drops its entry in
    /// the change's transaction, so an entry found is current.
    fn cached_profile(
        &self,
        code: &str,
        version: &str,
        today: NaiveDate,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Keeps `profiles`, built from reads that all began at or after log position `head`,
    /// replacing the entries of their subjects — unless an event was appended since `head`,
    /// when a profile may already be out of date: then nothing is kept. Returns whether they
    /// were kept.
    fn keep_profiles(&mut self, head: u64, profiles: &[CachedProfile]) -> Result<bool, StoreError>;

    /// Up to `limit` subjects after `after` in code order (as [`subjects_after`]
    /// (Self::subjects_after) walks them) that have no cached profile of `version` holding on
    /// `today`: what to build to fill the cache.
    fn subjects_without_profile(
        &self,
        after: &str,
        version: &str,
        today: NaiveDate,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// Re-checks the whole chain and the projections against it; `progress` is called with
    /// the number of events checked so far, now and then.
    fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<Verification, StoreError>;

    /// Writes a consistent snapshot of the whole store to `out`, which must not exist: taken
    /// while writers go on, it holds every batch committed before it began and none after.
    /// [`StoreLocation::restore`] installs one after `verify` has passed on it.
    fn backup_to(&self, out: &std::path::Path) -> Result<Snapshot, StoreError>;

    /// Stores a new key under the SHA-256 of its secret.
    fn add_key(&mut self, key: &ApiKey, secret_sha256: &[u8; 32]) -> Result<(), StoreError>;

    /// The key whose secret has this digest, revoked or not.
    fn key_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<Option<ApiKey>, StoreError>;

    /// Every key, oldest first.
    fn keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes a key; `false` if there is no such key or it was already revoked.
    fn revoke_key(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError>;

    /// Appends one entry to the audit log and returns its position.
    fn append_audit(&mut self, entry: &AuditEntry) -> Result<u64, StoreError>;

    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;

    /// Record arrivals grouped by source unit, item, decision day and arrival day (UTC+8).
    fn arrivals(&self) -> Result<Vec<ArrivalCount>, StoreError>;

    /// Appends one step of a case and, in the same transaction, the records it brings into
    /// being or changes (a listing decided, an entry removed). Returns the step's event seq
    /// and what happened to each record.
    fn append_case(
        &mut self,
        step: &CaseStep<'_>,
        records: &mut dyn Iterator<Item = PreparedRecord>,
        actor: &Actor<'_>,
    ) -> Result<(u64, Vec<Change>), StoreError>;

    fn case(&self, id: &str) -> Result<Option<StoredCase>, StoreError>;

    /// The cases about a subject, oldest first.
    fn cases_of(
        &self,
        subject: &str,
        kind: Option<CaseKind>,
    ) -> Result<Vec<StoredCase>, StoreError>;

    /// The cases about one record, oldest first.
    fn cases_of_record(&self, record: &RecordId) -> Result<Vec<StoredCase>, StoreError>;

    /// Every event of one case, oldest first.
    fn case_history(&self, id: &str) -> Result<Vec<Event>, StoreError>;

    /// Appends a check to the check log; a receipt that exists is a [`StoreError::Conflict`].
    fn append_check(&mut self, entry: &CheckEntry) -> Result<(), StoreError>;

    fn check_entry(&self, receipt: &str) -> Result<Option<CheckEntry>, StoreError>;

    /// The latest `limit` checks of a subject, newest first.
    fn checks_of(&self, subject: &str, limit: usize) -> Result<Vec<CheckEntry>, StoreError>;

    /// The records of a subject as they stood when the log ended at `log_seq`: records that
    /// came later are left out, and records changed later are taken at their version then.
    fn records_as_of(
        &self,
        subject_code: &str,
        log_seq: u64,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut then = Vec::new();
        for mut stored in self.records_of(subject_code)? {
            if stored.first_seq > log_seq {
                continue;
            }
            if stored.head_seq > log_seq {
                let Some(event) = self
                    .history(&stored.id)?
                    .into_iter()
                    .rev()
                    .find(|e| e.seq <= log_seq && e.kind.is_record_change())
                else {
                    continue;
                };
                stored.record = Record::from_payload(&event.payload)
                    .map_err(|e| StoreError::Corrupt(format!("event {}: {e}", event.seq)))?;
                stored.status = stored.record.status;
                stored.head_seq = event.seq;
            }
            then.push(stored);
        }
        // Repairs approved after that point had not happened yet.
        let repaired: std::collections::HashMap<RecordId, NaiveDate> = self
            .cases_as_of(subject_code, Some(CaseKind::Repair), log_seq)?
            .iter()
            .filter_map(|(_, payload)| case_state::<Repair>(payload))
            .filter(|repair| repair.outcome == Some(RepairOutcome::Approved))
            .filter_map(|repair| Some((repair.record, repair.decided_on?)))
            .collect();
        for stored in &mut then {
            stored.repaired_on = repaired.get(&stored.id).copied();
        }
        Ok(then)
    }

    /// The payload of each case about a subject as it stood when the log ended at `log_seq`.
    fn cases_as_of(
        &self,
        subject: &str,
        kind: Option<CaseKind>,
        log_seq: u64,
    ) -> Result<Vec<(StoredCase, String)>, StoreError> {
        let mut then = Vec::new();
        for case in self.cases_of(subject, kind)? {
            if case.first_seq > log_seq {
                continue;
            }
            let payload = if case.head_seq <= log_seq {
                case.payload.clone()
            } else {
                self.case_history(&case.id)?
                    .into_iter()
                    .rev()
                    .find(|e| e.seq <= log_seq)
                    .map(|e| e.payload)
                    .unwrap_or_default()
            };
            then.push((case, payload));
        }
        Ok(then)
    }

    /// Stores a webhook subscription and the secret its deliveries are signed with.
    fn add_subscription(
        &mut self,
        subscription: &Subscription,
        secret: &str,
    ) -> Result<(), StoreError>;

    /// Every subscription, revoked or not, oldest first.
    fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError>;

    /// The secret a subscription's deliveries are signed with.
    fn subscription_secret(&self, id: &str) -> Result<Option<String>, StoreError>;

    /// Revokes a subscription; `false` if there is none or it was already revoked. Its
    /// pending deliveries are no longer due.
    fn revoke_subscription(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError>;

    /// Where the dispatcher stands (zero and no day for a new store).
    fn dispatch_position(&self) -> Result<DispatchPosition, StoreError>;

    /// Enqueues `deliveries` (each due at once) and moves the dispatcher to `position`, in
    /// one transaction. A delivery enqueued before (the same event, or the same notice, for
    /// the same subscription) is left as it is. Returns how many were new.
    fn enqueue_deliveries(
        &mut self,
        deliveries: &[NewDelivery],
        position: &DispatchPosition,
    ) -> Result<u64, StoreError>;

    /// The pending deliveries due at `now_us` of subscriptions not revoked, up to
    /// `per_subscription` of each (its oldest due), oldest due first (by id within the same
    /// time).
    fn due_deliveries(
        &self,
        now_us: i64,
        per_subscription: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Records an attempt at a pending delivery: delivered, failed and due again, or dead.
    /// `false` if it is not pending (replayed or settled in the meantime).
    fn settle_delivery(&mut self, id: u64, attempt: &Attempt) -> Result<bool, StoreError>;

    fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError>;

    /// Queues deliveries of a subscription again, due at `at_us` with their attempts reset:
    /// the dead ones, or with `from_seq` every one at that log position or later. Returns
    /// how many.
    fn requeue_deliveries(
        &mut self,
        subscription: &str,
        from_seq: Option<u64>,
        at_us: i64,
    ) -> Result<u64, StoreError>;

    /// Appends a report to the feedback log and returns its position; a second report on
    /// the same receipt and measure is a [`StoreError::Conflict`].
    fn append_feedback(&mut self, feedback: &Feedback) -> Result<u64, StoreError>;

    /// The reports on one check, oldest first.
    fn feedback_of(&self, receipt: &str) -> Result<Vec<Feedback>, StoreError>;

    /// Checks by scenario and unit, made in `[from_us, to_us)` where given.
    fn check_tallies(
        &self,
        from_us: Option<i64>,
        to_us: Option<i64>,
    ) -> Result<Vec<CheckTally>, StoreError>;

    /// Measures returned by checks made in `[from_us, to_us)` (the `measures` and `rewards`
    /// the logged answers name, by `id`, with their `suspended` flag) and the feedback on
    /// them, by measure and unit.
    fn measure_tallies(
        &self,
        from_us: Option<i64>,
        to_us: Option<i64>,
    ) -> Result<Vec<MeasureTally>, StoreError>;

    /// Adds an entry to the typical-case register; an id that exists is a
    /// [`StoreError::Conflict`].
    fn add_typical_case(&mut self, case: &TypicalCase) -> Result<(), StoreError>;

    /// The register, oldest first; only the published entries when `published_only`.
    fn typical_cases(&self, published_only: bool) -> Result<Vec<TypicalCase>, StoreError>;

    /// Publishes an entry; `false` if there is none or it is published already. Publication
    /// is the one change an entry admits.
    fn publish_typical_case(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError>;

    /// Stores an attachment under the SHA-256 of its content and returns it as stored: the
    /// same content uploaded again is not stored again, and keeps its first description.
    fn add_attachment(&mut self, new: &NewAttachment<'_>) -> Result<Attachment, StoreError>;

    /// An attachment's description, without its content.
    fn attachment(&self, id: &str) -> Result<Option<Attachment>, StoreError>;

    /// An attachment's content, checked against its id: content that no longer hashes to
    /// its id is [`StoreError::Corrupt`].
    fn attachment_content(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Records that case `case` about `subject` was filed with the attachments `ids` (each
    /// must be stored; an unknown one is a [`StoreError::Conflict`] and nothing is
    /// recorded). A reference made before is left as it is. Written before the case's step,
    /// so that a case never lists an attachment whose reference is missing; a reference to a
    /// case whose step then failed grants nothing, since readers are checked against the
    /// case.
    fn reference_attachments(
        &mut self,
        case: &str,
        subject: &str,
        ids: &[String],
        at_us: i64,
    ) -> Result<(), StoreError>;

    /// The cases that reference an attachment, oldest first.
    fn attachment_references(&self, id: &str) -> Result<Vec<AttachmentReference>, StoreError>;

    /// Sets the address a party gets its case notices at, replacing the one before.
    fn set_contact(&mut self, contact: &Contact) -> Result<(), StoreError>;

    /// Removes a party's address; `false` if it had none. Mails planned for it that are
    /// still pending find no address when their turn comes.
    fn remove_contact(&mut self, party: &Party) -> Result<bool, StoreError>;

    fn contact(&self, party: &Party) -> Result<Option<Contact>, StoreError>;

    /// The last event the mailer has planned mails for; `None` before its first run.
    fn mail_position(&self) -> Result<Option<u64>, StoreError>;

    /// Enqueues `mails` (each due at once) and moves the mailer to `position`, in one
    /// transaction. A mail enqueued before (the same event for the same party) is left as it
    /// is. Returns how many were new.
    fn enqueue_mails(&mut self, mails: &[NewMail], position: u64) -> Result<u64, StoreError>;

    /// Records an attempt at a pending mail: sent ([`Attempt::Delivered`]), failed and due
    /// again, or failed for good. `false` if it is not pending.
    fn settle_mail(&mut self, id: u64, attempt: &Attempt) -> Result<bool, StoreError>;

    /// Mails as [`MailQuery`] selects them, up to its limit.
    fn mails(&self, query: &MailQuery) -> Result<Vec<Mail>, StoreError>;
}
