//! `gongxin bench ingest`: the import pipeline end to end against a plain SQLite bulk insert
//! of the same rows, measured in the same run on the same machine — or, with
//! `--database-url`, the import into PostgreSQL against a plain `COPY` of the same rows.

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
use gongxin_store::{PostgresStore, SqliteStore, Store, Verification};

use crate::commands::generate::generate_with_progress;
use crate::config::{DatabaseUrl, KeyArgs, RuleArgs, now_us};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import generated penalty records end to end (parse, validate, store, log) and compare
    /// with a plain SQLite bulk insert of the same rows (WAL, synchronous=NORMAL, 100k rows per
    /// transaction, no index): the ceiling of what SQLite itself does here. Also copies the
    /// rows the import stored into an empty store by SQL: the floor of any import into the
    /// store's schema.
    Ingest(IngestArgs),
    /// Profile lookup and name search over a large data set (default 1,000,000 subjects and
    /// 5,000,000 records), in process and over HTTP under concurrent load, against a trivial
    /// JSON endpoint of the same server.
    Serve(crate::commands::bench_serve::ServeBenchArgs),
    /// Screen a batch of applicants (default 1,000,000) against lists holding 500,000
    /// entries end to end, against a plain hash join of the same codes; then name-only
    /// screening: matches per second, precision and recall on labelled variants.
    Screen(crate::commands::bench_screen::ScreenBenchArgs),
    /// Replicate a node's whole feed into a new node over loopback HTTP, against reading the
    /// same feed without applying it and importing the same files directly.
    Federate(crate::commands::bench_federate::FederateBenchArgs),
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
    /// Measure PostgreSQL instead (postgres://USER@HOST/DATABASE): the import into a fresh
    /// schema of this database against, as the reference, a plain binary COPY of the same
    /// rows (every column as text) into a table without indexes in another fresh schema.
    /// Both schemas are dropped afterwards; the role must be allowed to create schemas.
    #[arg(long, value_name = "URL")]
    database_url: Option<DatabaseUrl>,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(command: BenchCommand) -> Result<ExitCode> {
    let args = match command {
        BenchCommand::Ingest(args) => args,
        BenchCommand::Serve(args) => return crate::commands::bench_serve::run(args),
        BenchCommand::Screen(args) => return crate::commands::bench_screen::run(args),
        BenchCommand::Federate(args) => return crate::commands::bench_federate::run(args),
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
    if let Some(DatabaseUrl(url)) = &args.database_url {
        let setting = ImportSetting {
            item,
            catalog: &catalog,
            whitelist: &whitelist,
        };
        return postgres_ingest(url, &dir, file, &setting);
    }

    // End to end: the pipeline `gongxin import` runs.
    let data_dir = dir.join("data");
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut store = SqliteStore::open_in_dir(&data_dir)?;
    let personal_key = KeyArgs::default().personal_key(&data_dir)?;
    let import_options = import_options(item, &catalog, &whitelist, &personal_key);
    let import = Timed::start(None);
    let report = import_files(
        &mut store,
        &[file.as_path()],
        &import_options,
        &now_us,
        &mut Silent,
    )?;
    let import = import.stop();
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

    // The floor: the rows the import wrote, copied into an empty store of the same schema.
    let floor_dir = dir.join("floor");
    let _ = std::fs::remove_dir_all(&floor_dir);
    let mut floor = SqliteStore::open_in_dir(&floor_dir)?;
    let copy = Timed::start(None);
    floor.copy_imported_rows(&data_dir, DEFAULT_BATCH_ROWS as u64)?;
    let copy = copy.stop();
    anyhow::ensure!(
        floor.counts()?.events == events,
        "the floor copy did not copy every event"
    );

    // The reference: the same rows, already in memory, inserted by plain SQLite.
    let (width, cells) = read_all(file)?;
    let rows = cells.len() / width;
    let plain = Timed::start(None);
    plain_insert(&dir.join("plain.sqlite"), width, &cells)?;
    let plain = plain.stop();

    println!("| measure | rows | seconds | rows/s | CPU s |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "| gongxin import end to end (parse, validate, store, log) | {stored} | {} |",
        import.own_columns(stored)
    );
    println!(
        "| the rows the import stored, copied by SQL into an empty store (floor of any import into this schema) | {events} | {} |",
        copy.own_columns(events)
    );
    println!(
        "| plain SQLite bulk insert of the same rows (reference) | {rows} | {} |",
        plain.own_columns(rows as u64)
    );
    println!(
        "| gongxin verify (chain + projections) | {events} | {verify_secs:.2} | {:.0} | |",
        events as f64 / verify_secs
    );
    println!(
        "\nend to end / plain insert = {:.2}; floor / plain insert = {:.2}; end to end / floor = {:.2}",
        plain.wall / import.wall,
        plain.wall / copy.wall,
        copy.wall / import.wall,
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

/// What an import needs besides the store and the file.
struct ImportSetting<'a> {
    item: &'a Item,
    catalog: &'a Catalog,
    whitelist: &'a Whitelist,
}

/// `bench ingest --database-url`: in one run, a plain `COPY` of the rows (the reference), then
/// the import end to end and `verify`, each in a fresh schema dropped afterwards.
///
/// The reference goes first and its schema is dropped before the import starts, so that
/// nothing of it (a vacuum of its million new rows) runs during the import; a `CHECKPOINT`
/// before each timed part starts both with no dirty pages left by the other.
///
/// On a machine shared with other work the wall times move with the load, so the run also
/// reports CPU time: of the server process serving each part (when the server runs on this
/// machine, read from `/proc`) and of this process (reader and writer threads).
fn postgres_ingest(
    url: &str,
    dir: &std::path::Path,
    file: &std::path::Path,
    setting: &ImportSetting<'_>,
) -> Result<ExitCode> {
    let mut schemas = BenchSchemas::connect(url)?;
    let base = format!("gongxin_bench_{}", std::process::id());
    eprintln!("load average at the start: {}", load_average());

    // The reference: the same rows, already in memory, so only PostgreSQL is timed.
    let (width, cells) = read_all(file)?;
    let rows = cells.len() / width;
    let plain_schema = schemas.create(&format!("{base}_plain"))?;
    schemas.checkpoint();
    let plain_backend = schemas.backend_pid()?;
    eprintln!("load average before the plain COPY: {}", load_average());
    let plain = Timed::start(plain_backend);
    let copied = plain_copy(&mut schemas.client, &plain_schema, width, &cells)?;
    let plain = plain.stop();
    anyhow::ensure!(
        copied as usize == rows,
        "the plain COPY stored {copied} of {rows} rows"
    );
    drop(cells);
    schemas.remove(&plain_schema)?;

    // End to end: the pipeline `gongxin import` runs, into a store of its own, whose
    // connection is found by the name it gives the server.
    let store_schema = schemas.create(&format!("{base}_store"))?;
    let application = format!("{base}_store");
    let separator = if url.contains('?') { '&' } else { '?' };
    let store_url = format!("{url}{separator}application_name={application}");
    let data_dir = dir.join("data-postgres");
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut store = PostgresStore::open_in_schema(&store_url, &store_schema)
        .context("opening the store in PostgreSQL")?;
    let store_backend = schemas.backend_of(&application)?;
    let personal_key = KeyArgs::default().personal_key(&data_dir)?;
    let import_options = import_options(
        setting.item,
        setting.catalog,
        setting.whitelist,
        &personal_key,
    );
    schemas.checkpoint();
    eprintln!("load average before the import: {}", load_average());
    let import = Timed::start(store_backend);
    let report = import_files(&mut store, &[file], &import_options, &now_us, &mut Silent)?;
    let import = import.stop();
    let stored = report.accepted + report.corrected + report.revoked + report.unchanged;
    anyhow::ensure!(
        report.rejected == 0 && stored as usize == rows,
        "the import did not store every row: {report:?}"
    );

    eprintln!("load average before verify: {}", load_average());
    let verify = Timed::start(store_backend);
    let verification = store.verify(&mut |_| {})?;
    let verify = verify.stop();
    anyhow::ensure!(
        matches!(verification, Verification::Intact { .. }),
        "verify failed: {verification:?}"
    );
    let events = store.counts()?.events;
    drop(store);
    eprintln!("load average at the end: {}", load_average());

    let import_rate = stored as f64 / import.wall;
    let plain_rate = rows as f64 / plain.wall;
    println!("| measure | rows | seconds | rows/s | server CPU s | gongxin CPU s |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| gongxin import into PostgreSQL end to end (parse, validate, store, log) | {stored} | {} |",
        import.columns(stored)
    );
    println!(
        "| plain PostgreSQL COPY of the same rows, {width} text columns, no index (reference) | {rows} | {} |",
        plain.columns(rows as u64)
    );
    println!(
        "| gongxin verify (chain + projections) | {events} | {} |",
        verify.columns(events)
    );
    println!(
        "\nend to end / plain COPY = {:.2}",
        import_rate / plain_rate
    );
    Ok(ExitCode::SUCCESS)
}

/// The wall time of a part of the run, with the CPU time its server process and this process
/// spent meanwhile (`None` where `/proc` does not tell).
struct Timed {
    started: Instant,
    backend: Option<u32>,
    server_cpu: Option<f64>,
    own_cpu: Option<f64>,
}

/// A part's figures.
struct Figures {
    wall: f64,
    server_cpu: Option<f64>,
    own_cpu: Option<f64>,
}

impl Timed {
    fn start(backend: Option<u32>) -> Self {
        Timed {
            started: Instant::now(),
            backend,
            server_cpu: backend.and_then(process_cpu),
            own_cpu: own_cpu(),
        }
    }

    fn stop(self) -> Figures {
        let wall = self.started.elapsed().as_secs_f64();
        let since = |before: Option<f64>, now: Option<f64>| Some(now? - before?);
        Figures {
            wall,
            server_cpu: since(self.server_cpu, self.backend.and_then(process_cpu)),
            own_cpu: since(self.own_cpu, own_cpu()),
        }
    }
}

impl Figures {
    /// seconds | rows/s | own CPU, as table cells.
    fn own_columns(&self, rows: u64) -> String {
        format!(
            "{:.2} | {:.0} | {}",
            self.wall,
            rows as f64 / self.wall,
            cpu_cell(self.own_cpu)
        )
    }

    /// seconds | rows/s | server CPU | own CPU, as table cells.
    fn columns(&self, rows: u64) -> String {
        format!(
            "{:.2} | {:.0} | {} | {}",
            self.wall,
            rows as f64 / self.wall,
            cpu_cell(self.server_cpu),
            cpu_cell(self.own_cpu)
        )
    }
}

fn cpu_cell(seconds: Option<f64>) -> String {
    seconds.map_or("n/a".to_owned(), |s| format!("{s:.2}"))
}

/// CPU seconds process `pid` has run, from `/proc/PID/schedstat` (Linux): a server process
/// when the server runs on this machine.
fn process_cpu(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
    let nanoseconds: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanoseconds as f64 / 1e9)
}

/// CPU seconds this process has used, all its threads (ended ones too), from
/// `/proc/self/stat` (Linux; in units of 1/100 s).
fn own_cpu() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}

/// The benchmark's schemas in the database: created fresh, dropped when done (also when the
/// run fails).
struct BenchSchemas {
    client: postgres::Client,
    created: Vec<String>,
    /// The server runs on this machine (reached over loopback or a socket): its processes'
    /// CPU time can be read.
    local: bool,
}

impl BenchSchemas {
    fn connect(url: &str) -> Result<Self> {
        // Errors never show the URL, which may hold a password.
        let config: postgres::Config = url
            .parse()
            .map_err(|e| anyhow::anyhow!("the database URL is not valid: {e}"))?;
        let mut client = config
            .connect(postgres::NoTls)
            .context("connecting to PostgreSQL")?;
        let local: bool = client
            .query_one(
                "SELECT coalesce(host(inet_server_addr()) IN ('127.0.0.1', '::1'), true)",
                &[],
            )
            .context("asking the server where it runs")?
            .get(0);
        Ok(BenchSchemas {
            client,
            created: Vec::new(),
            local,
        })
    }

    /// A new empty schema `name` (a plain identifier), replacing one left by a killed run.
    fn create(&mut self, name: &str) -> Result<String> {
        self.client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .with_context(|| format!("creating the schema {name}"))?;
        self.created.push(name.to_owned());
        Ok(name.to_owned())
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        self.client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .with_context(|| format!("dropping the schema {name}"))?;
        self.created.retain(|created| created != name);
        Ok(())
    }

    /// The server process serving this connection, if the server runs on this machine.
    fn backend_pid(&mut self) -> Result<Option<u32>> {
        let pid: i32 = self
            .client
            .query_one("SELECT pg_backend_pid()", &[])
            .context("asking the server for its process")?
            .get(0);
        Ok(self.local_process(pid))
    }

    /// The server process serving the one connection named `application`, if the server runs
    /// on this machine.
    fn backend_of(&mut self, application: &str) -> Result<Option<u32>> {
        let rows = self
            .client
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                &[&application],
            )
            .context("finding the store's server process")?;
        Ok(match rows.as_slice() {
            [row] => self.local_process(row.get(0)),
            _ => None,
        })
    }

    /// `pid` if the server runs here and it is one of its processes.
    fn local_process(&self, pid: i32) -> Option<u32> {
        let pid = u32::try_from(pid).ok().filter(|_| self.local)?;
        let command = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        command.starts_with("postgres").then_some(pid)
    }

    /// Writes every dirty page out, so that a timed part does not pay for the one before.
    /// Needs a superuser or `pg_checkpoint`; without, the run goes on and says so.
    fn checkpoint(&mut self) {
        if let Err(e) = self.client.batch_execute("CHECKPOINT") {
            eprintln!("note: no CHECKPOINT before the next part ({e}); figures may be noisier");
        }
    }
}

impl Drop for BenchSchemas {
    fn drop(&mut self) {
        for name in std::mem::take(&mut self.created) {
            if let Err(e) = self
                .client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            {
                eprintln!("could not drop the benchmark schema {name}: {e}");
            }
        }
    }
}

/// The reference: `COPY … FROM STDIN (FORMAT binary)` of every row into one table of `width`
/// text columns with no index, no key and no constraint, in one statement (one transaction).
/// The rows are encoded into large pieces, so the client does as little as a client can.
fn plain_copy(
    client: &mut postgres::Client,
    schema: &str,
    width: usize,
    cells: &[String],
) -> Result<u64> {
    use std::io::Write;
    let columns: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
    let definitions: Vec<String> = columns.iter().map(|c| format!("{c} TEXT")).collect();
    client.batch_execute(&format!(
        "CREATE TABLE {schema}.plain ({})",
        definitions.join(", ")
    ))?;
    let fields = i16::try_from(width).context("too many columns")?;
    let mut writer = client.copy_in(&format!(
        "COPY {schema}.plain ({}) FROM STDIN (FORMAT binary)",
        columns.join(", ")
    ))?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0");
    for row in cells.chunks(width) {
        buf.extend_from_slice(&fields.to_be_bytes());
        for cell in row {
            let length = i32::try_from(cell.len()).context("a cell over 2 GiB")?;
            buf.extend_from_slice(&length.to_be_bytes());
            buf.extend_from_slice(cell.as_bytes());
        }
        if buf.len() >= 256 * 1024 {
            writer.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    writer.write_all(&buf)?;
    Ok(writer.finish()?)
}

/// The system's load average (1, 5, 15 minutes), for the record of a run on a shared machine.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
