//! `gongxin bench ingest`: the import pipeline end to end against a plain SQLite bulk insert
//! of the same rows, measured in the same run on the same machine.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use gongxin_codes::Whitelist;
use gongxin_core::catalog::{Catalog, Item};
use gongxin_core::personal::PersonalDataKey;
use gongxin_ingest::generate::GenerateOptions;
use gongxin_ingest::import::{
    DEFAULT_BATCH_ROWS, DEFAULT_MAX_PROBLEMS, ImportOptions, Silent, import_files,
};
use gongxin_ingest::read::{self, RowBuf};
use gongxin_store::{SqliteStore, Store, Verification};

use crate::commands::generate::generate_with_progress;
use crate::config::{KeyArgs, RuleArgs, now_us};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import generated penalty records end to end (parse, validate, store, log) and compare
    /// with a plain SQLite bulk insert of the same rows (WAL, synchronous=NORMAL, 100k rows per
    /// transaction, no index): the ceiling of what SQLite itself does here.
    Ingest(IngestArgs),
    /// Profile lookup and name search over a large data set (default 1,000,000 subjects and
    /// 5,000,000 records), in process and over HTTP under concurrent load, against a trivial
    /// JSON endpoint of the same server.
    Serve(crate::commands::bench_serve::ServeBenchArgs),
    /// Screen a batch of applicants (default 1,000,000) against lists holding 500,000
    /// entries end to end, against a plain hash join of the same codes; then name-only
    /// screening: matches per second, precision and recall on labelled variants.
    Screen(crate::commands::bench_screen::ScreenBenchArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    #[arg(long, default_value_t = 100_000)]
    subjects: usize,
    /// Working directory (kept, so runs can be inspected); default: under the temp directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(command: BenchCommand) -> Result<ExitCode> {
    let args = match command {
        BenchCommand::Ingest(args) => args,
        BenchCommand::Serve(args) => return crate::commands::bench_serve::run(args),
        BenchCommand::Screen(args) => return crate::commands::bench_screen::run(args),
    };
    let catalog = args.rules.catalog()?;
    let whitelist = args.rules.whitelist()?;
    let dir = args
        .dir
        .unwrap_or_else(|| std::env::temp_dir().join(format!("gongxin-bench-{}", now_us())));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let item = catalog
        .item("admin_penalty")
        .context("the catalog has no admin_penalty item")?;
    let options = GenerateOptions {
        subjects: args.subjects,
        records: args.records,
        seed: 1,
        items: vec![item.id.clone()],
        bad_per_mille: 0,
    };
    let files = generate_with_progress(&catalog, &options, &dir.join("input"))?;
    let file = &files[0].path;
    let size = std::fs::metadata(file)?.len();
    eprintln!(
        "input: {} ({} rows, {:.0} MiB)",
        file.display(),
        files[0].rows,
        size as f64 / 1048576.0
    );

    // End to end: the pipeline `gongxin import` runs.
    let data_dir = dir.join("data");
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut store = SqliteStore::open_in_dir(&data_dir)?;
    let personal_key = KeyArgs::default().personal_key(&data_dir)?;
    let import_options = import_options(item, &catalog, &whitelist, &personal_key);
    let started = Instant::now();
    let report = import_files(
        &mut store,
        &[file.as_path()],
        &import_options,
        &now_us,
        &mut Silent,
    )?;
    let import_secs = started.elapsed().as_secs_f64();
    let stored = report.accepted + report.corrected + report.revoked + report.unchanged;
    anyhow::ensure!(
        report.rejected == 0 && stored as usize == files[0].rows,
        "the import did not store every row: {report:?}"
    );

    let started = Instant::now();
    let verification = store.verify(&mut |_| {})?;
    let verify_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        matches!(verification, Verification::Intact { .. }),
        "verify failed: {verification:?}"
    );
    let events = store.counts()?.events;

    // The reference: the same rows, already in memory, inserted by plain SQLite.
    let (width, cells) = read_all(file)?;
    let rows = cells.len() / width;
    let started = Instant::now();
    plain_insert(&dir.join("plain.sqlite"), width, &cells)?;
    let plain_secs = started.elapsed().as_secs_f64();

    let import_rate = stored as f64 / import_secs;
    let plain_rate = rows as f64 / plain_secs;
    println!("| measure | rows | seconds | rows/s |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| gongxin import end to end (parse, validate, store, log) | {stored} | {import_secs:.2} | {import_rate:.0} |"
    );
    println!(
        "| plain SQLite bulk insert of the same rows (reference) | {rows} | {plain_secs:.2} | {plain_rate:.0} |"
    );
    println!(
        "| gongxin verify (chain + projections) | {events} | {verify_secs:.2} | {:.0} |",
        events as f64 / verify_secs
    );
    println!(
        "\nend to end / plain insert = {:.2}",
        import_rate / plain_rate
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads every cell of the file into memory, so the reference times nothing but SQLite.
/// What `gongxin import` would use, as the benchmarks' actor.
pub(crate) fn import_options<'a>(
    item: &'a Item,
    catalog: &'a Catalog,
    whitelist: &'a Whitelist,
    personal_key: &'a PersonalDataKey,
) -> ImportOptions<'a> {
    ImportOptions {
        item,
        catalog_version: &catalog.version,
        whitelist,
        personal_key,
        submitting_unit: None,
        actor: "bench",
        batch_rows: DEFAULT_BATCH_ROWS,
        max_problems: DEFAULT_MAX_PROBLEMS,
    }
}

fn read_all(file: &std::path::Path) -> Result<(usize, Vec<String>)> {
    let mut source = read::open(file)?;
    let width = source.header().len();
    let mut cells = Vec::new();
    let mut buf = RowBuf::new();
    while let Some(row) = source.next_row(&mut buf) {
        row?;
        cells.extend((0..width).map(|i| buf.get(i).unwrap_or_default().to_owned()));
    }
    Ok((width, cells))
}

fn plain_insert(path: &std::path::Path, width: usize, cells: &[String]) -> Result<()> {
    let _ = std::fs::remove_file(path);
    let mut db = rusqlite::Connection::open(path)?;
    db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
    let columns: Vec<String> = (0..width).map(|i| format!("c{i} TEXT")).collect();
    db.execute_batch(&format!("CREATE TABLE plain ({})", columns.join(", ")))?;
    let sql = format!("INSERT INTO plain VALUES ({})", vec!["?"; width].join(", "));
    for chunk in cells.chunks(width * 100_000) {
        let tx = db.transaction()?;
        {
            let mut insert = tx.prepare_cached(&sql)?;
            for row in chunk.chunks(width) {
                insert.execute(rusqlite::params_from_iter(row))?;
            }
        }
        tx.commit()?;
    }
    Ok(())
}
