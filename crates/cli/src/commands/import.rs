//! `gongxin import`: department files into the store, with a per-row report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use gongxin_ingest::import::{
    DEFAULT_BATCH_ROWS, DEFAULT_MAX_PROBLEMS, ImportObserver, ImportOptions, ImportReport,
    import_files,
};
use gongxin_ingest::read::{Progress, ProgressUnit};
use indicatif::ProgressBar;

use crate::config::{DataArgs, now_us};
use crate::progress::bar;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The catalog item the files hold, e.g. admin_penalty or admin_license
    /// (`gongxin catalog` lists them).
    #[arg(long, value_name = "ITEM")]
    item: String,
    /// Files to import: .csv/.tsv/.txt (UTF-8 or GB18030), .xlsx, .jsonl.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Write the counts and every problem (file, row, field, value, reason) as JSON here, to
    /// send back to the source department.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Recorded as the actor of every event (a unit code or a person's id).
    #[arg(long, default_value = "cli")]
    actor: String,
    /// Rows per transaction.
    #[arg(long, default_value_t = DEFAULT_BATCH_ROWS)]
    batch_rows: usize,
}

pub fn run(args: ImportArgs) -> Result<ExitCode> {
    let catalog = args.data.rules.catalog()?;
    let whitelist = args.data.rules.whitelist()?;
    let Some(item) = catalog.item(&args.item) else {
        let known: Vec<&str> = catalog.items.iter().map(|i| i.id.as_str()).collect();
        bail!(
            "“{}” is not a catalog item; the catalog has: {}",
            args.item,
            known.join(", ")
        );
    };
    let mut store = args.data.open_store()?;
    let personal_key = args.data.personal_key()?;
    let options = ImportOptions {
        item,
        catalog_version: &catalog.version,
        whitelist: &whitelist,
        personal_key: &personal_key,
        submitting_unit: None,
        actor: &args.actor,
        batch_rows: args.batch_rows,
        max_problems: DEFAULT_MAX_PROBLEMS,
    };
    let report = import_with_progress(&mut *store, &args.files, &options)?;
    print_summary(&report);
    if let Some(path) = &args.report {
        write_report(path, &report)?;
        println!("问题报告 / problem report: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs an import with a progress bar per file on a terminal.
pub fn import_with_progress(
    store: &mut dyn gongxin_store::Store,
    files: &[PathBuf],
    options: &ImportOptions<'_>,
) -> Result<ImportReport> {
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let mut observer = BarObserver { bar: None };
    let report =
        import_files(store, &paths, options, &now_us, &mut observer).context("import stopped")?;
    if let Some(bar) = observer.bar.take() {
        bar.finish_and_clear();
    }
    Ok(report)
}

struct BarObserver {
    bar: Option<ProgressBar>,
}

impl ImportObserver for BarObserver {
    fn file_started(&mut self, file: &str, progress: Progress) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let name = Path::new(file)
            .file_name()
            .map_or(file.into(), |n| n.to_string_lossy());
        self.bar = Some(bar(
            progress.total,
            &name,
            progress.unit == ProgressUnit::Bytes,
        ));
    }

    fn batch_stored(&mut self, progress: Progress, _report: &ImportReport) {
        if let Some(bar) = &self.bar {
            bar.set_position(progress.done);
        }
    }
}

pub fn print_summary(report: &ImportReport) {
    println!(
        "读取 {} 行：新增 {}，更正 {}，撤销 {}，未变 {}，拒收 {}；整文件拒收 {}",
        report.rows,
        report.accepted,
        report.corrected,
        report.revoked,
        report.unchanged,
        report.rejected,
        report.rejected_files
    );
    println!(
        "read {} rows: {} accepted, {} corrected, {} revoked, {} unchanged, {} rejected; {} files refused",
        report.rows,
        report.accepted,
        report.corrected,
        report.revoked,
        report.unchanged,
        report.rejected,
        report.rejected_files
    );
    let errors = report.problems.iter().filter(|p| p.problem.is_error());
    for problem in errors.take(5) {
        println!(
            "  {}:{} {} {} — {}",
            problem.file,
            problem.row,
            problem.problem.field.as_deref().unwrap_or("-"),
            problem.problem.code,
            problem.problem.message_zh
        );
    }
}

pub fn write_report(path: &Path, report: &ImportReport) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut out, report)?;
    std::io::Write::flush(&mut out).with_context(|| format!("writing {}", path.display()))
}
