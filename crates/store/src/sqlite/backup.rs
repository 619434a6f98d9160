//! Backup and restore of a SQLite store: a consistent snapshot taken while the platform runs,
//! and its installation into a data directory after `verify` has passed on it.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{FILE_NAME, SqliteStore, db, read};
use crate::{Store, StoreError, Verification};

/// What a snapshot holds: its log length and head, to compare with the source's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The snapshot file; after a SQLite restore, the database installed from it.
    pub path: PathBuf,
    pub bytes: u64,
    pub events: u64,
    pub head: String,
}

fn snapshot_of(path: &Path) -> Result<Snapshot, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(db(&format!("opening {}", path.display())))?;
    let head = read::chain_head(&conn)?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| StoreError::Database(format!("reading {}: {e}", path.display())))?
        .len();
    Ok(Snapshot {
        path: path.to_owned(),
        bytes,
        events: read::seq(head.seq, "the chain head")?,
        head: head.hash.to_string(),
    })
}

impl SqliteStore {
    /// Writes a consistent snapshot of the whole database to `out` (which must not exist).
    ///
    /// `VACUUM INTO` copies the database as one read transaction sees it: writers (the
    /// server, an import) go on meanwhile in WAL mode, and the snapshot holds every batch
    /// committed before it began and none after — never half of one.
    ///
    /// # Errors
    /// [`StoreError::Database`] when `out` exists or cannot be written.
    pub fn backup_to(&self, out: &Path) -> Result<Snapshot, StoreError> {
        if out.exists() {
            return Err(StoreError::Database(format!(
                "{} exists; a backup never overwrites a file",
                out.display()
            )));
        }
        let target = out
            .to_str()
            .ok_or_else(|| StoreError::Database(format!("{} is not UTF-8", out.display())))?;
        self.conn
            .execute("VACUUM INTO ?1", [target])
            .map_err(db(&format!("writing the snapshot {}", out.display())))?;
        snapshot_of(out)
    }

    /// Installs the snapshot `from` as the store of `data_dir`, after checking its whole
    /// chain and projections: a snapshot that does not verify is refused and nothing changes.
    /// An existing store is kept beside it (`gongxin.sqlite.before-restore`) when `replace` is
    /// set, and refused otherwise.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] naming the first fault when the snapshot does not verify;
    /// [`StoreError::Database`] when the data directory holds a store and `replace` is unset,
    /// or a file cannot be copied.
    pub fn restore(from: &Path, data_dir: &Path, replace: bool) -> Result<Snapshot, StoreError> {
        let io =
            |what: String| move |e: std::io::Error| StoreError::Database(format!("{what}: {e}"));
        let snapshot = snapshot_of(from)?;
        let checked = {
            // Checked on a copy: opening runs the migrations, which must never touch the
            // backup itself.
            let staging = data_dir.join(format!("{FILE_NAME}.restoring"));
            std::fs::create_dir_all(data_dir)
                .map_err(io(format!("creating {}", data_dir.display())))?;
            std::fs::copy(from, &staging).map_err(io(format!("copying {}", from.display())))?;
            let store = SqliteStore::open(&staging)?;
            match store.verify(&mut |_| {})? {
                Verification::Intact { .. } => staging,
                fault => {
                    drop(store);
                    let _ = std::fs::remove_file(&staging);
                    return Err(StoreError::Corrupt(format!(
                        "the backup {} does not verify: {fault:?}",
                        from.display()
                    )));
                }
            }
        };
        let live = data_dir.join(FILE_NAME);
        if live.exists() {
            if !replace {
                let _ = std::fs::remove_file(&checked);
                return Err(StoreError::Database(format!(
                    "{} holds a store; restore with replace to keep it aside and put the backup in its place",
                    data_dir.display()
                )));
            }
            let aside = data_dir.join(format!("{FILE_NAME}.before-restore"));
            std::fs::rename(&live, &aside)
                .map_err(io(format!("moving {} aside", live.display())))?;
        }
        // The old store's WAL and index belong to it, not to the backup.
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(data_dir.join(format!("{FILE_NAME}{suffix}")));
            let _ = std::fs::remove_file(data_dir.join(format!("{FILE_NAME}.restoring{suffix}")));
        }
        std::fs::rename(&checked, &live).map_err(io(format!("installing {}", live.display())))?;
        Ok(Snapshot {
            path: live,
            ..snapshot
        })
    }
}
