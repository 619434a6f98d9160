//! `gongxin demo`: the whole pipeline on generated data — generate, import, verify — in a
//! fresh data directory, then a look at what is held.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use gongxin_ingest::generate::GenerateOptions;
use gongxin_ingest::import::{DEFAULT_BATCH_ROWS, DEFAULT_MAX_PROBLEMS, ImportOptions};
use gongxin_store::{Store, Verification};

use crate::commands::generate::generate_with_progress;
use crate::commands::import::{import_with_progress, print_summary, write_report};
use crate::config::{KeyArgs, RuleArgs};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Data directory; default: a new directory under the system's temporary directory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 2_000)]
    subjects: usize,
    #[arg(long, default_value_t = 20_000)]
    records: usize,
    #[arg(long, default_value_t = 2015)]
    seed: u64,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    key: KeyArgs,
}

pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let catalog = args.rules.catalog()?;
    let whitelist = args.rules.whitelist()?;
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("gongxin-demo-{}", crate::config::now_us())),
    };
    let incoming = data_dir.join("incoming");
    println!("演示数据目录 / demo data directory: {}", data_dir.display());
    let options = GenerateOptions {
        subjects: args.subjects,
        records: args.records,
        seed: args.seed,
        items: Vec::new(),
        bad_per_mille: 10,
    };
    let files = generate_with_progress(&catalog, &options, &incoming)?;
    let mut store = gongxin_store::SqliteStore::open_in_dir(&data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let personal_key = args.key.personal_key(&data_dir)?;
    for file in &files {
        let Some(item) = catalog.item(&file.item) else {
            continue;
        };
        println!(
            "\n== {} {} ({})",
            item.id,
            item.name_zh,
            file.path.display()
        );
        let options = ImportOptions {
            item,
            catalog_version: &catalog.version,
            whitelist: &whitelist,
            personal_key: &personal_key,
            submitting_unit: None,
            actor: "demo",
            batch_rows: DEFAULT_BATCH_ROWS,
            max_problems: DEFAULT_MAX_PROBLEMS,
        };
        let report = import_with_progress(&mut store, std::slice::from_ref(&file.path), &options)?;
        print_summary(&report);
        write_report(&incoming.join(format!("{}.report.json", item.id)), &report)?;
    }
    let counts = store.counts()?;
    println!(
        "\n平台现有 {} 个主体、{} 条记录、{} 个事件 / the platform holds {} subjects, {} records, {} events",
        counts.subjects,
        counts.records,
        counts.events,
        counts.subjects,
        counts.records,
        counts.events
    );
    match store.verify(&mut |_| {})? {
        Verification::Intact { events, head } => {
            println!("哈希链完好 / chain intact: {events} events, head {head}")
        }
        other => {
            println!("校验失败 / verification failed: {other:?}");
            return Ok(ExitCode::from(1));
        }
    }
    if let Some(event) = store.events_after(0, 1)?.first() {
        let dir = data_dir.display();
        println!("\n试试 / try:");
        println!("  gongxin subject --data-dir {dir} {}", event.subject);
        println!("  gongxin verify --data-dir {dir}");
        println!(
            "  gongxin import --data-dir {dir} --item admin_penalty {}/admin_penalty.csv   # again: all unchanged",
            incoming.display()
        );
        println!("  problem reports: {}/*.report.json", incoming.display());
    }
    Ok(ExitCode::SUCCESS)
}
