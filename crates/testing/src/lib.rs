//! Test support shared by gongxin's crates — a dev-dependency only, so that no library ships
//! test code.
//!
//! For tests against a real PostgreSQL server: the one rule for when such a test runs, and a
//! schema of its own for each.
//!
//! The server is `GONGXIN_TEST_DATABASE_URL` (default [`DEFAULT_URL`]). When nothing answers
//! there, a PostgreSQL test prints `skipped: postgresql not reachable` and passes — unless
//! `GONGXIN_REQUIRE_POSTGRES` is set (as CI sets it), and then it fails.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use postgres::{Client, NoTls};

/// The test database when `GONGXIN_TEST_DATABASE_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The variable that makes an unreachable server a failure rather than a skip.
pub const REQUIRE_VARIABLE: &str = "GONGXIN_REQUIRE_POSTGRES";

/// The URL of the test database.
pub fn database_url() -> String {
    std::env::var("GONGXIN_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A connection to the test database; `None`, having said `skipped: postgresql not
/// reachable`, when it cannot be reached and PostgreSQL is not required.
///
/// # Panics
/// When the server cannot be reached and `GONGXIN_REQUIRE_POSTGRES` is set, or the URL is
/// not valid.
pub fn connect() -> Option<Client> {
    let url = database_url();
    let mut config: postgres::Config = url.parse().expect("a valid GONGXIN_TEST_DATABASE_URL");
    config.connect_timeout(Duration::from_secs(3));
    // The client blocks on a runtime of its own: not on a thread that drives async tasks.
    let connected = std::thread::scope(|scope| {
        scope
            .spawn(|| config.connect(NoTls))
            .join()
            .expect("connecting does not panic")
    });
    match connected {
        Ok(client) => Some(client),
        Err(e) if std::env::var_os(REQUIRE_VARIABLE).is_some() => {
            panic!("postgresql not reachable at {url} ({REQUIRE_VARIABLE} is set): {e}")
        }
        Err(_) => {
            eprintln!("skipped: postgresql not reachable");
            None
        }
    }
}

/// Whether PostgreSQL tests run: `connect`'s rule, for a test that connects later.
pub fn reachable() -> bool {
    connect().is_some()
}

/// A fresh schema in the test database, dropped (with everything in it) with the value.
pub struct TestSchema {
    /// Behind a lock so that the value may be shared between threads (a test server's is).
    admin: Mutex<Client>,
    name: String,
}

impl std::fmt::Debug for TestSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestSchema")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TestSchema {
    /// A new, empty schema named after `label` (lower-case letters, digits and `_`), this
    /// process and a counter, so that tests running at once never share one; `None` as
    /// [`connect`] says.
    ///
    /// # Panics
    /// As [`connect`], and when the schema cannot be created.
    pub fn create(label: &str) -> Option<TestSchema> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let mut admin = connect()?;
        let label: String = label
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' | '_' => c,
                'A'..='Z' => c.to_ascii_lowercase(),
                _ => '_',
            })
            .take(36)
            .collect();
        let name = format!(
            "gxt_{label}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .expect("a test schema");
        Some(TestSchema {
            admin: Mutex::new(admin),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The test database's URL with this schema as the connection's search path: what
    /// `--database-url` takes.
    pub fn url(&self) -> String {
        let base = database_url();
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}options=-c%20search_path%3D{}", self.name)
    }

    /// The connection the schema was made with (its search path is the server's default).
    pub fn admin(&self) -> MutexGuard<'_, Client> {
        self.admin
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new connection with this schema as its search path, as anyone with the database's
    /// password has one.
    ///
    /// # Panics
    /// When it cannot connect.
    pub fn client(&self) -> Client {
        let url = self.url();
        std::thread::scope(|scope| {
            scope
                .spawn(|| Client::connect(&url, NoTls))
                .join()
                .expect("connecting does not panic")
        })
        .expect("a connection to the test schema")
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let admin = self
            .admin
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}
