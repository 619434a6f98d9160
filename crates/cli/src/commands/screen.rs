//! `gongxin screen`: the batch check (应查必查) of a file of applicants in one scenario — one
//! result row per applicant, the same answer `POST /api/v1/checks` gives, and one receipt for
//! the batch in the check log with the digests of both files.
//!
//! Most applicants hold nothing that matters in a scenario, so the subjects that hold a
//! relevant record are read first (one pass over the records' keys); an applicant outside
//! that set is answered without touching the store, and only the others are checked in full.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use gongxin_core::access::Principal;
use gongxin_core::event::case_state;
use gongxin_core::objection::Objection;
use gongxin_core::record::RecordId;
use gongxin_ingest::read::{Row, RowBuf, open};
use gongxin_server::Platform;
use gongxin_server::discipline::{
    Applicant, Findings, Held, MatchedBy, NameCandidate, findings, identify, new_receipt,
};
use gongxin_store::{CaseKind, CheckEntry, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{DataArgs, now_us};
use crate::progress::bar;

#[derive(Debug, Args)]
pub struct ScreenArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The business scenario, e.g. `government_procurement`, `bidding`, `fiscal_funds`
    /// (all of them: `GET /api/v1/measures`).
    #[arg(long)]
    scenario: String,
    /// The applicants: CSV, XLSX or JSON lines with a code column (统一社会信用代码 / code)
    /// and/or a name column (名称 / name), and optionally a reference column (编号 / reference).
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Where to write one result row per applicant: CSV (UTF-8 with BOM, for spreadsheets)
    /// or, for a `.jsonl` name, JSON lines with the full answers.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
    /// Why the applicants are checked; recorded with the batch.
    #[arg(long)]
    purpose: String,
    /// The checking unit's code; without it the batch runs as the credit office.
    #[arg(long)]
    unit: Option<String>,
}

const CODE_COLUMNS: &[&str] = &[
    "统一社会信用代码",
    "社会信用代码",
    "信用代码",
    "主体代码",
    "代码",
    "code",
    "uscc",
];
const NAME_COLUMNS: &[&str] = &[
    "名称",
    "企业名称",
    "主体名称",
    "申请人",
    "申请人名称",
    "name",
];
const REFERENCE_COLUMNS: &[&str] = &["编号", "申请编号", "序号", "reference", "ref"];

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

/// One applicant's result, as written.
#[derive(Debug, Serialize)]
struct ResultRow<'a> {
    row: u64,
    receipt: String,
    reference: &'a str,
    input_code: &'a str,
    input_name: &'a str,
    applicant: Applicant,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    name_candidates: Vec<NameCandidate>,
    /// Why the row could not be matched (e.g. a mistyped code).
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    #[serde(flatten)]
    findings: Findings,
}

/// What the check log keeps of a batch: enough to show which files were checked and what
/// was answered, by digest.
#[derive(Debug, Serialize)]
struct BatchRequest<'a> {
    input: String,
    input_sha256: String,
    scenario: &'a str,
    principal: &'a Principal,
}

#[derive(Debug, Default, Serialize)]
pub struct BatchSummary {
    pub output: String,
    pub output_sha256: String,
    pub rows: u64,
    pub unreadable_rows: u64,
    pub bad_codes: u64,
    pub matched_by_code: u64,
    pub matched_by_name: u64,
    /// Applicants holding a record that matters in the scenario, and so checked in full.
    pub holding_relevant: u64,
    pub with_hits: u64,
    pub with_measures: u64,
    pub with_rewards: u64,
}

/// One batch to screen.
#[derive(Debug)]
pub struct Batch<'a> {
    pub scenario: &'a str,
    pub input: &'a Path,
    pub output: &'a Path,
    pub purpose: &'a str,
    /// The checking unit's code; `None` runs as the credit office.
    pub unit: Option<&'a str>,
}

pub fn run(args: ScreenArgs) -> Result<ExitCode> {
    let platform = args.data.platform()?;
    let mut store = args.data.open_store()?;
    // Names are matched in the search index: bring it up to the log first (records imported
    // since the server last ran are not in it yet).
    gongxin_server::indexer::catch_up(
        &platform.catalog,
        &*store,
        &platform.search,
        &args.data.data_dir,
    )
    .context("bringing the search index up to date")?;
    let batch = Batch {
        scenario: &args.scenario,
        input: &args.input,
        output: &args.output,
        purpose: &args.purpose,
        unit: args.unit.as_deref(),
    };
    let (receipt, summary) = screen(&platform, &mut *store, &batch, true)?;
    println!(
        "核查 {} 个申请人：代码匹配 {}，名称匹配 {}，命中 {}，适用惩戒措施 {}，适用激励措施 {}；回执 {receipt} / \
         screened {} applicants: {} by code, {} by name, {} with hits, {} with measures, {} with rewards; receipt {receipt}",
        summary.rows,
        summary.matched_by_code,
        summary.matched_by_name,
        summary.with_hits,
        summary.with_measures,
        summary.with_rewards,
        summary.rows,
        summary.matched_by_code,
        summary.matched_by_name,
        summary.with_hits,
        summary.with_measures,
        summary.with_rewards,
    );
    if summary.bad_codes > 0 {
        println!(
            "{} 行代码无效，结果文件中已注明 / {} rows have invalid codes, explained in the results",
            summary.bad_codes, summary.bad_codes
        );
    }
    if summary.unreadable_rows > 0 {
        println!(
            "{} 行无法读取 / {} rows could not be read",
            summary.unreadable_rows, summary.unreadable_rows
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Screens `batch` against what `store` holds now, writes the results and logs the batch;
/// returns its receipt and summary. `show_progress` draws a bar on a terminal.
pub fn screen(
    platform: &Platform,
    store: &mut dyn Store,
    batch: &Batch<'_>,
    show_progress: bool,
) -> Result<(String, BatchSummary)> {
    if platform.discipline.scenario(batch.scenario).is_none() {
        let known: Vec<&str> = platform
            .discipline
            .scenarios
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        bail!(
            "没有应用场景 {} / unknown scenario `{}`; known: {}",
            batch.scenario,
            batch.scenario,
            known.join(", ")
        );
    }
    if batch.purpose.trim().is_empty() {
        bail!("须说明核查用途（--purpose） / a purpose is required (--purpose)");
    }
    let principal = match batch.unit {
        Some(unit) => Principal::Department {
            unit: gongxin_codes::normalise(unit),
            items: Vec::new(),
        },
        None => Principal::Admin,
    };
    let receipt = new_receipt("ckb").context("drawing a receipt id")?;
    let log_seq = store.log_head()?;
    let on = platform.clock.today();
    let holding: HashSet<String> = store
        .subjects_holding(&platform.discipline.items_relevant_to(batch.scenario))?
        .into_iter()
        .collect();

    let mut source = open(batch.input)
        .with_context(|| format!("reading applicants from {}", batch.input.display()))?;
    let header = source.header().to_vec();
    let code_at = column(&header, CODE_COLUMNS);
    let name_at = column(&header, NAME_COLUMNS);
    let reference_at = column(&header, REFERENCE_COLUMNS);
    if code_at.is_none() && name_at.is_none() {
        bail!(
            "{} 中没有代码列或名称列（表头：{}） / no code or name column in the header",
            batch.input.display(),
            header.join(", ")
        );
    }
    let progress_total = source.progress().total;
    let progress = match show_progress {
        true => bar(progress_total, "screen", true),
        false => indicatif::ProgressBar::hidden(),
    };

    let mut writer = ResultWriter::create(batch.output)?;
    // Records under an open objection, for all subjects at once: few, and asking per
    // subject would cost a query per applicant.
    let objected: HashSet<RecordId> = store
        .open_cases(CaseKind::Objection)?
        .iter()
        .filter_map(|case| case_state::<Objection>(&case.payload))
        .map(|objection| objection.record)
        .collect();
    let columns = Columns {
        code: code_at,
        name: name_at,
        reference: reference_at,
    };
    // Two stages on two threads: this one reads applicants and their records from the store;
    // the other checks them and writes the results, in order.
    let (chunks, received) = std::sync::mpsc::sync_channel::<Chunk>(2);
    let summary = std::thread::scope(|scope| -> Result<BatchSummary> {
        let checker = scope.spawn(|| -> Result<BatchSummary> {
            let mut summary = BatchSummary::default();
            let nothing = Held::default();
            for chunk in received {
                for (row, identified) in chunk.rows.iter().zip(chunk.identified) {
                    let Identified {
                        mut applicant,
                        candidates,
                        holds,
                        problem,
                    } = identified;
                    summary.rows += 1;
                    let code = applicant.code.clone().unwrap_or_default();
                    summary.holding_relevant += u64::from(holds);
                    let held = chunk.held.get(&code).unwrap_or(&nothing);
                    if applicant.name.is_none() {
                        applicant.name =
                            held.records.first().map(|r| r.record.subject_name.clone());
                    }
                    let found = findings(platform, &principal, &code, held, batch.scenario, on)
                        .context("checking an applicant")?;
                    match applicant.matched_by {
                        MatchedBy::Code => summary.matched_by_code += 1,
                        MatchedBy::Name => summary.matched_by_name += 1,
                        MatchedBy::None => {}
                    }
                    summary.bad_codes += u64::from(problem.is_some());
                    summary.with_hits += u64::from(!found.hits.is_empty());
                    summary.with_measures += u64::from(!found.measures.is_empty());
                    summary.with_rewards += u64::from(!found.rewards.is_empty());
                    writer.write(&ResultRow {
                        row: row.number,
                        receipt: format!("{receipt}#{}", row.number),
                        reference: &columns.cell(row, columns.reference),
                        input_code: &columns.cell(row, columns.code),
                        input_name: &columns.cell(row, columns.name),
                        applicant,
                        name_candidates: candidates,
                        problem,
                        findings: found,
                    })?;
                }
            }
            writer.finish()?;
            Ok(summary)
        });
        let mut unreadable = 0;
        let mut buf = RowBuf::new();
        let mut ended = false;
        while !ended {
            let mut rows: Vec<Row> = Vec::with_capacity(CHUNK);
            while rows.len() < CHUNK {
                match source.next_row(&mut buf) {
                    None => {
                        ended = true;
                        break;
                    }
                    Some(Err(error)) => {
                        unreadable += 1;
                        eprintln!("第 {} 行无法读取，已跳过 / row skipped: {error}", error.row);
                    }
                    Some(Ok(())) => rows.push(buf.to_row()),
                }
            }
            let identified: Vec<Identified> = rows
                .iter()
                .map(|row| {
                    identify_fast(
                        platform,
                        &*store,
                        &holding,
                        &columns.cell(row, columns.code),
                        &columns.cell(row, columns.name),
                    )
                })
                .collect::<Result<_>>()?;
            // The records of every applicant in the chunk that holds any, in one read.
            let wanted: Vec<&str> = identified
                .iter()
                .filter(|i| i.holds)
                .filter_map(|i| i.applicant.code.as_deref())
                .collect();
            let held: HashMap<String, Held> = store
                .records_of_many(&wanted)?
                .into_iter()
                .map(|(subject, records)| {
                    let objected = records
                        .iter()
                        .map(|r| r.id)
                        .filter(|id| objected.contains(id))
                        .collect();
                    (subject, Held { records, objected })
                })
                .collect();
            progress.set_position(source.progress().done);
            if chunks
                .send(Chunk {
                    rows,
                    identified,
                    held,
                })
                .is_err()
            {
                // The checker stopped on an error, which its result reports.
                break;
            }
        }
        drop(chunks);
        let mut summary = checker
            .join()
            .map_err(|_| anyhow::anyhow!("the checking thread panicked"))??;
        summary.unreadable_rows = unreadable;
        Ok(summary)
    })?;
    progress.finish_and_clear();

    let mut summary = summary;
    summary.output = batch.output.display().to_string();
    summary.output_sha256 = file_sha256(batch.output)?;
    let request = BatchRequest {
        input: batch.input.display().to_string(),
        input_sha256: file_sha256(batch.input)?,
        scenario: batch.scenario,
        principal: &principal,
    };
    store.append_check(&CheckEntry {
        receipt: receipt.clone(),
        at_us: now_us(),
        key_id: None,
        unit: batch.unit.map(str::to_owned),
        subject: None,
        scenario: batch.scenario.to_owned(),
        purpose: batch.purpose.trim().to_owned(),
        log_seq,
        measures_version: platform.discipline.version.clone(),
        request: serde_json::to_string(&request)?,
        answer: serde_json::to_string(&summary)?,
    })?;
    Ok((receipt, summary))
}

/// An applicant as the batch identified it: who, the name candidates, whether it holds
/// anything relevant, and why it could not be matched.
struct Identified {
    applicant: Applicant,
    candidates: Vec<NameCandidate>,
    /// Whether the subject holds a record that matters in the scenario.
    holds: bool,
    problem: Option<String>,
}

/// Applicants read, identified and checked together: their records come in one read.
const CHUNK: usize = 4096;

/// A chunk of applicants on its way from the reading stage to the checking stage.
struct Chunk {
    rows: Vec<Row>,
    identified: Vec<Identified>,
    held: HashMap<String, Held>,
}

/// Where the applicants' columns are.
struct Columns {
    code: Option<usize>,
    name: Option<usize>,
    reference: Option<usize>,
}

impl Columns {
    fn cell(&self, row: &Row, at: Option<usize>) -> String {
        at.and_then(|i| row.cells.get(i))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default()
    }
}

/// [`identify`], with the batch's shortcut: a code outside `holding` is answered without
/// the store (the platform holds nothing relevant about it), unless it is an old code, which
/// may map to a subject that does.
fn identify_fast(
    platform: &Platform,
    store: &dyn Store,
    holding: &HashSet<String>,
    code: &str,
    name: &str,
) -> Result<Identified> {
    let code = gongxin_codes::normalise(code);
    // A USCC that holds something relevant: its records are read with the chunk's, and its
    // name comes with them; nothing else to ask the store.
    if code.len() == 18 && holding.contains(&code) {
        let applicant = Applicant {
            code: Some(code),
            name: None,
            known: true,
            matched_by: MatchedBy::Code,
            name_score: None,
        };
        return Ok(Identified {
            applicant,
            candidates: Vec::new(),
            holds: true,
            problem: None,
        });
    }
    if code.len() == 18 {
        let applicant = Applicant {
            code: Some(code),
            name: (!name.is_empty()).then(|| name.to_owned()),
            known: false,
            matched_by: MatchedBy::Code,
            name_score: None,
        };
        return Ok(Identified {
            applicant,
            candidates: Vec::new(),
            holds: false,
            problem: None,
        });
    }
    let (applicant, candidates) = match identify(
        platform,
        store,
        (!code.is_empty()).then_some(code.as_str()),
        (!name.is_empty()).then_some(name),
    ) {
        Ok(found) => found,
        // A bad code in one row is that row's answer, not the end of the batch.
        Err(error) => {
            let applicant = Applicant {
                code: (!code.is_empty()).then_some(code),
                name: (!name.is_empty()).then(|| name.to_owned()),
                known: false,
                matched_by: MatchedBy::None,
                name_score: None,
            };
            let (zh, en) = error.messages();
            let problem = if zh == en { zh } else { format!("{zh} / {en}") };
            return Ok(Identified {
                applicant,
                candidates: Vec::new(),
                holds: false,
                problem: Some(problem),
            });
        }
    };
    let holds = applicant.known
        && applicant
            .code
            .as_ref()
            .is_some_and(|code| holding.contains(code));
    Ok(Identified {
        applicant,
        candidates,
        holds,
        problem: None,
    })
}

fn file_sha256(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        hasher.update(&chunk[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The output file: CSV for people, JSON lines for programs.
enum ResultWriter {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Json(BufWriter<File>),
}

const CSV_HEADER: [&str; 15] = [
    "行号 row",
    "回执 receipt",
    "编号 reference",
    "输入代码 input code",
    "输入名称 input name",
    "匹配代码 code",
    "匹配名称 name",
    "匹配方式 matched by",
    "名称相似度 name score",
    "命中名单 lists",
    "惩戒措施 measures",
    "必须实施 mandatory",
    "暂停执行 suspended",
    "激励措施 rewards",
    "问题 problem",
];

impl ResultWriter {
    fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        if path.extension().is_some_and(|e| e == "jsonl") {
            return Ok(ResultWriter::Json(out));
        }
        // A BOM, so that spreadsheet programs read the Chinese text as UTF-8.
        out.write_all("\u{feff}".as_bytes())?;
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(CSV_HEADER)?;
        Ok(ResultWriter::Csv(Box::new(csv)))
    }

    fn write(&mut self, row: &ResultRow<'_>) -> Result<()> {
        match self {
            ResultWriter::Json(out) => {
                serde_json::to_writer(&mut *out, row)?;
                out.write_all(b"\n")?;
            }
            ResultWriter::Csv(csv) => {
                let join = |mut ids: Vec<&str>| {
                    // An applicant may hold several entries of one list: name the list once.
                    let mut seen = HashSet::new();
                    ids.retain(|id| seen.insert(*id));
                    ids.join(";")
                };
                let f = &row.findings;
                let lists = join(f.hits.iter().filter_map(|h| h.list.as_deref()).collect());
                let measures = join(f.measures.iter().map(|m| m.id.as_str()).collect());
                let mandatory = join(
                    f.measures
                        .iter()
                        .filter(|m| m.mandatory && !m.suspended)
                        .map(|m| m.id.as_str())
                        .collect(),
                );
                let suspended = join(
                    f.measures
                        .iter()
                        .filter(|m| m.suspended)
                        .map(|m| m.id.as_str())
                        .collect(),
                );
                let rewards = join(f.rewards.iter().map(|m| m.id.as_str()).collect());
                let matched_by = match row.applicant.matched_by {
                    MatchedBy::Code => "code",
                    MatchedBy::Name => "name",
                    MatchedBy::None => "none",
                };
                csv.write_record([
                    row.row.to_string().as_str(),
                    &row.receipt,
                    row.reference,
                    row.input_code,
                    row.input_name,
                    row.applicant.code.as_deref().unwrap_or(""),
                    row.applicant.name.as_deref().unwrap_or(""),
                    matched_by,
                    &row.applicant
                        .name_score
                        .map(|s| format!("{s:.2}"))
                        .unwrap_or_default(),
                    &lists,
                    &measures,
                    &mandatory,
                    &suspended,
                    &rewards,
                    row.problem.as_deref().unwrap_or(""),
                ])?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self {
            ResultWriter::Csv(mut csv) => csv.flush()?,
            ResultWriter::Json(mut out) => out.flush()?,
        }
        Ok(())
    }
}
