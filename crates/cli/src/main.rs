//! `gongxin`: the command line of the public credit information platform.
//!
//! A thin layer: it parses arguments, loads configuration from files, reads the clock, draws
//! progress bars and prints results. Every rule lives in the library crates.

// The workspace forbids printing in libraries; printing results is this program's job.
#![allow(clippy::print_stdout)]

mod commands;
mod config;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// An import allocates on its reader thread what its writer thread frees; glibc's allocator
/// spent a sixth of an import's time on that, mimalloc a fraction of it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// gongxin (公信): public credit information platform for market entities.
#[derive(Debug, Parser)]
#[command(name = "gongxin", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate and explain codes: USCC, organisation codes, registration numbers.
    #[command(subcommand)]
    Code(commands::code::CodeCommand),
    /// Import department files (CSV, XLSX, JSON lines) for one catalog item.
    Import(commands::import::ImportArgs),
    /// Re-check the whole event chain and the records derived from it.
    Verify(commands::verify::VerifyArgs),
    /// Show what the platform holds about one subject (by USCC or old code), as JSON.
    Subject(commands::subject::SubjectArgs),
    /// Write realistic generated data files in the real layouts, one per catalog item.
    Generate(commands::generate::GenerateArgs),
    /// Generate a demo data set, import it and verify it: the whole pipeline in one command.
    Demo(commands::demo::DemoArgs),
    /// Print the catalog: items, legal bases, scopes and fields.
    Catalog(commands::catalog::CatalogArgs),
    /// Serve the API and the public portal over a data directory.
    Serve(commands::serve::ServeArgs),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(commands::keys::KeysCommand),
    /// Check a file of applicants in one scenario (应查必查): one result row per applicant.
    Screen(commands::screen::ScreenArgs),
    /// Rebuild the search index from the store (stop the server first).
    Reindex(commands::reindex::ReindexArgs),
    /// Pull a peer node's records into this node (federation), once or following.
    Federate(commands::federate::FederateArgs),
    /// Write a consistent snapshot of the store while the platform runs.
    Backup(commands::backup::BackupArgs),
    /// Verify a snapshot and install it as the store, then rebuild the search index.
    Restore(commands::backup::RestoreArgs),
    /// Measure the platform against plain tools on the same work.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Code(command) => commands::code::run(command),
        Command::Import(args) => commands::import::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Subject(args) => commands::subject::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Catalog(args) => commands::catalog::run(args),
        Command::Bench(command) => commands::bench::run(command),
        Command::Serve(args) => commands::serve::run(args),
        Command::Keys(command) => commands::keys::run(command),
        Command::Reindex(args) => commands::reindex::run(args),
        Command::Screen(args) => commands::screen::run(args),
        Command::Federate(args) => commands::federate::run(args),
        Command::Backup(args) => commands::backup::backup(args),
        Command::Restore(args) => commands::backup::restore(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("错误 / error: {error:#}");
            ExitCode::from(2)
        }
    }
}
