//! `gongxin generate`: realistic data files in the real layouts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use gongxin_ingest::generate::{GenerateOptions, GeneratedFile, generate};

use crate::config::RuleArgs;
use crate::progress::bar;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of market entities.
    #[arg(long, default_value_t = 1_000)]
    subjects: usize,
    /// Number of records over all items.
    #[arg(long, default_value_t = 10_000)]
    records: usize,
    /// Output directory; one file per catalog item, named after it (admin_penalty.csv …).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Only these items (repeatable); default: all.
    #[arg(long = "item", value_name = "ITEM")]
    items: Vec<String>,
    /// Seed: the same seed gives the same files.
    #[arg(long, default_value_t = 2015)]
    seed: u64,
    /// Deliberately bad rows, per thousand.
    #[arg(long, default_value_t = 10)]
    bad_per_mille: u32,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    let catalog = args.rules.catalog()?;
    let options = GenerateOptions {
        subjects: args.subjects,
        records: args.records,
        seed: args.seed,
        items: args.items,
        bad_per_mille: args.bad_per_mille,
    };
    let files = generate_with_progress(&catalog, &options, &args.out)?;
    for file in files {
        println!(
            "{}\t{} 行 rows\t{} 行故意有误 deliberately bad",
            file.path.display(),
            file.rows,
            file.bad_rows
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn generate_with_progress(
    catalog: &gongxin_core::catalog::Catalog,
    options: &GenerateOptions,
    out: &std::path::Path,
) -> Result<Vec<GeneratedFile>> {
    let progress = bar(Some(options.records as u64), "generate", false);
    let files = generate(catalog, options, out, &mut |done| {
        progress.set_position(done as u64)
    })
    .with_context(|| format!("writing generated files to {}", out.display()))?;
    progress.finish_and_clear();
    Ok(files)
}
