//! The write path: records become events in the log and rows in the projections, in one
//! transaction.
//!
//! Costs are per record, so the loop avoids everything it can: statements are prepared once
//! per connection, a subject and an old code are looked up once while no other writer
//! intervenes (see [`KnownSubjects`]), ids and hashes are bound as bytes, and the projections
//! are written as the events are, so that a record repeated within the transaction simply
//! finds the row its earlier occurrence wrote. What does not need the database — ids, content
//! hashes, payloads and their digests — arrives computed in [`PreparedRecord`]s, made on the
//! caller's other thread.

use std::collections::{HashMap, HashSet};

use gongxin_core::event::EventKind;
use gongxin_core::record::{
    Change, ContentHash, PreparedRecord, RecordId, RecordStatus, SubjectId, decide_change,
};
use rusqlite::{CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::read::{self, column, corrupt};
use super::{ChainHead, db};
use crate::{Actor, StoreError};

/// What the writer has learned about the subject projections (`subjects`, `subject_codes`)
/// as they stand after the last batch this store committed.
///
/// Every subject of a batch used to cost a look-up and every old code an insert, once per
/// batch: with 100,000 subjects spread over 100,000-row batches that is two searches of a
/// random-key index per row on top of the record's own. The projections change only together
/// with the log, so while the chain head is the one this store committed, nobody else has
/// touched them and what was learned still holds; a moved head means another writer, and the
/// knowledge is dropped.
#[derive(Debug, Default)]
pub(super) struct KnownSubjects {
    /// Subjects with their current name.
    names: HashMap<SubjectId, String>,
    /// Old codes that have their row in `subject_codes`.
    old_codes: HashSet<SubjectId>,
}

/// Subjects remembered at most; past this the knowledge is dropped and learned again, so that
/// a long-running writer's memory stays bounded (~100 bytes a subject).
const KNOWN_SUBJECTS_LIMIT: usize = 1_000_000;

pub(super) fn apply(
    conn: &mut Connection,
    cached: &mut ChainHead,
    known: &mut KnownSubjects,
    records: &mut dyn Iterator<Item = PreparedRecord>,
    actor: &Actor<'_>,
) -> Result<Vec<Change>, StoreError> {
    // IMMEDIATE takes the write lock now: the head read below cannot be overtaken by another
    // writer before this transaction commits.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("starting a batch"))?;
    check_cached_head(&tx, *cached)?;
    let head = read::chain_head(&tx)?;
    // Taken out whatever happens: a failed batch must not leave behind what it learned from
    // rows it rolled back.
    let mut learned = std::mem::take(known);
    if head != *cached {
        learned = KnownSubjects::default();
    }
    let mut batch = Batch::new(&tx, head, learned, actor)?;
    let changes = records
        .map(|record| batch.apply(&record))
        .collect::<Result<Vec<_>, _>>()?;
    // The batch's statements borrow the transaction: they go before it commits.
    let (head, learned) = batch.finish();
    tx.commit().map_err(db("committing a batch"))?;
    // Only now: a failed batch (dropped transaction, rolled back) leaves the cache as it was.
    *cached = head;
    if learned.names.len() <= KNOWN_SUBJECTS_LIMIT {
        *known = learned;
    }
    Ok(changes)
}

/// The last event this store committed must still be there, unchanged. Later events from
/// another writer are fine; fewer events, or a different one at that place, mean the log was
/// cut or rewritten behind the store's back, and appending would fork the chain.
pub(super) fn check_cached_head(tx: &Transaction<'_>, cached: ChainHead) -> Result<(), StoreError> {
    if cached == ChainHead::EMPTY {
        return Ok(());
    }
    let stored: Option<Vec<u8>> = tx
        .prepare_cached("SELECT hash FROM events WHERE seq = ?1")
        .and_then(|mut stmt| stmt.query_row([cached.seq], |row| row.get(0)).optional())
        .map_err(db("re-reading the chain head"))?;
    match stored {
        Some(hash) if hash == cached.hash.0 => Ok(()),
        Some(_) => Err(corrupt(format!(
            "event {} changed after this store committed it; refusing to append to a rewritten log",
            cached.seq
        ))),
        None => Err(corrupt(format!(
            "event {} disappeared after this store committed it; refusing to append to a truncated log",
            cached.seq
        ))),
    }
}

/// What the projection holds for a record: enough to decide the change and to link the next
/// event.
#[derive(Debug, Clone, Copy)]
struct Current {
    first_seq: i64,
    head_seq: i64,
    content_hash: ContentHash,
    status: RecordStatus,
}

/// One batch in progress: the statements it uses and the chain head it has reached.
pub(super) struct Batch<'t> {
    head: ChainHead,
    actor: &'t Actor<'t>,
    find_record: CachedStatement<'t>,
    insert_event: CachedStatement<'t>,
    insert_record: CachedStatement<'t>,
    update_record: CachedStatement<'t>,
    find_subject: CachedStatement<'t>,
    insert_subject: CachedStatement<'t>,
    rename_subject: CachedStatement<'t>,
    insert_name: CachedStatement<'t>,
    insert_old_code: CachedStatement<'t>,
    drop_profile: CachedStatement<'t>,
    known: KnownSubjects,
    /// Subjects (as filed) whose cached profile this transaction has dropped: no entry can be
    /// kept while it holds the write lock, so once is enough.
    profiles_dropped: HashSet<String>,
}

impl<'t> Batch<'t> {
    pub(super) fn new(
        tx: &'t Connection,
        head: ChainHead,
        known: KnownSubjects,
        actor: &'t Actor<'t>,
    ) -> Result<Self, StoreError> {
        let prepare = |sql: &str| tx.prepare_cached(sql).map_err(db("preparing a batch"));
        Ok(Batch {
            head,
            actor,
            find_record: prepare(
                "SELECT first_seq, head_seq, content_hash, status FROM records WHERE id = ?1",
            )?,
            insert_event: prepare(
                "INSERT INTO events (seq, kind, subject, record, prev_record_seq, \
                 recorded_at_us, actor, payload, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?,
            insert_record: prepare(
                "INSERT INTO records (first_seq, id, subject, item, source_unit, document_no, \
                 decision_date, status, content_hash, catalog_version, head_seq, \
                 first_recorded_at_us) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?1, ?11) \
                 ON CONFLICT (id) DO NOTHING",
            )?,
            // The natural key columns never change: the id is derived from them.
            update_record: prepare(
                "UPDATE records SET subject = ?2, decision_date = ?3, status = ?4, \
                 content_hash = ?5, catalog_version = ?6, head_seq = ?7 \
                 WHERE first_seq = ?1",
            )?,
            find_subject: prepare("SELECT name FROM subjects WHERE code = ?1")?,
            insert_subject: prepare("INSERT INTO subjects (code, name) VALUES (?1, ?2)")?,
            rename_subject: prepare("UPDATE subjects SET name = ?2 WHERE code = ?1")?,
            insert_name: prepare(
                "INSERT INTO subject_names (subject, name, first_seq) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (subject, name) DO NOTHING",
            )?,
            // The first mapping of an old code wins; a second USCC claiming the same
            // organisation code is a data error that must not silently move records.
            insert_old_code: prepare(
                "INSERT INTO subject_codes (old_code, subject) VALUES (?1, ?2) \
                 ON CONFLICT (old_code) DO NOTHING",
            )?,
            // What the dropped row trigger on `records` did (migration 10), resolving an old
            // code to the subject whose profile shows its records.
            drop_profile: prepare(
                "DELETE FROM subject_profiles WHERE subject = \
                 coalesce((SELECT subject FROM subject_codes WHERE old_code = ?1), ?1)",
            )?,
            known,
            profiles_dropped: HashSet::new(),
        })
    }

    /// The chain head reached and what was learned, releasing the statements.
    pub(super) fn finish(self) -> (ChainHead, KnownSubjects) {
        (self.head, self.known)
    }

    pub(super) fn apply(&mut self, prepared: &PreparedRecord) -> Result<Change, StoreError> {
        let key = prepared.key();
        let id = prepared.id();
        let seq = self.head.seq + 1;
        let status = read::status_str(prepared.status());
        let decision_date = prepared.decision_date().to_string();
        // New records are the common case of an import: claiming the id with the row of the
        // new record costs one search of the id index, where looking first and inserting
        // after costs two. Only a conflict means the record exists.
        let inserted = self
            .insert_record
            .execute((
                seq,
                &id.0[..],
                prepared.subject(),
                &key.item,
                &key.source_unit,
                &key.document_no,
                &decision_date,
                status,
                &prepared.content_hash().0[..],
                prepared.catalog_version(),
                self.actor.at_us,
            ))
            .map_err(db("writing a record"))?;
        let current = match inserted {
            0 => Some(
                self.find_record(&id)?
                    .ok_or_else(|| corrupt(format!("record {id} conflicts but cannot be read")))?,
            ),
            _ => None,
        };
        let change = decide_change(
            current.map(|c| (c.content_hash, c.status)),
            prepared.status(),
            prepared.content_hash(),
        );
        let Some(kind) = EventKind::for_change(change) else {
            return Ok(change);
        };
        let hash = prepared.event_hash(
            kind,
            read::seq(seq, "the next event")?,
            &self.head.hash,
            self.actor.name,
            self.actor.at_us,
        );
        self.insert_event
            .execute((
                seq,
                kind.as_str(),
                prepared.subject(),
                &id.0[..],
                current.map(|c| c.head_seq),
                self.actor.at_us,
                self.actor.name,
                prepared.payload(),
                &self.head.hash.0[..],
                &hash.0[..],
            ))
            .map_err(db("inserting an event"))?;

        // After the event: a new name row points at it.
        self.touch_subject(prepared, seq)?;
        self.drop_profile(prepared.subject())?;
        for old_code in prepared.old_codes() {
            self.map_old_code(old_code, prepared.subject())?;
        }

        if let Some(current) = current {
            self.update_record
                .execute((
                    current.first_seq,
                    prepared.subject(),
                    &decision_date,
                    status,
                    &prepared.content_hash().0[..],
                    prepared.catalog_version(),
                    seq,
                ))
                .map_err(db("writing a record"))?;
        }
        self.head = ChainHead { seq, hash };
        Ok(change)
    }

    fn find_record(&mut self, id: &RecordId) -> Result<Option<Current>, StoreError> {
        let mut rows = self
            .find_record
            .query([&id.0[..]])
            .map_err(db("looking a record up"))?;
        let Some(row) = rows.next().map_err(db("looking a record up"))? else {
            return Ok(None);
        };
        let hash: Vec<u8> = column(row, 2, format_args!("record {id}: content_hash"))?;
        let hash = <[u8; 32]>::try_from(hash.as_slice())
            .map_err(|_| corrupt(format!("record {id}: content_hash is not 32 bytes")))?;
        let status: String = column(row, 3, format_args!("record {id}: status"))?;
        Ok(Some(Current {
            first_seq: column(row, 0, format_args!("record {id}: first_seq"))?,
            head_seq: column(row, 1, format_args!("record {id}: head_seq"))?,
            content_hash: ContentHash(hash),
            status: read::status(&status, format_args!("record {id}: status"))?,
        }))
    }

    /// Drops the cached public profile that shows records of `subject`, once per transaction.
    fn drop_profile(&mut self, subject: &str) -> Result<(), StoreError> {
        if !self.profiles_dropped.contains(subject) {
            self.drop_profile
                .execute([subject])
                .map_err(db("dropping a cached profile"))?;
            self.profiles_dropped.insert(subject.to_owned());
        }
        Ok(())
    }

    /// Maps an old code to `subject` unless it is known to be mapped: the first mapping of a
    /// code wins.
    fn map_old_code(&mut self, old_code: &SubjectId, subject: &str) -> Result<(), StoreError> {
        if !self.known.old_codes.contains(old_code) {
            self.insert_old_code
                .execute((old_code.as_str(), subject))
                .map_err(db("mapping an old code"))?;
            self.known.old_codes.insert(old_code.clone());
        }
        Ok(())
    }

    /// Creates the subject on first sight (with its name and old codes) and follows renames.
    fn touch_subject(&mut self, prepared: &PreparedRecord, seq: i64) -> Result<(), StoreError> {
        let code = prepared.subject();
        let name = prepared.subject_name();
        let stored = match self.known.names.get(prepared.subject_id()) {
            Some(current) if current == name => return Ok(()),
            Some(current) => Some(current.clone()),
            None => self
                .find_subject
                .query_row([code], |row| row.get::<_, String>(0))
                .optional()
                .map_err(db("looking a subject up"))?,
        };
        match stored {
            None => {
                self.insert_subject
                    .execute((code, name))
                    .map_err(db("inserting a subject"))?;
                self.insert_name
                    .execute((code, name, seq))
                    .map_err(db("inserting a subject name"))?;
                // A USCC embeds the organisation code the entity had before 2015; records
                // filed under that code belong to it.
                if let SubjectId::Uscc(uscc) = prepared.subject_id()
                    && let Ok(org_code) = uscc.parsed_org_code()
                {
                    self.map_old_code(&SubjectId::OrgCode(org_code), code)?;
                }
            }
            Some(stored) if stored != name => {
                self.rename_subject
                    .execute((code, name))
                    .map_err(db("renaming a subject"))?;
                self.insert_name
                    .execute((code, name, seq))
                    .map_err(db("inserting a subject name"))?;
            }
            Some(_) => {}
        }
        self.known
            .names
            .insert(prepared.subject_id().clone(), name.to_owned());
        Ok(())
    }
}
