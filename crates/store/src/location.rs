//! Where a platform's store lives, and how connections to it are opened: the one place that
//! names an engine. The command line builds a [`StoreLocation`] from its options, the tests
//! from theirs, and everything after it sees only [`Store`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{PostgresStore, Snapshot, SqliteStore, Store, StoreError};

/// A store connection that can move between threads.
pub type BoxedStore = Box<dyn Store + Send>;

/// Opens a new connection to the platform's store; one per pooled reader and one writer.
pub type StoreFactory = Arc<dyn Fn() -> Result<BoxedStore, StoreError> + Send + Sync>;

/// The engine and place of a platform's store.
#[derive(Clone)]
pub enum StoreLocation {
    /// SQLite, `gongxin.sqlite` in the data directory.
    Sqlite { data_dir: PathBuf },
    /// PostgreSQL at a URL with libpq's parameters (the schema as the connection's search
    /// path, e.g. `?options=-c%20search_path%3Dgongxin`).
    Postgres { url: String },
}

/// The URL may hold a password: shown as the engine only.
impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite { data_dir } => f
                .debug_struct("Sqlite")
                .field("data_dir", data_dir)
                .finish(),
            StoreLocation::Postgres { .. } => f.write_str("Postgres(postgres://…)"),
        }
    }
}

impl StoreLocation {
    /// A new connection, the schema created or migrated as needed.
    ///
    /// # Errors
    /// As [`SqliteStore::open_in_dir`] and [`PostgresStore::open`].
    pub fn open(&self) -> Result<BoxedStore, StoreError> {
        match self {
            StoreLocation::Sqlite { data_dir } => {
                SqliteStore::open_in_dir(data_dir).map(|store| Box::new(store) as BoxedStore)
            }
            StoreLocation::Postgres { url } => {
                PostgresStore::open(url).map(|store| Box::new(store) as BoxedStore)
            }
        }
    }

    /// Opens connections to this location on demand: what the server is given.
    pub fn factory(&self) -> StoreFactory {
        let location = self.clone();
        Arc::new(move || location.open())
    }

    /// Installs the snapshot `from` ([`Store::backup_to`] wrote it) as the store here, after
    /// `verify` has passed on it: a snapshot that does not verify is refused and nothing
    /// changes. A store already here is refused, or with `replace` kept aside (SQLite:
    /// `gongxin.sqlite.before-restore`; PostgreSQL: its tables moved into a schema
    /// `<schema>_before_restore_<time>`).
    ///
    /// # Errors
    /// As [`SqliteStore::restore`] and [`PostgresStore::restore`].
    pub fn restore(&self, from: &Path, replace: bool) -> Result<Snapshot, StoreError> {
        match self {
            StoreLocation::Sqlite { data_dir } => SqliteStore::restore(from, data_dir, replace),
            StoreLocation::Postgres { url } => PostgresStore::restore(from, url, replace),
        }
    }

    /// Where the store is, for messages (never the URL, which may hold a password).
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Sqlite { data_dir } => format!("in {}", data_dir.display()),
            StoreLocation::Postgres { .. } => "in PostgreSQL".to_owned(),
        }
    }
}
