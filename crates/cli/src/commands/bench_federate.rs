//! `gongxin bench federate`: the replication rate between two nodes — a node pulls a peer's
//! whole feed over loopback HTTP and applies it — against, in the same run, reading the same
//! feed without applying it and importing the same files directly into a third node.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use gongxin_core::access::Principal;
use gongxin_ingest::generate::GenerateOptions;
use gongxin_ingest::import::{Silent, import_files};
use gongxin_server::config::ServerConfig;
use gongxin_server::federation::{Local, Peer, cursor_file, pull};
use gongxin_server::{AppState, create_key};
use gongxin_store::SqliteStore;

use crate::commands::bench::import_options;
use crate::commands::generate::generate_with_progress;
use crate::config::{DataArgs, KeyArgs, RuleArgs, now_us};

#[derive(Debug, Args)]
pub struct FederateBenchArgs {
    #[arg(long, default_value_t = 50_000)]
    subjects: usize,
    #[arg(long, default_value_t = 500_000)]
    records: usize,
    /// Working directory (emptied first).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    #[command(flatten)]
    rules: RuleArgs,
}

fn data_args(dir: &Path, rules: &RuleArgs) -> DataArgs {
    DataArgs {
        data_dir: dir.to_owned(),
        database_url: None,
        rules: rules.clone(),
        key: KeyArgs::default(),
        today: None,
    }
}

/// Imports `files` into the store of `data`; the records stored and the seconds it took.
fn import_all(
    data: &DataArgs,
    files: &[gongxin_ingest::generate::GeneratedFile],
) -> Result<(u64, f64)> {
    let catalog = data.rules.catalog()?;
    let whitelist = data.rules.whitelist()?;
    let personal_key = data.personal_key()?;
    let mut store = data.open_store()?;
    let started = Instant::now();
    for file in files {
        let item = catalog.item(&file.item).context("generated item")?;
        import_files(
            &mut *store,
            &[file.path.as_path()],
            &import_options(item, &catalog, &whitelist, &personal_key),
            &now_us,
            &mut Silent,
        )?;
    }
    Ok((store.counts()?.records, started.elapsed().as_secs_f64()))
}

pub fn run(args: FederateBenchArgs) -> Result<ExitCode> {
    if args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)
            .with_context(|| format!("emptying {}", args.dir.display()))?;
    }
    let peer_data = data_args(&args.dir.join("peer"), &args.rules);
    let catalog = args.rules.catalog()?;
    let files = generate_with_progress(
        &catalog,
        &GenerateOptions {
            subjects: args.subjects,
            records: args.records,
            seed: 11,
            items: Vec::new(),
            bad_per_mille: 0,
        },
        &args.dir.join("input"),
    )?;
    let (records, _) = import_all(&peer_data, &files)?;
    let events = peer_data.open_store()?.counts()?.events;
    println!("peer: {records} records, {events} events");

    // The peer serves its feed on loopback; this node holds a credit-office key of it.
    let key = {
        let mut store = SqliteStore::open_in_dir(&peer_data.data_dir)?;
        create_key(
            &mut store,
            "bench",
            Principal::Admin,
            "federation",
            now_us(),
        )?
        .secret
    };
    let config = ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        public_requests_per_minute: 0,
        node_id: "peer".to_owned(),
        ..ServerConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(config.listen))?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(peer_data.platform()?, config)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(gongxin_server::serve(listener, state, async {
        let _ = stopped.await;
    }));

    // 1. Reading the whole feed, pages decoded and dropped.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let started = Instant::now();
    let (mut cursor, mut read) = (0u64, 0u64);
    loop {
        let mut response = agent
            .get(&format!(
                "{base}/api/v1/feed?after={cursor}&limit=500&purpose=bench"
            ))
            .header("Authorization", &format!("Bearer {key}"))
            .call()?;
        if response.status() != 200 {
            bail!("the feed answered {}", response.status());
        }
        let page: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
        read += page["events"].as_array().map_or(0, Vec::len) as u64;
        cursor = page["next"].as_u64().context("a cursor")?;
        if page["has_more"] != true {
            break;
        }
    }
    let read_seconds = started.elapsed().as_secs_f64();

    // 2. Replicating into a new node.
    let node = data_args(&args.dir.join("node"), &args.rules);
    let whitelist = args.rules.whitelist()?;
    let personal_key = node.personal_key()?;
    let mut store = node.open_store()?;
    let started = Instant::now();
    let report = pull(
        &Local {
            node_id: "node",
            catalog: &catalog,
            whitelist: &whitelist,
            personal_key: &personal_key,
        },
        &mut *store,
        &Peer {
            url: &base,
            key: &key,
        },
        &cursor_file(&node.data_dir, &base),
        None,
        &now_us,
    )?;
    let pull_seconds = started.elapsed().as_secs_f64();
    let replicated = store.counts()?.records;
    if replicated != records || !report.refused.is_empty() {
        bail!(
            "replication is incomplete: {replicated} of {records} records, {} refused",
            report.refused.len()
        );
    }
    let _ = stop.send(());
    runtime.block_on(server)??;

    // 3. The same files imported directly.
    let direct = data_args(&args.dir.join("direct"), &args.rules);
    let (imported, import_seconds) = import_all(&direct, &files)?;

    let rate = |n: u64, s: f64| n as f64 / s;
    println!("\n| {records} records | events | seconds | events/s |\n| --- | ---: | ---: | ---: |");
    println!(
        "| feed read over HTTP, 500 per page, not applied | {read} | {read_seconds:.2} | {:.0} |",
        rate(read, read_seconds)
    );
    println!(
        "| replication: pull and apply into a new node | {} | {pull_seconds:.2} | {:.0} |",
        report.events,
        rate(report.events, pull_seconds)
    );
    println!(
        "| direct import of the same files (reference) | {imported} | {import_seconds:.2} | {:.0} |",
        rate(imported, import_seconds)
    );
    println!(
        "\nreplication / direct import = {:.2}; feed read / replication = {:.2}",
        rate(report.events, pull_seconds) / rate(imported, import_seconds),
        rate(read, read_seconds) / rate(report.events, pull_seconds)
    );
    Ok(ExitCode::SUCCESS)
}
