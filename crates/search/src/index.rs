//! The index on disk, its writer, and the atomic swap of a rebuilt index.
//!
//! The caller's directory holds *generations* (`gen-000001/`, …), each a complete tantivy
//! index, and a `CURRENT` file naming the live one. A rebuild writes a new generation beside
//! the live one and publishes it by atomically renaming a new `CURRENT` into place, so a crash
//! or a failed source at any moment leaves a complete index behind; generations `CURRENT` does
//! not name are removed on open and after a swap. Searches hold an `Arc` of the generation they
//! started on, so a swap never disturbs a running search.
//!
//! Subjects upserted while a rebuild runs go to the live generation *and* are replayed onto the
//! new one before it is published, so a rebuild from a store snapshot taken after it began
//! loses nothing. One process owns the directory (tantivy's writer lock enforces it).

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, TryLockError};

use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::error::SearchError;
use crate::query::SearchQuery;
use crate::rank::RankCollector;
use crate::schema::{self, Fields};
use crate::subject::{SearchResults, SubjectDoc};
use crate::text::{CjkTokenizer, TOKENIZER};

/// The file naming the live generation.
const CURRENT: &str = "CURRENT";
const GENERATION_PREFIX: &str = "gen-";
/// Indexing memory of the long-lived writer: upsert batches are small.
const WRITER_HEAP: usize = 50_000_000;
/// A rebuild uses every core of a small machine and fewer, larger segments.
const REBUILD_THREADS: usize = 2;
const REBUILD_HEAP: usize = 512_000_000;
/// A rebuild reports progress every this many subjects (and at the end).
const PROGRESS_EVERY: u64 = 1024;

/// The search index of a data directory: thread-safe, share it behind an `Arc`.
pub struct SearchIndex {
    root: PathBuf,
    fields: Fields,
    live: RwLock<Arc<Generation>>,
    writes: Mutex<Writes>,
    rebuilding: Mutex<()>,
}

/// One complete index and its reader.
struct Generation {
    name: String,
    reader: IndexReader,
}

/// The live generation's writer and, while a rebuild runs, what to replay onto the new one.
struct Writes {
    writer: IndexWriter,
    replay: Option<Vec<SubjectDoc>>,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("root", &self.root)
            .field("generation", &self.live().name)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if needed. An index
    /// written with a different schema (an older version of this crate) is set aside for an
    /// empty one: the index is derived data, and [`Self::num_subjects`] of 0 tells the caller
    /// to [`Self::rebuild`] it.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, SearchError> {
        let root = dir.as_ref().to_path_buf();
        fs::create_dir_all(&root).map_err(SearchError::io(&root))?;
        let (schema, fields) = schema::schema();
        let existing = match read_current(&root)? {
            Some(name) => {
                let index = open_index(&root.join(&name))?;
                (index.schema() == schema).then_some((name, index))
            }
            None => None,
        };
        let (name, index) = match existing {
            Some(found) => found,
            None => {
                let name = next_generation(&root)?;
                let index = create_index(&root.join(&name))?;
                write_current(&root, &name)?;
                (name, index)
            }
        };
        remove_stale_generations(&root, &name);
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        let reader = open_reader(&index)?;
        Ok(Self {
            root,
            fields,
            live: RwLock::new(Arc::new(Generation { name, reader })),
            writes: Mutex::new(Writes {
                writer,
                replay: None,
            }),
            rebuilding: Mutex::new(()),
        })
    }

    /// Searches the live index. Errors with [`SearchError::Query`] for invalid input.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let plan = query.plan()?;
        let searcher = self.live().reader.searcher();
        let keep = plan.offset + plan.limit;
        let search = |decisive| {
            let query = plan.query(self.fields, decisive);
            searcher.search(query.as_ref(), &RankCollector::new(keep))
        };
        let mut collected = search(false)?;
        if !collected.exhaustive {
            collected = collected.merge(search(true)?, keep);
        }
        let hits = collected
            .best
            .into_iter()
            .skip(plan.offset)
            .map(|r| {
                let doc: TantivyDocument = searcher.doc(r.doc)?;
                Ok(self.fields.hit(&doc, r.rule, r.record_count, plan.persons))
            })
            .collect::<Result<_, SearchError>>()?;
        Ok(SearchResults {
            total: collected.total,
            exhaustive: collected.exhaustive,
            hits,
        })
    }

    /// How many subjects the live index holds.
    #[must_use]
    pub fn num_subjects(&self) -> u64 {
        self.live().reader.searcher().num_docs()
    }

    /// Adds or replaces (by normalised code) `subjects` and commits; searches see them when
    /// this returns. A malformed subject fails the whole batch before anything is written.
    pub fn upsert(&self, subjects: &[SubjectDoc]) -> Result<(), SearchError> {
        for subject in subjects {
            subject.check()?;
        }
        let mut writes = self.writes();
        replace(&mut writes.writer, self.fields, subjects)?;
        if let Some(replay) = &mut writes.replay {
            replay.extend_from_slice(subjects);
        }
        self.live().reader.reload()?;
        Ok(())
    }

    /// Builds a new index from `subjects` (each code once, as the store has them) and swaps it
    /// in; returns how many subjects it holds. `progress` gets the number indexed so far. On
    /// any error — the source's, a malformed subject, the disk's — the old index stays live and
    /// the partial one is deleted. Searches and upserts go on meanwhile.
    pub fn rebuild<I, E>(
        &self,
        subjects: I,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, SearchError>
    where
        I: IntoIterator<Item = Result<SubjectDoc, E>>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let _rebuilding = match self.rebuilding.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(SearchError::RebuildInProgress),
        };
        let name = next_generation(&self.root)?;
        let dir = self.root.join(&name);
        self.writes().replay = Some(Vec::new());
        let built = self.build(&dir, subjects, &mut progress);
        let mut writes = self.writes();
        let replay = writes.replay.take().unwrap_or_default();
        let swapped = built.and_then(|(index, count)| {
            self.swap(&mut writes, name, &index, &replay)?;
            Ok(count)
        });
        drop(writes);
        match &swapped {
            Ok(_) => remove_stale_generations(&self.root, &self.live().name),
            // Best effort: a leftover is removed on the next open.
            Err(_) => drop(fs::remove_dir_all(&dir)),
        }
        swapped
    }

    /// Writes a complete generation in `dir`, merged into one segment for the fastest search.
    fn build<I, E>(
        &self,
        dir: &Path,
        subjects: I,
        progress: &mut impl FnMut(u64),
    ) -> Result<(Index, u64), SearchError>
    where
        I: IntoIterator<Item = Result<SubjectDoc, E>>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let index = create_index(dir)?;
        let mut writer: IndexWriter =
            index.writer_with_num_threads(REBUILD_THREADS, REBUILD_HEAP)?;
        let mut count = 0;
        for subject in subjects {
            let subject = subject.map_err(|e| SearchError::Source(e.into()))?;
            subject.check()?;
            writer.add_document(self.fields.document(&subject))?;
            count += 1;
            if count % PROGRESS_EVERY == 0 {
                progress(count);
            }
        }
        writer.commit()?;
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        progress(count);
        Ok((index, count))
    }

    /// Replays the upserts made during the build onto the new generation, publishes it in
    /// `CURRENT` (the point of no return) and makes it live.
    fn swap(
        &self,
        writes: &mut Writes,
        name: String,
        index: &Index,
        replay: &[SubjectDoc],
    ) -> Result<(), SearchError> {
        let mut writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        if !replay.is_empty() {
            replace(&mut writer, self.fields, replay)?;
        }
        let reader = open_reader(index)?;
        write_current(&self.root, &name)?;
        writes.writer = writer;
        *self.live.write().unwrap_or_else(PoisonError::into_inner) =
            Arc::new(Generation { name, reader });
        Ok(())
    }

    fn live(&self) -> Arc<Generation> {
        Arc::clone(&self.live.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The writer; a panic elsewhere cannot leave it half-updated, as every write commits or
    /// rolls back before the lock is released.
    fn writes(&self) -> MutexGuard<'_, Writes> {
        self.writes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Deletes each subject's previous document, adds the new one, commits; rolls back on error.
fn replace(
    writer: &mut IndexWriter,
    fields: Fields,
    subjects: &[SubjectDoc],
) -> Result<(), SearchError> {
    let mut write = || -> tantivy::Result<()> {
        for subject in subjects {
            writer.delete_term(fields.code_term(&subject.code));
            writer.add_document(fields.document(subject))?;
        }
        writer.commit()?;
        Ok(())
    };
    write().map_err(|error| {
        drop(writer.rollback());
        SearchError::Index(error)
    })
}

fn open_index(dir: &Path) -> Result<Index, SearchError> {
    let index = Index::open_in_dir(dir)?;
    index.tokenizers().register(TOKENIZER, CjkTokenizer);
    Ok(index)
}

fn create_index(dir: &Path) -> Result<Index, SearchError> {
    fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
    let index = Index::create_in_dir(dir, schema::schema().0)?;
    index.tokenizers().register(TOKENIZER, CjkTokenizer);
    Ok(index)
}

/// Searches see a commit once [`IndexReader::reload`] is called after it, never in between.
fn open_reader(index: &Index) -> Result<IndexReader, SearchError> {
    Ok(index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?)
}

fn read_current(root: &Path) -> Result<Option<String>, SearchError> {
    let path = root.join(CURRENT);
    match fs::read_to_string(&path) {
        Ok(name) => Ok(Some(name.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SearchError::io(path)(e)),
    }
}

/// Points `CURRENT` at `name` atomically: a complete temporary file renamed over it.
fn write_current(root: &Path, name: &str) -> Result<(), SearchError> {
    let temporary = root.join(format!("{CURRENT}.tmp"));
    let mut file = fs::File::create(&temporary).map_err(SearchError::io(&temporary))?;
    writeln!(file, "{name}")
        .and_then(|()| file.sync_all())
        .map_err(SearchError::io(&temporary))?;
    fs::rename(&temporary, root.join(CURRENT)).map_err(SearchError::io(root))?;
    // Make the rename durable where directories can be synced (not on Windows).
    if let Ok(dir) = fs::File::open(root) {
        drop(dir.sync_all());
    }
    Ok(())
}

/// The generation directories in `root`, with their numbers.
fn generations(root: &Path) -> Result<Vec<(u64, PathBuf)>, SearchError> {
    let entries = fs::read_dir(root).map_err(SearchError::io(root))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let number = name
                .to_str()?
                .strip_prefix(GENERATION_PREFIX)?
                .parse()
                .ok()?;
            Some((number, entry.path()))
        })
        .collect())
}

/// A generation name above every one present, so a leftover is never reused half-written.
fn next_generation(root: &Path) -> Result<String, SearchError> {
    let last = generations(root)?
        .into_iter()
        .map(|(n, _)| n)
        .max()
        .unwrap_or(0);
    Ok(format!("{GENERATION_PREFIX}{:06}", last + 1))
}

/// Removes every generation but `live`; best effort (an open file may prevent it on Windows).
fn remove_stale_generations(root: &Path, live: &str) {
    for (_, path) in generations(root).unwrap_or_default() {
        if path.file_name().and_then(|n| n.to_str()) != Some(live) {
            drop(fs::remove_dir_all(path));
        }
    }
}
