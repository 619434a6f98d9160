//! The embedded engine: one SQLite file in WAL mode.
//!
//! Layout: [`migrate`] owns the schema versions, [`apply`] the write path, [`read`] the
//! queries and row decoding, [`verify`] the re-check of the chain and the projections.

mod access;
mod apply;
mod attachments;
mod backup;
mod cases;
mod floor;
mod mail;
mod migrate;
mod profiles;
mod push;
mod read;
mod verify;

pub use backup::Snapshot;

use std::path::Path;

use gongxin_core::event::{Event, Hash};
use gongxin_core::record::{Change, PreparedRecord, RecordId};
use rusqlite::Connection;

use crate::{
    Actor, ApiKey, ArrivalCount, Attachment, AttachmentReference, Attempt, AuditEntry, AuditQuery,
    CaseKind, CaseStep, CheckEntry, CheckTally, Counts, Delivery, DeliveryQuery, DispatchPosition,
    Feedback, MeasureTally, NewAttachment, NewDelivery, Store, StoreError, StoredCase,
    StoredRecord, Subject, Subscription, TypicalCase, Verification,
};
use crate::{CachedProfile, Contact, Mail, MailQuery, NewMail, Party, RecordRange};

/// The file [`SqliteStore::open_in_dir`] keeps the database in.
const FILE_NAME: &str = "gongxin.sqlite";

/// Enough for every statement the store prepares, so that none is ever re-parsed.
const STATEMENT_CACHE: usize = 128;

/// A [`Store`] in one SQLite database file.
///
/// Not `Sync`: one connection serves one thread. Several processes may open the same file;
/// writers queue on SQLite's lock (see the busy timeout) and the chain stays linear because
/// every batch re-reads the head inside its write transaction.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    /// The last event this store saw committed. Batches re-read the head under the write lock
    /// and trust the database; the cache exists to notice a log that shrank or changed its
    /// head behind our back (a restored backup, a hand edit), which must stop writing rather
    /// than fork the chain.
    head: ChainHead,
    /// What the last batches learned about the subject projections, for as long as `head`
    /// shows that no other writer came in between.
    known: apply::KnownSubjects,
}

/// The position and hash of the last event: what the next event links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ChainHead {
    seq: i64,
    hash: Hash,
}

impl ChainHead {
    const EMPTY: ChainHead = ChainHead {
        seq: 0,
        hash: Hash::GENESIS,
    };
}

impl SqliteStore {
    /// The schema version this build creates and understands.
    pub const SCHEMA_VERSION: u32 = migrate::LATEST;

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::SchemaTooNew`] when a newer gongxin wrote the file, otherwise
    /// [`StoreError::Database`] when it cannot be opened or migrated.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn =
            Connection::open(path).map_err(db(&format!("opening {}", path.display())))?;
        configure(&conn)?;
        migrate::migrate(&mut conn)?;
        let head = read::chain_head(&conn)?;
        Ok(SqliteStore {
            conn,
            head,
            known: apply::KnownSubjects::default(),
        })
    }

    /// Opens `data_dir/gongxin.sqlite`, creating the directory if needed.
    ///
    /// # Errors
    /// As [`open`](Self::open), and [`StoreError::Database`] when the directory cannot be made.
    pub fn open_in_dir(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Database(format!("creating {}: {e}", data_dir.display())))?;
        Self::open(&data_dir.join(FILE_NAME))
    }
}

/// Page size of new files. Larger than SQLite's 4 KiB default: a batch of new records dirties
/// pages all over two random-key indexes, and on this kind of machine the cost of a commit and
/// a checkpoint goes by the number of pages (a system call or two each) more than by bytes.
/// Measured at one million records in batches of 10,000: 8 KiB is about a fifth faster than
/// 4 KiB; 16 KiB a little faster still at that size but twice the bytes per page once the
/// indexes outgrow a batch. (PostgreSQL's pages are 8 KiB too.) An existing file keeps the page
/// size it was created with.
const PAGE_SIZE: i64 = 8192;

/// WAL size at which a commit checkpoints, instead of SQLite's 4 MiB: copying the scattered
/// index pages back into the file once per several batches instead of after every one is worth
/// about a fifth of import throughput. The WAL is truncated to [`WAL_KEPT`] afterwards.
const CHECKPOINT_BYTES: i64 = 256 << 20;
const WAL_KEPT: i64 = 64 << 20;

/// Connection settings; they are per connection, so every open applies them.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    let set = |name: &str, value: i64| {
        conn.pragma_update(None, name, value)
            .map_err(db(&format!("setting {name}")))
    };
    // Before anything is written: a new file takes its page size from its first write.
    set("page_size", PAGE_SIZE)?;
    // WAL: readers never block the writer, and a commit is one sequential append.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(db("setting journal_mode"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Database(format!(
            "the database refused WAL mode (journal_mode is {mode})"
        )));
    }
    // FULL fsyncs the WAL on every commit: a batch reported committed survives not only a
    // killed process (NORMAL would do for that) but a power cut. One fsync per batch.
    set("synchronous", 2)?;
    set("foreign_keys", 1)?;
    // 256 MiB of page cache (negative = KiB): the indexes a batch touches stay in memory.
    set("cache_size", -262_144)?;
    // Sorts and temporary b-trees of reads in memory, never in temp files.
    set("temp_store", 2)?;
    // Reads of the main file through the page cache of the OS, without a system call or a
    // copy per page: up to 64 GiB (the build raises SQLite's 2 GB cap, see .cargo/config.toml).
    set("mmap_size", 1 << 36)?;
    let page_size: i64 = conn
        .pragma_query_value(None, "page_size", |row| row.get(0))
        .map_err(db("reading page_size"))?;
    set("wal_autocheckpoint", CHECKPOINT_BYTES / page_size.max(512))?;
    set("journal_size_limit", WAL_KEPT)?;
    // A second process (the CLI importing while the server runs) waits for the write lock
    // instead of failing at once.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(db("setting the busy timeout"))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Wraps an engine error with what the store was doing.
fn db(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::Database(format!("{context}: {e}"))
}

impl Store for SqliteStore {
    fn reads_in_process(&self) -> bool {
        true
    }

    fn apply(
        &mut self,
        records: &mut dyn Iterator<Item = PreparedRecord>,
        actor: &Actor<'_>,
    ) -> Result<Vec<Change>, StoreError> {
        apply::apply(
            &mut self.conn,
            &mut self.head,
            &mut self.known,
            records,
            actor,
        )
    }

    fn refresh_statistics(&mut self) -> Result<(), StoreError> {
        // SQLite decides itself which tables changed enough to be analysed again.
        self.conn
            .execute_batch("PRAGMA optimize")
            .map_err(db("refreshing statistics"))
    }

    fn subject(&self, code: &str) -> Result<Option<Subject>, StoreError> {
        read::subject(&self.conn, code)
    }

    fn subject_code(&self, code: &str) -> Result<String, StoreError> {
        read::subject_code(&self.conn, code)
    }

    fn records_of(&self, subject_code: &str) -> Result<Vec<StoredRecord>, StoreError> {
        read::records_of(&self.conn, subject_code)
    }

    fn records_page(
        &self,
        subject_code: &str,
        range: &RecordRange<'_>,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        read::records_page(&self.conn, subject_code, range)
    }

    fn subjects_after(&self, after: &str, limit: usize) -> Result<Vec<Subject>, StoreError> {
        read::subjects_after(&self.conn, after, limit)
    }

    fn record(&self, id: &RecordId) -> Result<Option<StoredRecord>, StoreError> {
        read::record(&self.conn, id)
    }

    fn history(&self, id: &RecordId) -> Result<Vec<Event>, StoreError> {
        read::history(&self.conn, id)
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        read::events_after(&self.conn, after, limit)
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        read::counts(&self.conn)
    }

    fn subjects_holding(&self, items: &[&str]) -> Result<Vec<String>, StoreError> {
        read::subjects_holding(&self.conn, items)
    }

    fn records_of_many(
        &self,
        codes: &[&str],
    ) -> Result<std::collections::HashMap<String, Vec<StoredRecord>>, StoreError> {
        read::records_of_many(&self.conn, codes)
    }

    fn open_cases(&self, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError> {
        cases::open_cases(&self.conn, kind)
    }

    fn all_cases(&self, kind: CaseKind) -> Result<Vec<StoredCase>, StoreError> {
        cases::all_cases(&self.conn, kind)
    }

    fn log_head(&self) -> Result<u64, StoreError> {
        read::seq(read::chain_head(&self.conn)?.seq, "the chain head")
    }

    fn cached_profile(
        &self,
        code: &str,
        version: &str,
        today: chrono::NaiveDate,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        profiles::cached_profile(&self.conn, code, version, today)
    }

    fn keep_profiles(&mut self, head: u64, kept: &[CachedProfile]) -> Result<bool, StoreError> {
        profiles::keep_profiles(&mut self.conn, head, kept)
    }

    fn subjects_without_profile(
        &self,
        after: &str,
        version: &str,
        today: chrono::NaiveDate,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        profiles::subjects_without_profile(&self.conn, after, version, today, limit)
    }

    fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<Verification, StoreError> {
        verify::verify(&self.conn, progress)
    }

    fn backup_to(&self, out: &Path) -> Result<Snapshot, StoreError> {
        SqliteStore::backup_to(self, out)
    }

    fn add_key(&mut self, key: &ApiKey, secret_sha256: &[u8; 32]) -> Result<(), StoreError> {
        access::add_key(&self.conn, key, secret_sha256)
    }

    fn key_by_secret(&self, secret_sha256: &[u8; 32]) -> Result<Option<ApiKey>, StoreError> {
        access::key_by_secret(&self.conn, secret_sha256)
    }

    fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        access::keys(&self.conn)
    }

    fn revoke_key(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError> {
        access::revoke_key(&self.conn, id, at_us)
    }

    fn append_audit(&mut self, entry: &AuditEntry) -> Result<u64, StoreError> {
        access::append_audit(&self.conn, entry)
    }

    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        access::audit(&self.conn, query)
    }

    fn arrivals(&self) -> Result<Vec<ArrivalCount>, StoreError> {
        access::arrivals(&self.conn)
    }

    fn append_case(
        &mut self,
        step: &CaseStep<'_>,
        records: &mut dyn Iterator<Item = PreparedRecord>,
        actor: &Actor<'_>,
    ) -> Result<(u64, Vec<Change>), StoreError> {
        cases::append_case(
            &mut self.conn,
            &mut self.head,
            &mut self.known,
            step,
            records,
            actor,
        )
    }

    fn case(&self, id: &str) -> Result<Option<StoredCase>, StoreError> {
        cases::case(&self.conn, id)
    }

    fn cases_of(
        &self,
        subject: &str,
        kind: Option<CaseKind>,
    ) -> Result<Vec<StoredCase>, StoreError> {
        cases::cases_of(&self.conn, subject, kind)
    }

    fn cases_of_record(&self, record: &RecordId) -> Result<Vec<StoredCase>, StoreError> {
        cases::cases_of_record(&self.conn, record)
    }

    fn case_history(&self, id: &str) -> Result<Vec<Event>, StoreError> {
        cases::case_history(&self.conn, id)
    }

    fn append_check(&mut self, entry: &CheckEntry) -> Result<(), StoreError> {
        cases::append_check(&self.conn, entry)
    }

    fn check_entry(&self, receipt: &str) -> Result<Option<CheckEntry>, StoreError> {
        cases::check_entry(&self.conn, receipt)
    }

    fn checks_of(&self, subject: &str, limit: usize) -> Result<Vec<CheckEntry>, StoreError> {
        cases::checks_of(&self.conn, subject, limit)
    }
    fn add_subscription(
        &mut self,
        subscription: &Subscription,
        secret: &str,
    ) -> Result<(), StoreError> {
        push::add_subscription(&self.conn, subscription, secret)
    }

    fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        push::subscriptions(&self.conn)
    }

    fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        push::subscription(&self.conn, id)
    }

    fn subscription_secret(&self, id: &str) -> Result<Option<String>, StoreError> {
        push::subscription_secret(&self.conn, id)
    }

    fn revoke_subscription(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError> {
        push::revoke_subscription(&self.conn, id, at_us)
    }

    fn dispatch_position(&self) -> Result<DispatchPosition, StoreError> {
        push::dispatch_position(&self.conn)
    }

    fn enqueue_deliveries(
        &mut self,
        deliveries: &[NewDelivery],
        position: &DispatchPosition,
    ) -> Result<u64, StoreError> {
        push::enqueue_deliveries(&mut self.conn, deliveries, position)
    }

    fn due_deliveries(
        &self,
        now_us: i64,
        per_subscription: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        push::due_deliveries(&self.conn, now_us, per_subscription)
    }

    fn settle_delivery(&mut self, id: u64, attempt: &Attempt) -> Result<bool, StoreError> {
        push::settle_delivery(&self.conn, id, attempt)
    }

    fn deliveries(&self, query: &DeliveryQuery) -> Result<Vec<Delivery>, StoreError> {
        push::deliveries(&self.conn, query)
    }

    fn requeue_deliveries(
        &mut self,
        subscription: &str,
        from_seq: Option<u64>,
        at_us: i64,
    ) -> Result<u64, StoreError> {
        push::requeue_deliveries(&self.conn, subscription, from_seq, at_us)
    }

    fn append_feedback(&mut self, feedback: &Feedback) -> Result<u64, StoreError> {
        push::append_feedback(&self.conn, feedback)
    }

    fn feedback_of(&self, receipt: &str) -> Result<Vec<Feedback>, StoreError> {
        push::feedback_of(&self.conn, receipt)
    }

    fn check_tallies(
        &self,
        from_us: Option<i64>,
        to_us: Option<i64>,
    ) -> Result<Vec<CheckTally>, StoreError> {
        push::check_tallies(&self.conn, from_us, to_us)
    }

    fn measure_tallies(
        &self,
        from_us: Option<i64>,
        to_us: Option<i64>,
    ) -> Result<Vec<MeasureTally>, StoreError> {
        push::measure_tallies(&self.conn, from_us, to_us)
    }

    fn add_typical_case(&mut self, case: &TypicalCase) -> Result<(), StoreError> {
        push::add_typical_case(&self.conn, case)
    }

    fn typical_cases(&self, published_only: bool) -> Result<Vec<TypicalCase>, StoreError> {
        push::typical_cases(&self.conn, published_only)
    }

    fn publish_typical_case(&mut self, id: &str, at_us: i64) -> Result<bool, StoreError> {
        push::publish_typical_case(&self.conn, id, at_us)
    }

    fn add_attachment(&mut self, new: &NewAttachment<'_>) -> Result<Attachment, StoreError> {
        attachments::add_attachment(&self.conn, new)
    }

    fn attachment(&self, id: &str) -> Result<Option<Attachment>, StoreError> {
        attachments::attachment(&self.conn, id)
    }

    fn attachment_content(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        attachments::attachment_content(&self.conn, id)
    }

    fn reference_attachments(
        &mut self,
        case: &str,
        subject: &str,
        ids: &[String],
        at_us: i64,
    ) -> Result<(), StoreError> {
        attachments::reference_attachments(&mut self.conn, case, subject, ids, at_us)
    }

    fn attachment_references(&self, id: &str) -> Result<Vec<AttachmentReference>, StoreError> {
        attachments::attachment_references(&self.conn, id)
    }

    fn set_contact(&mut self, contact: &Contact) -> Result<(), StoreError> {
        mail::set_contact(&self.conn, contact)
    }

    fn remove_contact(&mut self, party: &Party) -> Result<bool, StoreError> {
        mail::remove_contact(&self.conn, party)
    }

    fn contact(&self, party: &Party) -> Result<Option<Contact>, StoreError> {
        mail::contact(&self.conn, party)
    }

    fn mail_position(&self) -> Result<Option<u64>, StoreError> {
        mail::mail_position(&self.conn)
    }

    fn enqueue_mails(&mut self, mails: &[NewMail], position: u64) -> Result<u64, StoreError> {
        mail::enqueue_mails(&mut self.conn, mails, position)
    }

    fn settle_mail(&mut self, id: u64, attempt: &Attempt) -> Result<bool, StoreError> {
        mail::settle_mail(&self.conn, id, attempt)
    }

    fn mails(&self, query: &MailQuery) -> Result<Vec<Mail>, StoreError> {
        mail::mails(&self.conn, query)
    }
}
