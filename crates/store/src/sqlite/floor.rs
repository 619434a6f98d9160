//! The floor of an import's writes, for `gongxin bench ingest`: the rows an import leaves in
//! the log and the projections, copied from a finished store with set statements.

use std::path::Path;

use rusqlite::TransactionBehavior;

use super::{FILE_NAME, SqliteStore, db, read};
use crate::StoreError;

/// The copy in three steps, parents before children so that the foreign keys are checked as
/// an import's are: the log, the subjects with their names and codes, the records. A step
/// whose statement takes a range of sequence numbers (`?1 <= seq < ?2`) runs in transactions
/// of a batch each, as an import commits; the subjects' step in one. Every statement orders its
/// rows, which also keeps SQLite from copying pages instead of inserting rows.
const COPY_STEPS: [(&str, bool); 5] = [
    (
        "INSERT INTO main.events SELECT * FROM source.events \
         WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
        true,
    ),
    (
        "INSERT INTO main.subjects SELECT * FROM source.subjects ORDER BY code",
        false,
    ),
    (
        "INSERT INTO main.subject_names SELECT * FROM source.subject_names ORDER BY first_seq",
        false,
    ),
    (
        "INSERT INTO main.subject_codes SELECT * FROM source.subject_codes ORDER BY old_code",
        false,
    ),
    (
        "INSERT INTO main.records SELECT * FROM source.records \
         WHERE first_seq >= ?1 AND first_seq < ?2 ORDER BY first_seq",
        true,
    ),
];

impl SqliteStore {
    /// Copies the log, the records and the subjects of the store in `source_data_dir` into this
    /// store, which must hold no events, in transactions of `batch_events` events, as an
    /// import commits its batches.
    ///
    /// Every row an import of the same files writes is written here too, under this store's
    /// settings, schema, indexes and triggers — but by one statement per table and batch, with
    /// nothing parsed, checked or hashed. No import into this schema can write faster: this is
    /// the floor `gongxin bench ingest` measures the import against. Covers a source written
    /// by imports only (no cases, repairs or renames).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the source cannot be attached or read, or its rows break
    /// this store's constraints; [`StoreError::Corrupt`] when this store is not empty.
    pub fn copy_imported_rows(
        &mut self,
        source_data_dir: &Path,
        batch_events: u64,
    ) -> Result<(), StoreError> {
        if self.head.seq != 0 {
            return Err(StoreError::Corrupt(
                "the floor copy needs an empty store".to_owned(),
            ));
        }
        let source = source_data_dir.join(FILE_NAME);
        let source = source
            .to_str()
            .ok_or_else(|| StoreError::Database(format!("{} is not UTF-8", source.display())))?;
        self.conn
            .execute("ATTACH DATABASE ?1 AS source", [source])
            .map_err(db("attaching the source store"))?;
        let copied = self.copy_batches(batch_events);
        let detached = self
            .conn
            .execute("DETACH DATABASE source", [])
            .map_err(db("detaching the source store"));
        copied?;
        detached?;
        self.head = read::chain_head(&self.conn)?;
        Ok(())
    }

    fn copy_batches(&mut self, batch_events: u64) -> Result<(), StoreError> {
        let last: i64 = self
            .conn
            .query_row(
                "SELECT coalesce(max(seq), 0) FROM source.events",
                [],
                |row| row.get(0),
            )
            .map_err(db("reading the source's log head"))?;
        let step = i64::try_from(batch_events.max(1)).unwrap_or(i64::MAX);
        for (sql, batched) in COPY_STEPS {
            let mut from = 1;
            while from <= last {
                let to = if batched {
                    from.saturating_add(step)
                } else {
                    last + 1
                };
                let tx = self
                    .conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db("starting a batch"))?;
                let mut statement = tx.prepare(sql).map_err(db("copying a batch"))?;
                if batched {
                    statement.execute((from, to))
                } else {
                    statement.execute([])
                }
                .map_err(db("copying a batch"))?;
                drop(statement);
                tx.commit().map_err(db("committing a batch"))?;
                from = to;
            }
        }
        Ok(())
    }
}
