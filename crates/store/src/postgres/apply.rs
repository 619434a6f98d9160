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
//! twice whatever the writers send at once.
//!
//! **Chunks.** Round trips to the server, not the server's work, dominate a write of one row:
//! the records are pulled from the iterator a chunk at a time, the chunk's current rows are
//! read in one query, the decisions made in memory in order (a record repeated within the
//! chunk meets its earlier occurrence there), and the chunk's events and projection rows are
//! written with one statement per table, as arrays (`unnest`). A chunk holds a few thousand
//! records, so the transaction can still be far larger than what is in memory.

use std::collections::{HashMap, HashSet};

use gongxin_core::event::{EventKind, Hash};
use gongxin_core::record::{
    Change, ContentHash, PreparedRecord, RecordId, RecordStatus, SubjectId, decide_change,
};
use postgres::{GenericClient, Transaction};

use super::column;
use super::read::{self, corrupt};
use super::{ChainHead, Conn, Db, pg};
use crate::{Actor, StoreError};

/// Records per chunk: enough that the round trips per record vanish, few enough that the
/// chunk's payloads (about a kilobyte each) stay a few megabytes.
const CHUNK: usize = 4_096;

pub(super) fn apply(
    conn: &mut Conn,
    cached: &mut ChainHead,
    records: &mut dyn Iterator<Item = PreparedRecord>,
    actor: &Actor<'_>,
) -> Result<Vec<Change>, StoreError> {
    let mut tx = conn.client.transaction().map_err(pg("starting a batch"))?;
    let mut db = Db {
        client: &mut tx,
        statements: &mut conn.statements,
    };
    let locked = lock_head(&mut db, *cached)?;
    let mut writer = Writer::new(locked, actor);
    let changes = writer.apply_all(&mut db, records)?;
    let head = writer.finish(&mut db, locked)?;
    tx.commit().map_err(pg("committing a batch"))?;
    // Only now: a failed batch (rolled back) leaves the cache as it was.
    *cached = head;
    Ok(changes)
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

/// A subject as the chunk leaves it.
#[derive(Debug)]
struct SubjectState {
    name: String,
    /// The name stored before the chunk; `None` for a subject the chunk creates.
    stored: Option<String>,
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

/// Appends records after a locked chain head, chunk by chunk.
pub(super) struct Writer<'a> {
    head: ChainHead,
    actor: &'a Actor<'a>,
}

impl<'a> Writer<'a> {
    /// A writer appending after `head`, which the transaction holds locked.
    pub(super) fn new(head: ChainHead, actor: &'a Actor<'a>) -> Self {
        Writer { head, actor }
    }

    /// Moves the `chain_head` row from `locked`, where the transaction found it, to the last
    /// event written, and returns that.
    pub(super) fn finish(
        self,
        db: &mut Db<'_, Transaction<'_>>,
        locked: ChainHead,
    ) -> Result<ChainHead, StoreError> {
        if self.head != locked {
            db.execute(
                "UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1",
                &[&self.head.seq, &&self.head.hash.0[..]],
                "moving the chain head",
            )?;
        }
        Ok(self.head)
    }

    pub(super) fn apply_all(
        &mut self,
        db: &mut Db<'_, Transaction<'_>>,
        records: &mut dyn Iterator<Item = PreparedRecord>,
    ) -> Result<Vec<Change>, StoreError> {
        let mut changes = Vec::new();
        loop {
            let chunk: Vec<PreparedRecord> = (&mut *records).take(CHUNK).collect();
            if chunk.is_empty() {
                return Ok(changes);
            }
            self.apply_chunk(db, &chunk, &mut changes)?;
        }
    }

    fn apply_chunk(
        &mut self,
        db: &mut Db<'_, Transaction<'_>>,
        chunk: &[PreparedRecord],
        changes: &mut Vec<Change>,
    ) -> Result<(), StoreError> {
        let mut current = current_records(db, chunk)?;
        let mut subjects = current_subjects(db, chunk)?;
        let mut events: Vec<NewEvent> = Vec::new();
        // (subject, name, first event), each pair once: the first use of a name.
        let mut names: Vec<(&str, &str, i64)> = Vec::new();
        let mut named: HashSet<(&str, &str)> = HashSet::new();
        // (old code, subject): the first mapping of a code wins.
        let mut old_codes: Vec<(String, String)> = Vec::new();
        let mut mapped: HashSet<String> = HashSet::new();
        let mut map_old_code = |old: &SubjectId, subject: &str| {
            if mapped.insert(old.as_str().to_owned()) {
                old_codes.push((old.as_str().to_owned(), subject.to_owned()));
            }
        };

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

            // The subject: created on first sight (with the organisation code its USCC
            // embeds: records filed under that code belong to it), renamed when the name
            // changes; every name it is given is kept with the event that first used it.
            let code = prepared.subject();
            let name = prepared.subject_name();
            match subjects.get_mut(code) {
                Some(state) => {
                    if state.name != name {
                        state.name = name.to_owned();
                        if named.insert((code, name)) {
                            names.push((code, name, seq));
                        }
                    }
                }
                None => {
                    subjects.insert(
                        code.to_owned(),
                        SubjectState {
                            name: name.to_owned(),
                            stored: None,
                        },
                    );
                    if named.insert((code, name)) {
                        names.push((code, name, seq));
                    }
                    if let SubjectId::Uscc(uscc) = prepared.subject_id()
                        && let Ok(org_code) = uscc.parsed_org_code()
                    {
                        map_old_code(&SubjectId::OrgCode(org_code), code);
                    }
                }
            }
            for old_code in prepared.old_codes() {
                map_old_code(old_code, code);
            }

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
        write_subjects(db, &subjects)?;
        write_pairs(
            db,
            "INSERT INTO subject_names (subject, name, first_seq) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) \
             ON CONFLICT (subject, name) DO NOTHING",
            &names,
            "inserting subject names",
        )?;
        // A second USCC claiming the same organisation code is a data error that must not
        // silently move records: the mapping stored first stays.
        if !old_codes.is_empty() {
            let (olds, owners): (Vec<&str>, Vec<&str>) = old_codes
                .iter()
                .map(|(o, s)| (o.as_str(), s.as_str()))
                .unzip();
            db.execute(
                "INSERT INTO subject_codes (old_code, subject) \
                 SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (old_code) DO NOTHING",
                &[&olds, &owners],
                "mapping old codes",
            )?;
        }
        self.write_records(db, chunk, &current)
    }

    fn write_events(
        &self,
        db: &mut Db<'_, Transaction<'_>>,
        chunk: &[PreparedRecord],
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let ids: Vec<RecordId> = events.iter().map(|e| chunk[e.index].id()).collect();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let subjects: Vec<&str> = events.iter().map(|e| chunk[e.index].subject()).collect();
        let records: Vec<&[u8]> = ids.iter().map(|id| &id.0[..]).collect();
        let prevs: Vec<Option<i64>> = events.iter().map(|e| e.prev_record_seq).collect();
        let payloads: Vec<&str> = events.iter().map(|e| chunk[e.index].payload()).collect();
        let prev_hashes: Vec<&[u8]> = events.iter().map(|e| &e.prev_hash.0[..]).collect();
        let hashes: Vec<&[u8]> = events.iter().map(|e| &e.hash.0[..]).collect();
        db.execute(
            "INSERT INTO events (seq, kind, subject, record, prev_record_seq, recorded_at_us, \
                 actor, payload, prev_hash, hash) \
             SELECT u.seq, u.kind, u.subject, u.record, u.prev, $6, $7, u.payload, \
                 u.prev_hash, u.hash \
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::bigint[], \
                 $8::text[], $9::bytea[], $10::bytea[]) \
                 AS u(seq, kind, subject, record, prev, payload, prev_hash, hash)",
            &[
                &seqs,
                &kinds,
                &subjects,
                &records,
                &prevs,
                &self.actor.at_us,
                &self.actor.name,
                &payloads,
                &prev_hashes,
                &hashes,
            ],
            "inserting events",
        )?;
        Ok(())
    }

    /// The chunk's new records inserted, the changed ones updated, as the chunk left them.
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
        let ids: Vec<RecordId> = inserted.iter().map(|(_, p)| p.id()).collect();
        let columns = Columns::of(&inserted);
        if !inserted.is_empty() {
            let id_bytes: Vec<&[u8]> = ids.iter().map(|id| &id.0[..]).collect();
            let items: Vec<&str> = inserted
                .iter()
                .map(|(_, p)| p.key().item.as_str())
                .collect();
            let units: Vec<&str> = inserted
                .iter()
                .map(|(_, p)| p.key().source_unit.as_str())
                .collect();
            let documents: Vec<&str> = inserted
                .iter()
                .map(|(_, p)| p.key().document_no.as_str())
                .collect();
            db.execute(
                "INSERT INTO records (first_seq, id, subject, item, source_unit, document_no, \
                     decision_date, status, content_hash, catalog_version, head_seq, \
                     first_recorded_at_us) \
                 SELECT u.first_seq, u.id, u.subject, u.item, u.source_unit, u.document_no, \
                     u.decision_date, u.status, u.content_hash, u.catalog_version, u.head_seq, $12 \
                 FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::text[], \
                     $6::text[], $7::date[], $8::text[], $9::bytea[], $10::text[], $11::bigint[]) \
                     AS u(first_seq, id, subject, item, source_unit, document_no, decision_date, \
                          status, content_hash, catalog_version, head_seq)",
                &[
                    &columns.first_seqs,
                    &id_bytes,
                    &columns.subjects,
                    &items,
                    &units,
                    &documents,
                    &columns.dates,
                    &columns.statuses,
                    &columns.hashes,
                    &columns.versions,
                    &columns.head_seqs,
                    &self.actor.at_us,
                ],
                "writing records",
            )?;
        }
        if !updated.is_empty() {
            // The natural key columns never change: the id is derived from them.
            let columns = Columns::of(&updated);
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
                    &columns.first_seqs,
                    &columns.subjects,
                    &columns.dates,
                    &columns.statuses,
                    &columns.hashes,
                    &columns.versions,
                    &columns.head_seqs,
                ],
                "writing records",
            )?;
        }
        Ok(())
    }
}

/// The columns of `records` that follow the latest event, as arrays.
struct Columns<'c> {
    first_seqs: Vec<i64>,
    head_seqs: Vec<i64>,
    subjects: Vec<&'c str>,
    dates: Vec<chrono::NaiveDate>,
    statuses: Vec<&'static str>,
    hashes: Vec<&'c [u8]>,
    versions: Vec<&'c str>,
}

impl<'c> Columns<'c> {
    fn of(rows: &[(&'c Current, &'c PreparedRecord)]) -> Self {
        Columns {
            first_seqs: rows.iter().map(|(c, _)| c.first_seq).collect(),
            head_seqs: rows.iter().map(|(c, _)| c.head_seq).collect(),
            subjects: rows.iter().map(|(_, p)| p.subject()).collect(),
            dates: rows.iter().map(|(_, p)| p.decision_date()).collect(),
            statuses: rows
                .iter()
                .map(|(_, p)| read::status_str(p.status()))
                .collect(),
            hashes: rows.iter().map(|(c, _)| &c.content_hash.0[..]).collect(),
            versions: rows.iter().map(|(_, p)| p.catalog_version()).collect(),
        }
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
    let mut current = HashMap::with_capacity(rows.len());
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

/// The stored names of the chunk's subjects that exist.
fn current_subjects(
    db: &mut Db<'_, Transaction<'_>>,
    chunk: &[PreparedRecord],
) -> Result<HashMap<String, SubjectState>, StoreError> {
    let codes: HashSet<&str> = chunk.iter().map(PreparedRecord::subject).collect();
    let codes: Vec<&str> = codes.into_iter().collect();
    let rows = db.query(
        "SELECT code, name FROM subjects WHERE code = ANY($1)",
        &[&codes],
        "looking subjects up",
    )?;
    let mut subjects = HashMap::with_capacity(rows.len());
    for row in &rows {
        let code: String = column(row, 0, "subjects.code")?;
        let name: String = column(row, 1, format_args!("subject {code}: name"))?;
        subjects.insert(
            code,
            SubjectState {
                name: name.clone(),
                stored: Some(name),
            },
        );
    }
    Ok(subjects)
}

/// New subjects inserted and renamed ones updated, with the name the chunk left them with.
fn write_subjects(
    db: &mut Db<'_, Transaction<'_>>,
    subjects: &HashMap<String, SubjectState>,
) -> Result<(), StoreError> {
    let mut created: Vec<(&str, &str)> = Vec::new();
    let mut renamed: Vec<(&str, &str)> = Vec::new();
    for (code, state) in subjects {
        match &state.stored {
            None => created.push((code, &state.name)),
            Some(stored) if *stored != state.name => renamed.push((code, &state.name)),
            _ => {}
        }
    }
    if !created.is_empty() {
        let (codes, names): (Vec<&str>, Vec<&str>) = created.into_iter().unzip();
        db.execute(
            "INSERT INTO subjects (code, name) SELECT * FROM unnest($1::text[], $2::text[])",
            &[&codes, &names],
            "inserting subjects",
        )?;
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
    Ok(())
}

/// Inserts `(text, text, bigint)` rows with `sql`, which takes them as three arrays.
fn write_pairs(
    db: &mut Db<'_, Transaction<'_>>,
    sql: &str,
    rows: &[(&str, &str, i64)],
    what: &str,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let first: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let second: Vec<&str> = rows.iter().map(|r| r.1).collect();
    let third: Vec<i64> = rows.iter().map(|r| r.2).collect();
    db.execute(sql, &[&first, &second, &third], what)?;
    Ok(())
}
