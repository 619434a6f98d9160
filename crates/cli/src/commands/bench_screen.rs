//! `gongxin bench screen`: batch screening end to end (`gongxin screen`: read the applicants,
//! check each, write one result row each, log the batch) against a plain hash join of the
//! same codes (load the listed subjects' codes into a hash set, stream the applicants, write
//! a hit flag per row), measured in the same run. Then name-only screening: matches per
//! second through the search index, and precision and recall on labelled name variants.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use clap::Args;
use gongxin_codes::{org_code_check_char, uscc_check_char};
use gongxin_core::name_match::{LIKELY_SAME, NameKey, evaluate};
use gongxin_ingest::generate::GenerateOptions;
use gongxin_ingest::import::{Silent, import_files};
use gongxin_ingest::name_variants::labelled_pairs;
use gongxin_store::{SqliteStore, Store};

use crate::commands::bench::import_options;
use crate::commands::generate::generate_with_progress;
use crate::commands::screen::{Batch, screen};
use crate::config::{DataArgs, KeyArgs, RuleArgs, now_us};

/// The lists a batch screening joins against.
const LIST_ITEMS: [&str; 3] = [
    "serious_dishonesty",
    "abnormal_operation",
    "dishonest_debtor",
];

#[derive(Debug, Args)]
pub struct ScreenBenchArgs {
    /// List entries in the store.
    #[arg(long, default_value_t = 500_000)]
    entries: usize,
    /// Applicants in the batch; one in five is a listed subject.
    #[arg(long, default_value_t = 1_000_000)]
    applicants: usize,
    /// Name-only applicants for the name screening (half of them variants of listed names).
    #[arg(long, default_value_t = 20_000)]
    names: usize,
    /// Working directory, kept so that runs can be inspected and reused: the store is built
    /// once and reused while its entry count matches.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: ScreenBenchArgs) -> Result<ExitCode> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("gongxin-bench-screen-{}", now_us())));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let data = DataArgs {
        data_dir: dir.join("data"),
        database_url: None,
        rules: args.rules.clone(),
        key: KeyArgs::default(),
        today: None,
    };
    prepare(&args, &data, &dir)?;
    let platform = data.platform()?;
    let mut store = data.open_store()?;
    let listed = store.subjects_holding(&LIST_ITEMS)?;
    eprintln!("store: {} listed subjects", listed.len());

    let applicants = dir.join("applicants.csv");
    write_applicants(&applicants, &listed, args.applicants)?;

    // End to end: what `gongxin screen` does.
    let output = dir.join("results.csv");
    let started = Instant::now();
    let (_, summary) = screen(
        &platform,
        &mut *store,
        &Batch {
            scenario: "bidding",
            input: &applicants,
            output: &output,
            purpose: "bench",
            unit: None,
        },
        false,
    )?;
    let screen_secs = started.elapsed().as_secs_f64();

    // The reference: a plain hash join of the same codes.
    let started = Instant::now();
    let joined_hits = hash_join(&data.data_dir, &applicants, &dir.join("joined.csv"))?;
    let join_secs = started.elapsed().as_secs_f64();
    ensure!(
        joined_hits == summary.holding_relevant,
        "the screening found {} applicants holding list entries, the hash join {joined_hits}",
        summary.holding_relevant
    );

    let rows = summary.rows;
    println!("| measure | applicants | seconds | applicants/s |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| gongxin screen end to end (check, measures with basis, result rows, batch log) | {rows} | {screen_secs:.2} | {:.0} |",
        rows as f64 / screen_secs
    );
    println!(
        "| plain hash join of the same codes (reference) | {rows} | {join_secs:.2} | {:.0} |",
        rows as f64 / join_secs
    );
    println!(
        "\nscreen / hash join = {:.2}× the time; {} applicants hold list entries, {} of them in force, {} with measures",
        screen_secs / join_secs,
        summary.holding_relevant,
        summary.with_hits,
        summary.with_measures
    );

    names(&platform, &mut *store, &dir, &listed, args.names)?;
    Ok(ExitCode::SUCCESS)
}

/// Generates and imports the list entries, unless the directory already holds them.
fn prepare(args: &ScreenBenchArgs, data: &DataArgs, dir: &Path) -> Result<()> {
    let catalog = data.rules.catalog()?;
    if data.data_dir.exists() {
        let store = data.open_store()?;
        if store.counts()?.records as usize >= args.entries * 9 / 10 {
            return Ok(());
        }
        drop(store);
        std::fs::remove_dir_all(&data.data_dir)?;
    }
    let options = GenerateOptions {
        subjects: args.entries * 4 / 5,
        records: args.entries,
        seed: 7,
        items: LIST_ITEMS.iter().map(|i| (*i).to_owned()).collect(),
        bad_per_mille: 0,
    };
    let files = generate_with_progress(&catalog, &options, &dir.join("input"))?;
    let whitelist = data.rules.whitelist()?;
    let personal_key = data.personal_key()?;
    let mut store = SqliteStore::open_in_dir(&data.data_dir)?;
    for file in &files {
        let item = catalog.item(&file.item).context("a generated item")?;
        let options = import_options(item, &catalog, &whitelist, &personal_key);
        eprintln!("importing {} ({} rows)", file.item, file.rows);
        import_files(
            &mut store,
            &[file.path.as_path()],
            &options,
            &now_us,
            &mut Silent,
        )?;
    }
    let platform = data.platform()?;
    eprintln!("indexing subjects for the name screening");
    gongxin_server::indexer::rebuild(
        &platform.catalog,
        &store,
        &platform.search,
        &data.data_dir,
        &mut |_| {},
    )?;
    Ok(())
}

/// A valid USCC no generated subject has (region 350200, organisation codes from 9e7 up).
fn fresh_code(n: usize) -> String {
    let body = format!("{:08}", 90_000_000 + n % 10_000_000);
    let org = format!(
        "{body}{}",
        org_code_check_char(&body).expect("eight digits")
    );
    let first17 = format!("91350200{org}");
    format!(
        "{first17}{}",
        uscc_check_char(&first17).expect("USCC symbols")
    )
}

/// Applicants: every fifth a listed subject, the others codes the platform does not hold.
fn write_applicants(path: &Path, listed: &[String], count: usize) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(out, "编号,统一社会信用代码")?;
    for n in 0..count {
        let code = match n % 5 {
            0 if !listed.is_empty() => listed[(n / 5 * 7919) % listed.len()].clone(),
            _ => fresh_code(n),
        };
        writeln!(out, "A{n},{code}")?;
    }
    out.flush()?;
    Ok(())
}

/// The reference: the listed subjects' codes into a hash set (plain SQL), the applicants
/// streamed against it, one flag per row written. Returns the rows that hit.
fn hash_join(data_dir: &Path, applicants: &Path, output: &Path) -> Result<u64> {
    let db = rusqlite::Connection::open(data_dir.join("gongxin.sqlite"))?;
    let mut select =
        db.prepare("SELECT DISTINCT subject FROM records WHERE item IN (?1, ?2, ?3)")?;
    let listed: HashSet<String> = select
        .query_map(LIST_ITEMS, |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut reader = csv::Reader::from_path(applicants)?;
    let mut writer = csv::Writer::from_writer(BufWriter::new(File::create(output)?));
    writer.write_record(["reference", "code", "hit"])?;
    let mut hits = 0;
    for record in reader.records() {
        let record = record?;
        let code = record.get(1).unwrap_or("");
        let hit = listed.contains(code);
        hits += u64::from(hit);
        writer.write_record([
            record.get(0).unwrap_or(""),
            code,
            if hit { "1" } else { "0" },
        ])?;
    }
    writer.flush()?;
    Ok(hits)
}

/// Name-only screening: scoring alone on the labelled variant set, then whole applicants by
/// name through the search index, against their known truth.
fn names(
    platform: &gongxin_server::Platform,
    store: &mut dyn Store,
    dir: &Path,
    listed: &[String],
    count: usize,
) -> Result<()> {
    let pairs = labelled_pairs(2024, 300);
    let started = Instant::now();
    let evaluation = evaluate(&pairs, LIKELY_SAME);
    let score_secs = started.elapsed().as_secs_f64();
    println!(
        "\n| name matching | pairs or applicants | seconds | per second | precision | recall |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| scoring labelled variant pairs (seed 2024, 300 bases) | {} | {score_secs:.3} | {:.0} | {:.3} | {:.3} |",
        evaluation.pairs,
        evaluation.pairs as f64 / score_secs,
        evaluation.precision,
        evaluation.recall
    );

    // Applicants by name: variants of listed subjects' names (the truth is their code), and
    // names of nobody (a listed name with its trade name changed). Generated names repeat at
    // this scale, and a name two subjects share identifies neither: positives are taken from
    // subjects whose name is theirs alone.
    let mut name_counts: HashMap<String, u32> = HashMap::new();
    let mut after = String::new();
    loop {
        let page = store.subjects_after(&after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.code.clone();
        for subject in page {
            *name_counts.entry(subject.name).or_default() += 1;
        }
    }
    let mut truth: Vec<Option<String>> = Vec::new();
    let path = dir.join("named.csv");
    let mut out = BufWriter::new(File::create(&path)?);
    writeln!(out, "编号,企业名称")?;
    let mut probe = 0usize;
    while truth.len() < count.min(listed.len()) && probe < listed.len() * 4 {
        probe += 1;
        let code = &listed[(probe * 104_729) % listed.len()];
        let name = store.subject(code)?.context("a listed subject")?.name;
        let n = truth.len();
        let (variant, expected) = match n % 2 {
            0 if name_counts.get(&name) == Some(&1) => (variant_of(&name, n), Some(code.clone())),
            0 => continue,
            _ => {
                let nobody = nobody_like(&name);
                if name_counts.contains_key(&nobody) {
                    continue;
                }
                (nobody, None)
            }
        };
        writeln!(out, "N{n},{variant}")?;
        truth.push(expected);
    }
    out.flush()?;
    drop(out);
    let output = dir.join("named.jsonl");
    let started = Instant::now();
    let (_, summary) = screen(
        platform,
        store,
        &Batch {
            scenario: "bidding",
            input: &path,
            output: &output,
            purpose: "bench",
            unit: None,
        },
        false,
    )?;
    let name_secs = started.elapsed().as_secs_f64();
    let (mut right, mut wrong, mut found_positives) = (0u64, 0u64, 0u64);
    for (line, expected) in std::fs::read_to_string(&output)?.lines().zip(&truth) {
        let row: serde_json::Value = serde_json::from_str(line)?;
        let matched = (row["applicant"]["matched_by"] == "name")
            .then(|| row["applicant"]["code"].as_str().unwrap_or("").to_owned());
        match (&matched, expected) {
            (Some(code), Some(truth)) if code == truth => {
                right += 1;
                found_positives += 1;
            }
            (Some(_), _) => wrong += 1,
            (None, _) => {}
        }
    }
    let positives = truth.iter().filter(|t| t.is_some()).count() as f64;
    let precision = right as f64 / (right + wrong).max(1) as f64;
    let recall = found_positives as f64 / positives.max(1.0);
    println!(
        "| name-only applicants through the search index, end to end | {} | {name_secs:.2} | {:.0} | {precision:.3} | {recall:.3} |",
        summary.rows,
        summary.rows as f64 / name_secs
    );
    Ok(())
}

/// A spelling of `name` an applicant might use: the other legal-form wording, the region
/// left out, or full-width brackets and digits.
fn variant_of(name: &str, n: usize) -> String {
    let key = NameKey::new(name);
    match n % 6 {
        0 => name.replacen("有限公司", "有限责任公司", 1),
        2 => match key.region() {
            Some(region) if name.starts_with(region) => name[region.len()..].to_owned(),
            _ => name.to_owned(),
        },
        4 => name.replace('(', "（").replace(')', "）"),
        _ => name.to_owned(),
    }
}

/// A name like `name` but of another business: its trade name's first character changed.
fn nobody_like(name: &str) -> String {
    let key = NameKey::new(name);
    let trade = key.trade_name();
    match trade.chars().next() {
        Some(first) => {
            let other = if first == '鑫' { '淼' } else { '鑫' };
            name.replacen(first, &other.to_string(), 1)
        }
        None => format!("鑫淼{name}"),
    }
}
