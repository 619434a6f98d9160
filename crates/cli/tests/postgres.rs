//! The `gongxin` binary on PostgreSQL (`--database-url`): import, verify and serve, in a
//! schema of the test's own, dropped afterwards.
//!
//! The database is `GONGXIN_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Without a server there, the tests print
//! `skipped: postgresql not reachable` and pass, unless `GONGXIN_REQUIRE_POSTGRES` is set.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{gongxin, path, stdout};
use gongxin_store::{PostgresStore, Store};
use gongxin_testing::TestSchema;
use postgres::{Client, NoTls};

/// Imports a generated file of `records` penalties (about 50 subjects) into the store at
/// `url`, with `dir/data` as the data directory: the data directory, the file and what the
/// import printed.
fn imported(dir: &Path, url: &str, records: u32) -> (PathBuf, PathBuf, String) {
    let file = common::generated(&dir.join("in"), "admin_penalty", 50, records);
    let data = dir.join("data");
    let imported = gongxin(&[
        "import",
        "--data-dir",
        path(&data),
        "--database-url",
        url,
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
    (data, file, stdout(&imported))
}

#[test]
fn import_and_verify_against_postgresql() {
    let Some(schema) = TestSchema::create("cli_import") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (data, file, printed) = imported(dir.path(), &schema.url(), 300);
    assert!(printed.contains("新增 300"), "{printed}");
    // The store is in PostgreSQL; the data directory holds the key, and no database file.
    assert!(!data.join("gongxin.sqlite").exists());
    assert!(data.join("personal-data.key").exists());
    let store = PostgresStore::open(&schema.url()).unwrap();
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
        .env("GONGXIN_DATABASE_URL", schema.url())
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(stdout(&again).contains("未变 300"), "{}", stdout(&again));

    let verified = gongxin(&[
        "verify",
        "--data-dir",
        path(&data),
        "--database-url",
        &schema.url(),
    ]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("intact: 300 events"),
        "{}",
        stdout(&verified)
    );

    // An event edited in SQL behind the platform's back is named.
    let mut raw = Client::connect(&schema.url(), NoTls).unwrap();
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
        &schema.url(),
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
    let Some(schema) = TestSchema::create("cli_serve") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (data, _, _) = imported(dir.path(), &schema.url(), 50);
    let subject = {
        let store = PostgresStore::open(&schema.url()).unwrap();
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
        .args(["--database-url", &schema.url()])
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

fn events_in(url: &str) -> u64 {
    PostgresStore::open(url).unwrap().log_head().unwrap()
}

/// Polls until the store at `url` holds more than `seq` events; panics after a minute.
fn until_more_than(url: &str, seq: u64) {
    let started = std::time::Instant::now();
    while events_in(url) <= seq {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no event after {seq} arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `gongxin backup` of a PostgreSQL store while an import goes on, restored by `gongxin
/// restore` into another schema: `gongxin verify` passes there with the backup's head, which
/// is the live log's event at the backup's position.
#[test]
fn a_backup_taken_while_importing_restores_into_another_schema_that_verifies() {
    let Some(source) = TestSchema::create("cli_backup") else {
        return;
    };
    let copy = TestSchema::create("cli_restored").expect("reachable a moment ago");
    let third = TestSchema::create("cli_refused").expect("reachable a moment ago");
    let dir = tempfile::tempdir().unwrap();
    let (data, _, _) = imported(dir.path(), &source.url(), 300);
    let more = dir.path().join("more");
    common::generated(&more, "admin_license", 2000, 20000);

    // An import in small batches goes on while the backup is taken.
    let mut import = Command::new(env!("CARGO_BIN_EXE_gongxin"))
        .args([
            "import",
            "--data-dir",
            path(&data),
            "--item",
            "admin_license",
        ])
        .args(["--batch-rows", "100", "--database-url", &source.url()])
        .arg(more.join("admin_license.csv"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    until_more_than(&source.url(), 300);
    let snapshot = dir.path().join("gongxin.backup");
    let backup = gongxin(&[
        "backup",
        "--data-dir",
        path(&data),
        "--database-url",
        &source.url(),
        "--out",
        path(&snapshot),
    ]);
    assert!(
        backup.status.success(),
        "{}{}",
        stdout(&backup),
        String::from_utf8_lossy(&backup.stderr)
    );
    let taken: serde_json::Value = serde_json::from_str(stdout(&backup).trim()).unwrap();
    let events = taken["events"].as_u64().unwrap();
    let head = taken["head"].as_str().unwrap().to_owned();
    assert!(events > 300, "{taken}");
    // The import went on after the snapshot.
    until_more_than(&source.url(), events);
    assert!(import.wait().unwrap().success());
    let live = PostgresStore::open(&source.url()).unwrap();
    assert!(live.log_head().unwrap() > events);
    assert_eq!(
        live.events_after(events - 1, 1).unwrap()[0]
            .hash
            .to_string(),
        head,
        "the backup's head is the live log's event at its position"
    );
    // Never over an existing file.
    let again = gongxin(&[
        "backup",
        "--data-dir",
        path(&data),
        "--database-url",
        &source.url(),
        "--out",
        path(&snapshot),
    ]);
    assert!(!again.status.success());

    // Restored into another schema, with a data directory of its own: it verifies, with the
    // backup's head, and its search index is rebuilt.
    let restored_data = dir.path().join("restored");
    let restore = gongxin(&[
        "restore",
        "--data-dir",
        path(&restored_data),
        "--database-url",
        &copy.url(),
        path(&snapshot),
    ]);
    assert!(
        restore.status.success(),
        "{}{}",
        stdout(&restore),
        String::from_utf8_lossy(&restore.stderr)
    );
    assert!(
        stdout(&restore).contains("search index rebuilt"),
        "{}",
        stdout(&restore)
    );
    let verify = gongxin(&[
        "verify",
        "--data-dir",
        path(&restored_data),
        "--database-url",
        &copy.url(),
    ]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    assert!(
        stdout(&verify).contains(&format!("intact: {events} events, chain head {head}")),
        "{}",
        stdout(&verify)
    );
    assert_eq!(events_in(&copy.url()), events);

    // A schema holding a store is replaced only when asked, and then kept aside.
    let refused = gongxin(&[
        "restore",
        "--data-dir",
        path(&restored_data),
        "--database-url",
        &copy.url(),
        path(&snapshot),
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("restore into an empty schema"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let replaced = gongxin(&[
        "restore",
        "--data-dir",
        path(&restored_data),
        "--database-url",
        &copy.url(),
        "--replace",
        path(&snapshot),
    ]);
    assert!(replaced.status.success(), "{}", stdout(&replaced));
    let aside: Vec<String> = copy
        .admin()
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1",
            &[&format!("{}_before_restore_%", copy.name())],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept: i64 = copy
        .admin()
        .query_one(&format!("SELECT count(*) FROM {}.events", aside[0]), &[])
        .unwrap()
        .get(0);
    copy.admin()
        .batch_execute(&format!("DROP SCHEMA {} CASCADE", aside[0]))
        .unwrap();
    assert_eq!(kept as u64, events);

    // A PostgreSQL backup is not a SQLite one.
    let wrong = gongxin(&[
        "restore",
        "--data-dir",
        path(&dir.path().join("sqlite")),
        path(&snapshot),
    ]);
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("is a PostgreSQL backup"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );

    // A backup of a log edited behind the platform's back is refused, and nothing is
    // restored.
    source
        .client()
        .execute("UPDATE events SET actor = 'someone' WHERE seq = 10", &[])
        .unwrap();
    let tampered = dir.path().join("tampered.backup");
    let backup = gongxin(&[
        "backup",
        "--data-dir",
        path(&data),
        "--database-url",
        &source.url(),
        "--out",
        path(&tampered),
    ]);
    assert!(backup.status.success());
    let refused = gongxin(&[
        "restore",
        "--data-dir",
        path(&dir.path().join("elsewhere")),
        "--database-url",
        &third.url(),
        path(&tampered),
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does not verify"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let tables: i64 = third
        .admin()
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1",
            &[&third.name()],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
}

#[test]
fn a_row_with_a_nul_character_is_refused_and_the_others_are_stored() {
    let Some(schema) = TestSchema::create("cli_nul") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = common::generated(&dir.path().join("in"), "admin_penalty", 5, 20);
    // A broken export: a NUL inside one row's document number, which PostgreSQL cannot
    // store at all.
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let broken = lines[3].replacen('〔', "〔\u{0}", 1);
    assert_ne!(broken, lines[3], "the row has a document number");
    lines[3] = &broken;
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let report = dir.path().join("report.json");
    let imported = gongxin(&[
        "import",
        "--data-dir",
        path(&dir.path().join("data")),
        "--database-url",
        &schema.url(),
        "--item",
        "admin_penalty",
        "--report",
        path(&report),
        path(&file),
    ]);
    assert!(imported.status.success(), "{}", stdout(&imported));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        (report["accepted"].as_u64(), report["rejected"].as_u64()),
        (Some(19), Some(1))
    );
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "control_character" && p["row"] == 4),
        "{report}"
    );
    let store = PostgresStore::open(&schema.url()).unwrap();
    assert_eq!(store.counts().unwrap().records, 19);
}
