//! `gongxin code validate`: one JSON object per code, for people and for scripts.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use crate::config::RuleArgs;

#[derive(Debug, Subcommand)]
pub enum CodeCommand {
    /// Validate codes given as arguments or in a file; print one JSON object per line with
    /// `input`, `code`, `kind`, `valid`, `errors`, `warnings` and `parts`. Exits with 1 when
    /// any code is invalid.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Codes to validate (USCC, organisation code or registration number).
    #[arg(value_name = "CODE", required_unless_present = "file")]
    codes: Vec<String>,
    /// A file with one code per line (`-` for standard input); blank lines and lines starting
    /// with `#` are skipped.
    #[arg(long, short, value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(command: CodeCommand) -> Result<ExitCode> {
    let CodeCommand::Validate(args) = command;
    let whitelist = args.rules.whitelist()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_valid = true;
    let mut validate = |input: &str, out: &mut dyn Write| -> Result<()> {
        let analysis = gongxin_codes::analyse(input, &whitelist);
        all_valid &= analysis.valid;
        serde_json::to_writer(&mut *out, &analysis)?;
        writeln!(out)?;
        Ok(())
    };
    for code in &args.codes {
        validate(code, &mut out)?;
    }
    if let Some(path) = &args.file {
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            let file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            Box::new(BufReader::new(file))
        };
        for (number, line) in reader.lines().enumerate() {
            let line = line.with_context(|| {
                format!("{}: line {} is not UTF-8 text", path.display(), number + 1)
            })?;
            let line = line.trim_start_matches('\u{feff}');
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                validate(line, &mut out)?;
            }
        }
    }
    out.flush()?;
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
