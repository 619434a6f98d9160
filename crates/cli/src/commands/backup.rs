//! `gongxin backup` and `gongxin restore`: a consistent snapshot of the store, taken while
//! the server runs, and its installation after `verify` has passed on it — for either engine
//! (SQLite in the data directory, or PostgreSQL with `--database-url`).
//!
//! The personal-data key is never in a backup (it is never in the database): keep it, and
//! back it up, apart. The search index is not backed up either: `restore` rebuilds it from
//! the restored store.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use gongxin_store::{Snapshot, StoreLocation};
use serde_json::json;

use crate::commands::reindex;
use crate::config::DataArgs;
use crate::progress;

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The snapshot file to write (must not exist).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The snapshot `gongxin backup` wrote.
    #[arg(value_name = "FILE")]
    backup: PathBuf,
    /// Put the backup in place of an existing store, which is kept aside: SQLite's as
    /// `gongxin.sqlite.before-restore`, PostgreSQL's tables in a schema
    /// `<schema>_before_restore_<time>`.
    #[arg(long)]
    replace: bool,
}

fn print(action: &str, snapshot: &Snapshot) {
    println!(
        "{}",
        json!({
            "action": action,
            "file": snapshot.path.display().to_string(),
            "bytes": snapshot.bytes,
            "events": snapshot.events,
            "head": snapshot.head,
        })
    );
}

pub fn backup(args: BackupArgs) -> Result<ExitCode> {
    let store = args.data.open_store()?;
    let spinner = progress::bar(None, "备份 / backing up", false);
    let snapshot = store
        .backup_to(&args.out)
        .with_context(|| format!("writing the backup {}", args.out.display()))?;
    spinner.finish_and_clear();
    print("backup", &snapshot);
    Ok(ExitCode::SUCCESS)
}

pub fn restore(args: RestoreArgs) -> Result<ExitCode> {
    let location = args.data.location();
    matching_engine(&args.backup, &location)?;
    let spinner = progress::bar(None, "校验并恢复 / verifying and restoring", false);
    let snapshot = location
        .restore(&args.backup, args.replace)
        .with_context(|| format!("restoring {}", args.backup.display()))?;
    spinner.finish_and_clear();
    print("restore", &snapshot);
    reindex::run(reindex::ReindexArgs { data: args.data })
}

/// A backup of one engine cannot be restored into the other: said plainly, before either
/// engine reads the file as its own.
fn matching_engine(backup: &Path, location: &StoreLocation) -> Result<()> {
    let mut start = [0_u8; 25];
    let read = std::fs::File::open(backup)
        .and_then(|mut file| file.read(&mut start))
        .with_context(|| format!("reading {}", backup.display()))?;
    let start = &start[..read];
    let sqlite = start.starts_with(b"SQLite format 3\0");
    let postgres = start.starts_with(b"gongxin-postgresql-backup");
    match location {
        StoreLocation::Postgres { .. } if sqlite => bail!(
            "{} 是 SQLite 备份，恢复时不要给 --database-url / is a SQLite backup: restore it without --database-url",
            backup.display()
        ),
        StoreLocation::Sqlite { .. } if postgres => bail!(
            "{} 是 PostgreSQL 备份，恢复时请给 --database-url / is a PostgreSQL backup: restore it with --database-url",
            backup.display()
        ),
        _ => Ok(()),
    }
}
