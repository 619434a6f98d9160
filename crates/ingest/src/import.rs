//! The import pipeline: file → rows → records checked against the catalog → store.
//!
//! Two stages on two threads, because the machine has two cores and both stages are heavy:
//! a reader thread decodes, binds and validates rows into batches; the calling thread stores
//! each batch in one transaction. A batch is counted as stored only after its commit, so a
//! killed import loses nothing it reported and leaves no half batch; running the same import
//! again completes it, since stored rows come back as unchanged.

use std::path::Path;
use std::sync::mpsc;

use gongxin_codes::Whitelist;
use gongxin_core::catalog::Item;
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::problem::Problem;
use gongxin_core::record::{Change, ParseContext, PreparedRecord};
use gongxin_store::{Actor, Store, StoreError};
use serde::Serialize;

use crate::bind::bind;
use crate::read::{self, Progress, ReadError, RowBuf, RowError, RowSource};

/// Rows per transaction. Each commit rewrites every index page the transaction dirtied, and
/// new records land all over two random-key indexes, so the per-record cost of a commit falls
/// with its size. Rows stream through the transaction: memory does not grow with it.
pub const DEFAULT_BATCH_ROWS: usize = 100_000;

/// Rows per chunk handed from the reader thread to the writer; a few chunks are in flight at
/// a time, which bounds the memory an import holds whatever the size of the file.
const CHUNK_ROWS: usize = 5_000;

/// Problems kept for the report. Past this, problems are only counted, so that a file of
/// millions of bad rows cannot exhaust memory; the counts stay exact.
pub const DEFAULT_MAX_PROBLEMS: usize = 100_000;

/// What an import needs besides the files and the store.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions<'a> {
    pub item: &'a Item,
    pub catalog_version: &'a str,
    pub whitelist: &'a Whitelist,
    pub personal_key: &'a PersonalDataKey,
    /// Set when a department submits: rows naming another source unit are rejected.
    pub submitting_unit: Option<&'a str>,
    /// Recorded in every event: who imported.
    pub actor: &'a str,
    pub batch_rows: usize,
    pub max_problems: usize,
}

/// Told about progress as the import goes; the CLI draws a progress bar from it.
pub trait ImportObserver {
    fn file_started(&mut self, _file: &str, _progress: Progress) {}
    /// After each stored batch.
    fn batch_stored(&mut self, _progress: Progress, _report: &ImportReport) {}
}

/// An observer that ignores everything, for tests and non-interactive use.
#[derive(Debug, Default)]
pub struct Silent;

impl ImportObserver for Silent {}

/// One problem, located in its file, as sent back to the source department: the problem's
/// own keys (`field`, `value`, `severity`, `code`, `message_zh`, `message_en`) beside `file`
/// and `row`.
#[derive(Debug, Clone, Serialize)]
pub struct FileProblem {
    pub file: String,
    /// 1-based row as a person sees it in the file or spreadsheet (the header is row 1).
    pub row: u64,
    #[serde(flatten)]
    pub problem: Problem,
}

impl FileProblem {
    fn new(file: &str, row: u64, mut problem: Problem) -> Self {
        problem.field = problem.field.filter(|f| !f.is_empty());
        Self {
            file: file.to_owned(),
            row,
            problem,
        }
    }
}

/// The outcome of an import: counts, and the problems to send back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub files: Vec<String>,
    /// Data rows read (blank rows are skipped and not counted).
    pub rows: u64,
    /// Rows stored as new records.
    pub accepted: u64,
    /// Rows that changed a stored record with the same natural key.
    pub corrected: u64,
    /// Rows that revoked a record (`当前状态` 撤销).
    pub revoked: u64,
    /// Rows identical to what is stored: nothing was recorded.
    pub unchanged: u64,
    /// Rows refused, each with at least one `error` problem.
    pub rejected: u64,
    /// Files refused as a whole (unreadable, or not a file of this item).
    pub rejected_files: u64,
    pub problems: Vec<FileProblem>,
    /// Problems counted but not listed because of the limit.
    pub problems_not_listed: u64,
}

impl ImportReport {
    fn add_problem(&mut self, limit: usize, problem: FileProblem) {
        if self.problems.len() < limit {
            self.problems.push(problem);
        } else {
            self.problems_not_listed += 1;
        }
    }

    fn count(&mut self, change: Change) {
        match change {
            Change::Submitted => self.accepted += 1,
            Change::Corrected => self.corrected += 1,
            Change::Revoked => self.revoked += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }
}

/// Why an import stopped. Bad rows and bad files never stop it; only the store can.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A chunk of checked rows on its way from the reader thread to the store.
struct Batch {
    records: Vec<PreparedRecord>,
    /// Problems of rows in this batch: errors of rejected rows, warnings of kept rows.
    problems: Vec<FileProblem>,
    rows_read: u64,
    rejected: u64,
    progress: Progress,
}

/// Imports `files` into `store`, one file after another. A file that cannot be read or does
/// not fit the item is reported and skipped; the others are imported.
pub fn import_files<S: Store + ?Sized>(
    store: &mut S,
    files: &[&Path],
    options: &ImportOptions<'_>,
    clock: &dyn Fn() -> i64,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    for path in files {
        let name = path.display().to_string();
        report.files.push(name.clone());
        match read::open(path) {
            Ok(source) => {
                import_source(store, source, &name, options, clock, observer, &mut report)?
            }
            Err(error) => {
                report.rejected_files += 1;
                let problem = unreadable(&error);
                report.add_problem(options.max_problems, FileProblem::new(&name, 0, problem));
            }
        }
    }
    if report.accepted + report.corrected + report.revoked >= REFRESH_STATISTICS_AFTER {
        store.refresh_statistics()?;
    }
    Ok(report)
}

/// Changed records from which an import refreshes the store's planner statistics (a
/// PostgreSQL `ANALYZE` takes a second or two on large tables: not for every small file).
const REFRESH_STATISTICS_AFTER: u64 = 10_000;

/// Imports one opened source; also the entry point for uploads.
pub fn import_source<S: Store + ?Sized>(
    store: &mut S,
    mut source: Box<dyn RowSource>,
    file: &str,
    options: &ImportOptions<'_>,
    clock: &dyn Fn() -> i64,
    observer: &mut dyn ImportObserver,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let header_row = source.header_row().unwrap_or(0);
    let binding = match bind(options.item, source.header()) {
        Ok(binding) => binding,
        Err(problems) => {
            report.rejected_files += 1;
            for problem in problems {
                report.add_problem(
                    options.max_problems,
                    FileProblem::new(file, header_row, problem),
                );
            }
            return Ok(());
        }
    };
    for warning in &binding.warnings {
        report.add_problem(
            options.max_problems,
            FileProblem::new(file, header_row, warning.clone()),
        );
    }
    observer.file_started(file, source.progress());
    let context = ParseContext {
        catalog_version: options.catalog_version,
        whitelist: options.whitelist,
        personal_key: options.personal_key,
        submitting_unit: options.submitting_unit,
        template: binding.template,
    };
    let item = options.item;
    let transaction_rows = options.batch_rows.max(1);
    let batch_rows = transaction_rows.min(CHUNK_ROWS);
    std::thread::scope(|scope| {
        // A few chunks in flight: the reader works ahead while the store writes.
        let (sender, receiver) = mpsc::sync_channel::<Batch>(4);
        scope.spawn(move || {
            let mut binding = binding;
            let mut header_len = source.header().len();
            let mut buf = RowBuf::new();
            let mut batch = Batch::empty(batch_rows);
            while let Some(result) = source.next_row(&mut buf) {
                batch.rows_read += 1;
                // JSON lines grow their header when a later line brings a new key.
                if source.header().len() != header_len {
                    header_len = source.header().len();
                    if let Ok(wider) = bind(item, source.header()) {
                        binding = wider;
                    }
                }
                let context = ParseContext {
                    template: binding.template,
                    ..context
                };
                match result {
                    Err(error) => {
                        batch.rejected += 1;
                        batch.problems.push(unreadable_row(file, &error));
                    }
                    Ok(()) => {
                        let cells: Vec<Option<&str>> = binding
                            .columns
                            .iter()
                            .map(|c| c.and_then(|c| buf.get(c)))
                            .collect();
                        let row = buf.number();
                        match item.parse_row(context, &cells) {
                            Ok(parsed) => {
                                batch.problems.extend(
                                    parsed
                                        .warnings
                                        .into_iter()
                                        .map(|w| FileProblem::new(file, row, w)),
                                );
                                batch.records.push(PreparedRecord::new(parsed.record));
                            }
                            Err(problems) => {
                                batch.rejected += 1;
                                batch.problems.extend(
                                    problems.into_iter().map(|p| FileProblem::new(file, row, p)),
                                );
                            }
                        }
                    }
                }
                if batch.rows_read as usize >= batch_rows {
                    batch.progress = source.progress();
                    let full = std::mem::replace(&mut batch, Batch::empty(batch_rows));
                    if sender.send(full).is_err() {
                        return; // The store side stopped on an error; it reports it.
                    }
                }
            }
            batch.progress = source.progress();
            let _ = sender.send(batch);
        });
        loop {
            let actor = Actor {
                name: options.actor,
                at_us: clock(),
            };
            let mut feed = Feed {
                chunks: &receiver,
                current: Vec::new().into_iter(),
                room: transaction_rows as u64,
                done: Batch::empty(0),
                finished: false,
            };
            let changes = store.apply(&mut feed, &actor)?;
            // Committed: only now do this transaction's rows count as stored.
            let done = feed.done;
            report.rows += done.rows_read;
            report.rejected += done.rejected;
            changes.into_iter().for_each(|change| report.count(change));
            for problem in done.problems {
                report.add_problem(options.max_problems, problem);
            }
            observer.batch_stored(done.progress, report);
            if feed.finished {
                return Ok(());
            }
        }
    })
}

/// The records of one transaction, pulled chunk by chunk from the reader thread until the
/// transaction is full or the file ends. The chunks' problems and counts are kept aside and
/// reported once the transaction has committed.
struct Feed<'a> {
    chunks: &'a mpsc::Receiver<Batch>,
    current: std::vec::IntoIter<PreparedRecord>,
    /// Rows this transaction may still take.
    room: u64,
    /// Everything but the records of the chunks taken so far.
    done: Batch,
    /// The reader has sent its last chunk.
    finished: bool,
}

impl Iterator for Feed<'_> {
    type Item = PreparedRecord;

    fn next(&mut self) -> Option<PreparedRecord> {
        loop {
            if let Some(record) = self.current.next() {
                return Some(record);
            }
            if self.finished || self.room == 0 {
                return None;
            }
            let Ok(chunk) = self.chunks.recv() else {
                self.finished = true;
                return None;
            };
            self.room = self.room.saturating_sub(chunk.rows_read);
            self.done.rows_read += chunk.rows_read;
            self.done.rejected += chunk.rejected;
            self.done.problems.extend(chunk.problems);
            self.done.progress = chunk.progress;
            self.current = chunk.records.into_iter();
        }
    }
}

impl Batch {
    fn empty(capacity: usize) -> Self {
        Self {
            records: Vec::with_capacity(capacity),
            problems: Vec::new(),
            rows_read: 0,
            rejected: 0,
            progress: Progress {
                done: 0,
                total: None,
                unit: read::ProgressUnit::Bytes,
            },
        }
    }
}

fn unreadable(error: &ReadError) -> Problem {
    Problem::error(
        "unreadable_file",
        format!("文件无法读取：{error}"),
        format!("the file cannot be read: {error}"),
    )
}

fn unreadable_row(file: &str, error: &RowError) -> FileProblem {
    let problem = Problem::error(
        "unreadable_row",
        format!("该行无法读取：{}", error.kind),
        format!("the row cannot be read: {}", error.kind),
    );
    FileProblem::new(file, error.row, problem)
}
