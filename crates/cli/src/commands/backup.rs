//! `gongxin backup` and `gongxin restore`: a consistent snapshot of the store, taken while
//! the server runs, and its installation after `verify` has passed on it.
//!
//! The personal-data key is never in a backup (it is never in the database): keep it, and
//! back it up, apart. The search index is not backed up either: `restore` rebuilds it from
//! the restored store.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use gongxin_store::{Snapshot, SqliteStore};
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
    /// Put the backup in place of an existing store, which is kept beside it as
    /// `gongxin.sqlite.before-restore`.
    #[arg(long)]
    replace: bool,
}

fn sqlite_only(data: &DataArgs) -> Result<()> {
    if data.database_url.is_some() {
        bail!(
            "备份与恢复目前仅支持 SQLite；PostgreSQL 请用 pg_dump / pg_restore / backup and restore support SQLite only for now; for PostgreSQL use pg_dump and pg_restore"
        );
    }
    Ok(())
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
    sqlite_only(&args.data)?;
    let store = SqliteStore::open_in_dir(&args.data.data_dir)
        .with_context(|| format!("opening the store in {}", args.data.data_dir.display()))?;
    let spinner = progress::bar(None, "备份 / backing up", false);
    let snapshot = store
        .backup_to(&args.out)
        .with_context(|| format!("writing the backup {}", args.out.display()))?;
    spinner.finish_and_clear();
    print("backup", &snapshot);
    Ok(ExitCode::SUCCESS)
}

pub fn restore(args: RestoreArgs) -> Result<ExitCode> {
    sqlite_only(&args.data)?;
    let spinner = progress::bar(None, "校验并恢复 / verifying and restoring", false);
    let snapshot = SqliteStore::restore(&args.backup, &args.data.data_dir, args.replace)
        .with_context(|| format!("restoring {}", args.backup.display()))?;
    spinner.finish_and_clear();
    print("restore", &snapshot);
    reindex::run(reindex::ReindexArgs { data: args.data })
}
