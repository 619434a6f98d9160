//! `gongxin demo`: the whole platform on generated data — generate, import, verify, index —
//! in a fresh data directory, with a key for every role, then the server and portal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use gongxin_core::access::Principal;
use gongxin_ingest::generate::GenerateOptions;
use gongxin_ingest::import::{DEFAULT_BATCH_ROWS, DEFAULT_MAX_PROBLEMS, ImportOptions};
use gongxin_server::config::ServerConfig;
use gongxin_store::{Store, Verification};

use crate::commands::generate::generate_with_progress;
use crate::commands::import::{import_with_progress, print_summary, write_report};
use crate::config::{DataArgs, KeyArgs, RuleArgs, now_us};

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
    /// Where the server listens.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Prepare the data and keys, then stop instead of serving.
    #[arg(long)]
    no_serve: bool,
}

pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let catalog = args.rules.catalog()?;
    let whitelist = args.rules.whitelist()?;
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("gongxin-demo-{}", now_us())),
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
    let data = DataArgs {
        data_dir: data_dir.clone(),
        database_url: None,
        rules: args.rules.clone(),
        key: args.key.clone(),
        today: None,
    };
    let platform = data.platform()?;
    let indexed = gongxin_server::indexer::rebuild(
        &platform.catalog,
        &store,
        &platform.search,
        &data_dir,
        &mut |_| {},
    )
    .context("building the search index")?;
    println!("搜索索引 / search index: {indexed} subjects");
    let Some(sample) = store.events_after(0, 1)?.pop() else {
        return Ok(ExitCode::SUCCESS);
    };
    let subject = store
        .subject(&sample.subject)?
        .map_or(sample.subject, |s| s.code);
    let unit = store
        .records_of(&subject)?
        .into_iter()
        .find(|r| r.record.key.item == "admin_penalty")
        .map(|r| r.record.key.source_unit);
    let mut roles = vec![
        ("credit office 信用办", Principal::Admin),
        ("auditor 审计员", Principal::Auditor),
        (
            "subject 市场主体",
            Principal::Subject {
                code: subject.clone(),
            },
        ),
    ];
    if let Some(unit) = unit {
        roles.push((
            "department 部门",
            Principal::Department {
                unit,
                items: vec!["admin_penalty".to_owned()],
            },
        ));
    }
    println!("\n演示密钥 / demo keys (Authorization: Bearer …):");
    for (name, principal) in roles {
        let created = gongxin_server::create_key(&mut store, name, principal, "demo", now_us())?;
        println!("  {name:<20} {}", created.secret);
    }
    drop(store);
    let base = format!("http://{}", args.listen);
    println!("\n试试 / try:");
    println!("  {base}/                                  门户 / portal");
    println!("  {base}/entity/{subject}");
    println!("  {base}/api/v1/subjects?q=有限公司");
    println!("  {base}/api/docs                          API");
    println!(
        "  gongxin subject --data-dir {} {subject}",
        data_dir.display()
    );
    println!("  problem reports: {}/*.report.json", incoming.display());
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let config = ServerConfig {
        listen: args.listen,
        ..ServerConfig::load(None, |name| std::env::var(name).ok())?
    };
    crate::commands::serve::init_logging(config.log_json);
    crate::commands::serve::serve(platform, config)?;
    Ok(ExitCode::SUCCESS)
}
