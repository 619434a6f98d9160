//! The `gongxin` binary on PostgreSQL (`--database-url`): import, verify and serve, in a
//! schema of the test's own, dropped afterwards.
//!
//! The database is `GONGXIN_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Without a server there, the tests print
//! `skipped: postgresql not reachable` and pass, unless `GONGXIN_REQUIRE_POSTGRES` is set.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use gongxin_store::{PostgresStore, Store};
use postgres::{Client, NoTls};

fn gongxin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongxin"))
        .args(args)
        .output()
        .expect("gongxin runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// A schema of its own in the test database, dropped with the value.
struct Schema {
    admin: Client,
    name: String,
    /// The database URL with the schema as the connection's search path.
    url: String,
}

impl Schema {
    fn new(test: &str) -> Option<Schema> {
        let base = std::env::var("GONGXIN_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let mut config: postgres::Config = base.parse().expect("a valid test database URL");
        config.connect_timeout(std::time::Duration::from_secs(3));
        let mut admin = match config.connect(NoTls) {
            Ok(client) => client,
            Err(e) if std::env::var_os("GONGXIN_REQUIRE_POSTGRES").is_some() => {
                panic!("postgresql not reachable at {base} (GONGXIN_REQUIRE_POSTGRES is set): {e}")
            }
            Err(_) => {
                eprintln!("skipped: postgresql not reachable");
                return None;
            }
        };
        let name = format!("gxt_cli_{test}_{}", std::process::id());
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{name}");
        Some(Schema { admin, name, url })
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// A generated file of `records` penalties, in `dir/in`.
fn generated(dir: &Path, records: u32) -> std::path::PathBuf {
    let input = dir.join("in");
    let output = gongxin(&[
        "generate",
        "--subjects",
        "50",
        "--records",
        &records.to_string(),
        "--item",
        "admin_penalty",
        "--bad-per-mille",
        "0",
        "--out",
        path(&input),
    ]);
    assert!(output.status.success());
    input.join("admin_penalty.csv")
}

#[test]
fn import_and_verify_against_postgresql() {
    let Some(schema) = Schema::new("import") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = generated(dir.path(), 300);
    let data = dir.path().join("data");
    let imported = gongxin(&[
        "import",
        "--data-dir",
        path(&data),
        "--database-url",
        &schema.url,
        "--item",
        "admin_penalty",
        path(&file),
    ]);
    assert!(
        imported.status.success(),
        "{}{}",
        stdout(&imported),
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(
        stdout(&imported).contains("新增 300"),
        "{}",
        stdout(&imported)
    );
    // The store is in PostgreSQL; the data directory holds the key, and no database file.
    assert!(!data.join("gongxin.sqlite").exists());
    assert!(data.join("personal-data.key").exists());
    let store = PostgresStore::open(&schema.url).unwrap();
    let counts = store.counts().unwrap();
    assert_eq!((counts.records, counts.events), (300, 300));

    // The variable does what the option does; a second import records nothing.
    let again = Command::new(env!("CARGO_BIN_EXE_gongxin"))
        .args([
            "import",
            "--data-dir",
            path(&data),
            "--item",
            "admin_penalty",
        ])
        .arg(&file)
        .env("GONGXIN_DATABASE_URL", &schema.url)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(stdout(&again).contains("未变 300"), "{}", stdout(&again));

    let verified = gongxin(&[
        "verify",
        "--data-dir",
        path(&data),
        "--database-url",
        &schema.url,
    ]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("intact: 300 events"),
        "{}",
        stdout(&verified)
    );

    // An event edited in SQL behind the platform's back is named.
    let mut raw = Client::connect(&schema.url, NoTls).unwrap();
    raw.execute(
        "UPDATE events SET recorded_at_us = recorded_at_us + 1 WHERE seq = 42",
        &[],
    )
    .unwrap();
    let verified = gongxin(&[
        "verify",
        "--data-dir",
        path(&data),
        "--database-url",
        &schema.url,
    ]);
    assert_eq!(verified.status.code(), Some(1));
    assert!(
        stdout(&verified).contains("event 42"),
        "{}",
        stdout(&verified)
    );
}

#[test]
fn a_database_url_that_is_not_postgresql_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = gongxin(&[
        "verify",
        "--data-dir",
        path(dir.path()),
        "--database-url",
        "mysql://localhost/test",
    ]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("PostgreSQL URL"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `gongxin serve` over PostgreSQL answers from what was imported.
#[test]
fn serve_answers_from_postgresql() {
    let Some(schema) = Schema::new("serve") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = generated(dir.path(), 50);
    let data = dir.path().join("data");
    let imported = gongxin(&[
        "import",
        "--data-dir",
        path(&data),
        "--database-url",
        &schema.url,
        "--item",
        "admin_penalty",
        path(&file),
    ]);
    assert!(imported.status.success(), "{}", stdout(&imported));
    let subject = {
        let store = PostgresStore::open(&schema.url).unwrap();
        store.events_after(0, 1).unwrap().remove(0).subject
    };

    let mut server = Command::new(env!("CARGO_BIN_EXE_gongxin"))
        .args([
            "serve",
            "--data-dir",
            path(&data),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--database-url", &schema.url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            let start = line.find("http://")? + "http://".len();
            let end = start + line[start..].find('/')?;
            Some(line[start..end].to_owned())
        })
        .expect("the server says where it listens");
    let answer = ureq::get(&format!("http://{address}/api/v1/subjects/{subject}"))
        .call()
        .map(|mut response| response.body_mut().read_to_string().unwrap());
    server.kill().unwrap();
    server.wait().unwrap();
    let body = answer.expect("the profile is served");
    assert!(body.contains(&subject), "{body}");
}
