//! The write path: records become events in the log and rows in the projections, in one
//! transaction, one at a time for the whole database.
//!
//! **The chain head.** A transaction that appends first locks the one `chain_head` row
//! ([`lock_head`]); a second writer waits on that lock until the first commits or rolls back,
//! and then reads the head the first one left (PostgreSQL re-reads a row locked `FOR UPDATE`
//! once its lock is released, and every later statement of a read-committed transaction sees
//! what was committed before it began). So appends happen one transaction at a time, each
//! after the last committed event, in commit order: no two events get the same `seq`, none
//! links to a head that was rolled back, and a reader of `events` never sees a later event
//! before an earlier one. The decisions (new, unchanged, corrected, revoked) are made under
//! the same lock, on rows no one else can change meanwhile, so no record is lost or recorded
//! twice whatever the writers send at once. The lock is taken once the first chunk of records
//! is in hand, not when the transaction begins: a caller still reading its input (an
//! import's reader thread) does not hold the other writers up meanwhile. From then on it is
//! held to the commit — a lock released earlier would let another writer append after events
//! that may still roll back, or show the feed a later event before an earlier one.
//!
//! **Chunks.** Round trips to the server, not the server's work, dominate a write of one row:
//! the records are pulled from the iterator a chunk at a time, the chunk's current rows are
//! read in one query, the decisions made in memory in order (a record repeated within the
//! chunk meets its earlier occurrence there), and the chunk's events and projection rows are
//! written with one statement per table. Rows known to be new — every event, new records, new
//! subjects and their names — go in with a binary `COPY` ([`copy`]), the cheapest way into a
//! table for the server; updates and inserts that may meet an existing row (an old code
//! mapped before, a subject renamed back to an earlier name) stay statements over arrays
//! (`unnest`). A chunk holds a few thousand records, so the transaction can still be far
//! larger than what is in memory.
//!
//! **Subjects.** With 100,000 subjects in a million records, every chunk used to look up most
//! of its subjects again and re-send their old codes. The projections change only together
//! with the log, so while the chain head is the one this store committed, no one else
//! has touched them, and what the writer learned about subjects still holds
//! ([`KnownSubjects`], as the SQLite engine keeps it).

mod copy;

use std::collections::{HashMap, HashSet};

use gongxin_core::event::{EventKind, Hash};
use gongxin_core::record::{
    Change, ContentHash, PreparedRecord, RecordId, RecordStatus, SubjectId, decide_change,
};
use postgres::{GenericClient, Transaction};

use self::copy::CopyIn;
use super::column;
use super::read::{self, corrupt};
use super::{ChainHead, Conn, Db, pg};
use crate::{Actor, StoreError};

/// Records per chunk: enough that the round trips per record vanish, few enough that the
/// chunk's payloads (about a kilobyte each) stay a few megabytes.
const CHUNK: usize = 4_096;

/// What the writer has learned about the subject projections (`subjects`, `subject_codes`)
/// as they stand after the last transaction the store committed.
///
/// Valid only while the chain head is the one the store committed: the projections
/// change only together with the log, so an unmoved head means no one else has written
/// since. A moved head — another writer — and the knowledge is dropped ([`Self::take`]); a
/// transaction that fails does not give back what it learned from rows it rolled back
/// ([`Self::keep`] runs after the commit only).
#[derive(Debug, Default)]
pub(super) struct KnownSubjects {
    /// Subjects with their current name.
    names: HashMap<String, String>,
    /// Old codes that have their row in `subject_codes` (mapped to this or another subject:
    /// the first mapping of a code wins).
    old_codes: HashSet<String>,
}

/// Subjects remembered at most; past this the knowledge is dropped and learned again, so that
/// a long-running writer's memory stays bounded (~150 bytes a subject).
const KNOWN_SUBJECTS_LIMIT: usize = 1_000_000;

impl KnownSubjects {
    /// Takes the knowledge out of `slot` for a transaction that found the head at `locked`:
    /// what the store learned holds only if it committed that head itself (`cached`).
    pub(super) fn take(slot: &mut KnownSubjects, locked: ChainHead, cached: ChainHead) -> Self {
        let known = std::mem::take(slot);
        if locked == cached {
            known
        } else {
            KnownSubjects::default()
        }
    }

    /// Gives the knowledge back to `slot` once its transaction has committed.
    pub(super) fn keep(self, slot: &mut KnownSubjects) {
        if self.names.len() <= KNOWN_SUBJECTS_LIMIT {
            *slot = self;
        }
    }
}

pub(super) fn apply(
    conn: &mut Conn,
    cached: &mut ChainHead,
    known: &mut KnownSubjects,
    records: &mut dyn Iterator<Item = PreparedRecord>,
    actor: &Actor<'_>,
) -> Result<Vec<Change>, StoreError> {
    // The first chunk before the lock: see the module's documentation.
    let first = next_chunk(records);
    let mut tx = conn.client.transaction().map_err(pg("starting a batch"))?;
    let mut db = Db {
        client: &mut tx,
        statements: &mut conn.statements,
    };
    let locked = lock_head(&mut db, *cached)?;
    let mut writer = Writer::new(locked, actor, KnownSubjects::take(known, locked, *cached));
    let changes = writer.apply_chunks(&mut db, first, records)?;
    let (head, learned) = writer.finish(&mut db, locked)?;
    tx.commit().map_err(pg("committing a batch"))?;
    // Only now: a failed batch (rolled back) leaves the cache as it was, and what it learned
    // unknown.
    *cached = head;
    learned.keep(known);
    Ok(changes)
}

/// The next chunk of records; empty at the end.
fn next_chunk(records: &mut dyn Iterator<Item = PreparedRecord>) -> Vec<PreparedRecord> {
    records.take(CHUNK).collect()
}

/// Locks the chain head for the rest of the transaction and returns it.
///
/// The head row must name the last event as it is stored, and the last event this store
/// committed (`cached`) must still be there, unchanged. Later events from other writers are
/// fine; a missing or different event means the log was cut or rewritten behind the store's
/// back, and appending would fork the chain.
pub(super) fn lock_head(
    db: &mut Db<'_, Transaction<'_>>,
    cached: ChainHead,
) -> Result<ChainHead, StoreError> {
    let row = db
        .query_opt(
            "SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE",
            &[],
            "locking the chain head",
        )?
        .ok_or_else(|| corrupt("the chain_head row is missing"))?;
    let head = read::head_of(&row)?;
    if head != ChainHead::EMPTY {
        still_there(db, head, "the head of the chain")?;
    }
    if cached != ChainHead::EMPTY && cached != head {
        still_there(db, cached, "the last this store committed")?;
    }
    Ok(head)
}

/// The event at `head.seq` has `head.hash`.
fn still_there(
    db: &mut Db<'_, impl GenericClient>,
    head: ChainHead,
    which: &str,
) -> Result<(), StoreError> {
    let stored: Option<Vec<u8>> = db
        .query_opt(
            "SELECT hash FROM events WHERE seq = $1",
            &[&head.seq],
            "re-reading the chain head",
        )?
        .map(|row| column(&row, 0, format_args!("event {}: hash", head.seq)))
        .transpose()?;
    match stored {
        Some(hash) if hash == head.hash.0 => Ok(()),
        Some(_) => Err(corrupt(format!(
            "event {} ({which}) changed after it was committed; refusing to append to a \
             rewritten log",
            head.seq
        ))),
        None => Err(corrupt(format!(
            "event {} ({which}) disappeared after it was committed; refusing to append to a \
             truncated log",
            head.seq
        ))),
    }
}

/// What the projection holds for a record: enough to decide the change and to link the next
/// event, and which record of the chunk it was last written from.
#[derive(Debug, Clone, Copy)]
struct Current {
    first_seq: i64,
    head_seq: i64,
    content_hash: ContentHash,
    status: RecordStatus,
    /// The chunk's record that last changed it; `None` while it is as stored.
    latest: Option<usize>,
    /// Not stored yet: its row is inserted, not updated.
    new: bool,
}

/// An event of the chunk, to insert: its record is the chunk's record `index`.
#[derive(Debug)]
struct NewEvent {
    index: usize,
    seq: i64,
    kind: EventKind,
    prev_record_seq: Option<i64>,
    prev_hash: Hash,
    hash: Hash,
}

/// What a chunk does to the subject projections, written after its events.
#[derive(Debug, Default)]
struct SubjectChanges<'c> {
    /// The subjects the chunk changes, with their name as stored before it; `None` for the
    /// subjects it creates. (Their name after it is the writer's [`KnownSubjects`].)
    before: HashMap<&'c str, Option<String>>,
    /// `(subject, name, first event)`, each pair once: the first use of a name.
    names: Vec<(&'c str, &'c str, i64)>,
    named: HashSet<(&'c str, &'c str)>,
    /// `(old code, subject)` for old codes without a row yet as far as the writer knows.
    old_codes: Vec<(String, &'c str)>,
}

/// Appends records after a locked chain head, chunk by chunk.
pub(super) struct Writer<'a> {
    head: ChainHead,
    actor: &'a Actor<'a>,
    known: KnownSubjects,
}

impl<'a> Writer<'a> {
    /// A writer appending after `head`, which the transaction holds locked, knowing `known`
    /// about the subjects as the head leaves them.
    pub(super) fn new(head: ChainHead, actor: &'a Actor<'a>, known: KnownSubjects) -> Self {
        Writer { head, actor, known }
    }

    /// Moves the `chain_head` row from `locked`, where the transaction found it, to the last
    /// event written, and returns that with what the writer knows about the subjects then.
    pub(super) fn finish(
        self,
        db: &mut Db<'_, Transaction<'_>>,
        locked: ChainHead,
    ) -> Result<(ChainHead, KnownSubjects), StoreError> {
        if self.head != locked {
            db.execute(
                "UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1",
                &[&self.head.seq, &&self.head.hash.0[..]],
                "moving the chain head",
            )?;
        }
        Ok((self.head, self.known))
    }

    /// Applies every record of `records`, a chunk at a time.
    pub(super) fn apply_all(
        &mut self,
        db: &mut Db<'_, Transaction<'_>>,
        records: &mut dyn Iterator<Item = PreparedRecord>,
    ) -> Result<Vec<Change>, StoreError> {
        let first = next_chunk(records);
        self.apply_chunks(db, first, records)
    }

    /// Applies `first`, a chunk already pulled from `records`, and then the rest.
    fn apply_chunks(
        &mut self,
        db: &mut Db<'_, Transaction<'_>>,
        first: Vec<PreparedRecord>,
        records: &mut dyn Iterator<Item = PreparedRecord>,
    ) -> Result<Vec<Change>, StoreError> {
        let mut changes = Vec::new();
        let mut chunk = first;
        while !chunk.is_empty() {
            self.apply_chunk(db, &chunk, &mut changes)?;
            chunk = next_chunk(records);
        }
        Ok(changes)
    }

    fn apply_chunk(
        &mut self,
        db: &mut Db<'_, Transaction<'_>>,
        chunk: &[PreparedRecord],
        changes: &mut Vec<Change>,
    ) -> Result<(), StoreError> {
        let mut current = current_records(db, chunk)?;
        self.learn_subjects(db, chunk)?;
        let mut events: Vec<NewEvent> = Vec::new();
        let mut subjects = SubjectChanges::default();

        for (index, prepared) in chunk.iter().enumerate() {
            let id = prepared.id();
            let found = current.get(&id).copied();
            let change = decide_change(
                found.map(|c| (c.content_hash, c.status)),
                prepared.status(),
                prepared.content_hash(),
            );
            changes.push(change);
            let Some(kind) = EventKind::for_change(change) else {
                continue;
            };
            let seq = self.head.seq + 1;
            let hash = prepared.event_hash(
                kind,
                read::seq(seq, "the next event")?,
                &self.head.hash,
                self.actor.name,
                self.actor.at_us,
            );
            events.push(NewEvent {
                index,
                seq,
                kind,
                prev_record_seq: found.map(|c| c.head_seq),
                prev_hash: self.head.hash,
                hash,
            });
            self.head = ChainHead { seq, hash };
            self.touch_subject(prepared, seq, &mut subjects);

            let next = match found {
                None => Current {
                    first_seq: seq,
                    head_seq: seq,
                    content_hash: prepared.content_hash(),
                    status: prepared.status(),
                    latest: Some(index),
                    new: true,
                },
                Some(before) => Current {
                    head_seq: seq,
                    content_hash: prepared.content_hash(),
                    status: prepared.status(),
                    latest: Some(index),
                    ..before
                },
            };
            current.insert(id, next);
        }

        self.write_events(db, chunk, &events)?;
        self.write_subjects(db, &subjects)?;
        self.write_records(db, chunk, &current)
    }

    /// Reads the chunk's subjects that the writer does not know yet into what it knows.
    fn learn_subjects(
        &mut self,
        db: &mut Db<'_, Transaction<'_>>,
        chunk: &[PreparedRecord],
    ) -> Result<(), StoreError> {
        let unknown: HashSet<&str> = chunk
            .iter()
            .map(PreparedRecord::subject)
            .filter(|code| !self.known.names.contains_key(*code))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let codes: Vec<&str> = unknown.into_iter().collect();
        let rows = db.query(
            "SELECT code, name FROM subjects WHERE code = ANY($1)",
            &[&codes],
            "looking subjects up",
        )?;
        for row in &rows {
            let code: String = column(row, 0, "subjects.code")?;
            let name: String = column(row, 1, format_args!("subject {code}: name"))?;
            self.known.names.insert(code, name);
        }
        Ok(())
    }

    /// The subject of a record that made an event: created on first sight (with the
    /// organisation code its USCC embeds: records filed under that code belong to it),
    /// renamed when the name changes; every name it is given is kept with the event that first
    /// used it, and the old codes the record gives are mapped to it unless mapped before.
    fn touch_subject<'c>(
        &mut self,
        prepared: &'c PreparedRecord,
        seq: i64,
        changes: &mut SubjectChanges<'c>,
    ) {
        let code = prepared.subject();
        let name = prepared.subject_name();
        match self.known.names.get_mut(code) {
            Some(current) => {
                if current != name {
                    changes
                        .before
                        .entry(code)
                        .or_insert_with(|| Some(current.clone()));
                    name.clone_into(current);
                    if changes.named.insert((code, name)) {
                        changes.names.push((code, name, seq));
                    }
                }
            }
            None => {
                changes.before.insert(code, None);
                self.known.names.insert(code.to_owned(), name.to_owned());
                if changes.named.insert((code, name)) {
                    changes.names.push((code, name, seq));
                }
                if let SubjectId::Uscc(uscc) = prepared.subject_id()
                    && let Ok(org_code) = uscc.parsed_org_code()
                {
                    self.map_old_code(&SubjectId::OrgCode(org_code), code, changes);
                }
            }
        }
        for old_code in prepared.old_codes() {
            self.map_old_code(old_code, code, changes);
        }
    }

    /// Maps `old_code` to `subject` unless it is known to have its row already.
    fn map_old_code<'c>(
        &mut self,
        old_code: &SubjectId,
        subject: &'c str,
        changes: &mut SubjectChanges<'c>,
    ) {
        if !self.known.old_codes.contains(old_code.as_str()) {
            let old_code = old_code.as_str().to_owned();
            self.known.old_codes.insert(old_code.clone());
            changes.old_codes.push((old_code, subject));
        }
    }

    /// The chunk's events, with one `COPY`: every one is new (its `seq` is past the head the
    /// transaction holds locked).
    fn write_events(
        &self,
        db: &mut Db<'_, Transaction<'_>>,
        chunk: &[PreparedRecord],
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut copy = CopyIn::start(
            db,
            "COPY events (seq, kind, subject, record, prev_record_seq, recorded_at_us, actor, \
                 payload, prev_hash, hash) FROM STDIN (FORMAT binary)",
            10,
            "inserting events",
        )?;
        for event in events {
            let prepared = &chunk[event.index];
            copy.row()?
                .int8(event.seq)
                .text(event.kind.as_str())
                .text(prepared.subject())
                .bytea(&prepared.id().0)
                .int8_or_null(event.prev_record_seq)
                .int8(self.actor.at_us)
                .text(self.actor.name)
                .text(prepared.payload())
                .bytea(&event.prev_hash.0)
                .bytea(&event.hash.0);
        }
        copy.finish()?;
        Ok(())
    }

    /// The chunk's new subjects with one `COPY` (looked up under the lock and not found), the
    /// renamed ones updated, each with the name the chunk left it with; the names first used
    /// and the old codes first given.
    fn write_subjects(
        &self,
        db: &mut Db<'_, Transaction<'_>>,
        changes: &SubjectChanges<'_>,
    ) -> Result<(), StoreError> {
        let mut created: Vec<(&str, &str)> = Vec::new();
        let mut renamed: Vec<(&str, &str)> = Vec::new();
        for (&code, before) in &changes.before {
            let name = self
                .known
                .names
                .get(code)
                .map(String::as_str)
                .ok_or_else(|| corrupt(format!("subject {code}: not known after its chunk")))?;
            match before {
                None => created.push((code, name)),
                Some(stored) if stored != name => renamed.push((code, name)),
                Some(_) => {}
            }
        }
        // By code, so that neighbouring keys go into the key index together.
        created.sort_unstable();
        if !created.is_empty() {
            let mut copy = CopyIn::start(
                db,
                "COPY subjects (code, name) FROM STDIN (FORMAT binary)",
                2,
                "inserting subjects",
            )?;
            for (code, name) in &created {
                copy.row()?.text(code).text(name);
            }
            copy.finish()?;
        }
        if !renamed.is_empty() {
            let (codes, names): (Vec<&str>, Vec<&str>) = renamed.into_iter().unzip();
            db.execute(
                "UPDATE subjects s SET name = u.name \
                 FROM unnest($1::text[], $2::text[]) AS u(code, name) WHERE s.code = u.code",
                &[&codes, &names],
                "renaming subjects",
            )?;
        }

        // A subject created by this chunk has no names yet: its names are new rows. A name
        // given to a stored subject may be one it had before, whose first use stays.
        let (fresh, again): (Vec<_>, Vec<_>) = changes
            .names
            .iter()
            .partition(|(code, _, _)| matches!(changes.before.get(code), Some(None)));
        if !fresh.is_empty() {
            let mut copy = CopyIn::start(
                db,
                "COPY subject_names (subject, name, first_seq) FROM STDIN (FORMAT binary)",
                3,
                "inserting subject names",
            )?;
            for (code, name, seq) in fresh {
                copy.row()?.text(code).text(name).int8(seq);
            }
            copy.finish()?;
        }
        if !again.is_empty() {
            let codes: Vec<&str> = again.iter().map(|r| r.0).collect();
            let names: Vec<&str> = again.iter().map(|r| r.1).collect();
            let seqs: Vec<i64> = again.iter().map(|r| r.2).collect();
            db.execute(
                "INSERT INTO subject_names (subject, name, first_seq) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) \
                 ON CONFLICT (subject, name) DO NOTHING",
                &[&codes, &names, &seqs],
                "inserting subject names",
            )?;
        }

        // A second USCC claiming the same organisation code is a data error that must not
        // silently move records: the mapping stored first stays.
        if !changes.old_codes.is_empty() {
            let (olds, owners): (Vec<&str>, Vec<&str>) = changes
                .old_codes
                .iter()
                .map(|(old, subject)| (old.as_str(), *subject))
                .unzip();
            db.execute(
                "INSERT INTO subject_codes (old_code, subject) \
                 SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (old_code) DO NOTHING",
                &[&olds, &owners],
                "mapping old codes",
            )?;
        }
        Ok(())
    }

    /// The chunk's new records inserted (one `COPY`), the changed ones updated, as the chunk
    /// left them.
    fn write_records(
        &self,
        db: &mut Db<'_, Transaction<'_>>,
        chunk: &[PreparedRecord],
        current: &HashMap<RecordId, Current>,
    ) -> Result<(), StoreError> {
        let mut inserted: Vec<(&Current, &PreparedRecord)> = Vec::new();
        let mut updated: Vec<(&Current, &PreparedRecord)> = Vec::new();
        for row in current.values() {
            let Some(latest) = row.latest else { continue };
            if row.new {
                inserted.push((row, &chunk[latest]));
            } else {
                updated.push((row, &chunk[latest]));
            }
        }
        // In log order, as one writer at a time would have written them.
        inserted.sort_unstable_by_key(|(row, _)| row.first_seq);
        updated.sort_unstable_by_key(|(row, _)| row.first_seq);
        if !inserted.is_empty() {
            let mut copy = CopyIn::start(
                db,
                "COPY records (first_seq, id, subject, item, source_unit, document_no, \
                     decision_date, status, content_hash, catalog_version, head_seq, \
                     first_recorded_at_us) FROM STDIN (FORMAT binary)",
                12,
                "writing records",
            )?;
            for (row, prepared) in &inserted {
                let key = prepared.key();
                copy.row()?
                    .int8(row.first_seq)
                    .bytea(&prepared.id().0)
                    .text(prepared.subject())
                    .text(key.item.as_str())
                    .text(key.source_unit.as_str())
                    .text(key.document_no.as_str())
                    .date(prepared.decision_date())?
                    .text(read::status_str(prepared.status()))
                    .bytea(&row.content_hash.0)
                    .text(prepared.catalog_version())
                    .int8(row.head_seq)
                    .int8(self.actor.at_us);
            }
            copy.finish()?;
        }
        if !updated.is_empty() {
            // The natural key columns never change: the id is derived from them.
            let first_seqs: Vec<i64> = updated.iter().map(|(c, _)| c.first_seq).collect();
            let head_seqs: Vec<i64> = updated.iter().map(|(c, _)| c.head_seq).collect();
            let subjects: Vec<&str> = updated.iter().map(|(_, p)| p.subject()).collect();
            let dates: Vec<chrono::NaiveDate> =
                updated.iter().map(|(_, p)| p.decision_date()).collect();
            let statuses: Vec<&str> = updated
                .iter()
                .map(|(_, p)| read::status_str(p.status()))
                .collect();
            let hashes: Vec<&[u8]> = updated.iter().map(|(c, _)| &c.content_hash.0[..]).collect();
            let versions: Vec<&str> = updated.iter().map(|(_, p)| p.catalog_version()).collect();
            db.execute(
                "UPDATE records r SET subject = u.subject, decision_date = u.decision_date, \
                     status = u.status, content_hash = u.content_hash, \
                     catalog_version = u.catalog_version, head_seq = u.head_seq \
                 FROM unnest($1::bigint[], $2::text[], $3::date[], $4::text[], $5::bytea[], \
                     $6::text[], $7::bigint[]) \
                     AS u(first_seq, subject, decision_date, status, content_hash, \
                          catalog_version, head_seq) \
                 WHERE r.first_seq = u.first_seq",
                &[
                    &first_seqs,
                    &subjects,
                    &dates,
                    &statuses,
                    &hashes,
                    &versions,
                    &head_seqs,
                ],
                "writing records",
            )?;
        }
        Ok(())
    }
}

/// The stored state of the chunk's records that exist.
fn current_records(
    db: &mut Db<'_, Transaction<'_>>,
    chunk: &[PreparedRecord],
) -> Result<HashMap<RecordId, Current>, StoreError> {
    let ids: Vec<RecordId> = chunk.iter().map(PreparedRecord::id).collect();
    let id_bytes: Vec<&[u8]> = ids.iter().map(|id| &id.0[..]).collect();
    let rows = db.query(
        "SELECT id, first_seq, head_seq, content_hash, status FROM records WHERE id = ANY($1)",
        &[&id_bytes],
        "looking records up",
    )?;
    let mut current = HashMap::with_capacity(chunk.len());
    for row in &rows {
        let id: Vec<u8> = column(row, 0, "records.id")?;
        let id = read::record_id(&id, "records.id")?;
        let hash: Vec<u8> = column(row, 3, format_args!("record {id}: content_hash"))?;
        let hash = <[u8; 32]>::try_from(hash.as_slice())
            .map_err(|_| corrupt(format!("record {id}: content_hash is not 32 bytes")))?;
        let status: String = column(row, 4, format_args!("record {id}: status"))?;
        current.insert(
            id,
            Current {
                first_seq: column(row, 1, format_args!("record {id}: first_seq"))?,
                head_seq: column(row, 2, format_args!("record {id}: head_seq"))?,
                content_hash: ContentHash(hash),
                status: read::status(&status, format_args!("record {id}: status"))?,
                latest: None,
                new: false,
            },
        );
    }
    Ok(current)
}
