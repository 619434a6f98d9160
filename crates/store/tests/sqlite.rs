//! The SQLite engine: the conformance suite, plus what only this engine can show — tampering
//! with the file behind the store's back, and schema migrations.

mod conformance;

use std::path::{Path, PathBuf};

use conformance::Harness;
use conformance::fixtures::{penalty_for, uscc};
use gongxin_core::event::ChainError;
use gongxin_core::event::{EventKind, case_payload};
use gongxin_core::record::Record;
use gongxin_store::{
    Actor, CaseKind, CaseStep, CheckEntry, SqliteStore, Store, StoreError, Verification,
};
use rusqlite::Connection;
use tempfile::TempDir;

/// Each test gets its own directory, removed when the harness is dropped.
struct Sqlite {
    dir: TempDir,
}

impl Sqlite {
    fn new() -> Self {
        Sqlite {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("gongxin.sqlite")
    }
}

impl Harness for Sqlite {
    type Store = SqliteStore;

    fn create(&mut self) -> SqliteStore {
        SqliteStore::open_in_dir(self.dir.path()).expect("a new store opens")
    }

    fn reopen(&mut self, store: SqliteStore) -> SqliteStore {
        drop(store);
        SqliteStore::open_in_dir(self.dir.path()).expect("the store reopens")
    }
}

/// Every test of the conformance suite (the list is in `conformance/mod.rs`, shared with the
/// other engines), each in a directory of its own.
fn sqlite(_test: &str) -> Option<Sqlite> {
    Some(Sqlite::new())
}

conformance::suite!(sqlite);

const ACTOR: Actor<'static> = Actor {
    name: "cli",
    at_us: 1_709_251_200_000_000,
};

/// A store holding five records, one event each, and a raw connection to the same file.
fn five_records() -> (Sqlite, SqliteStore, Vec<Record>, Connection) {
    let mut harness = Sqlite::new();
    let mut store = harness.create();
    let records: Vec<Record> = (1..=5)
        .map(|n| penalty_for(n, &format!("厦市监罚〔2024〕{n}号")))
        .collect();
    store.apply_records(&records, &ACTOR).unwrap();
    let raw = Connection::open(harness.file()).unwrap();
    // The schema's foreign keys stop a careless delete; someone tampering turns them off.
    raw.pragma_update(None, "foreign_keys", false).unwrap();
    (harness, store, records, raw)
}

fn verify(store: &SqliteStore) -> Verification {
    store.verify(&mut |_| {}).unwrap()
}

fn assert_mismatch(verification: Verification, expected_record: &Record, reason_part: &str) {
    match verification {
        Verification::ProjectionMismatch { record, reason } => {
            assert_eq!(record, expected_record.id().to_string());
            assert!(reason.contains(reason_part), "{reason}");
        }
        other => panic!("expected a projection mismatch, got {other:?}"),
    }
}

#[test]
fn an_edited_event_payload_is_named_as_tampered() {
    let (_harness, store, _, raw) = five_records();
    let edited = raw
        .execute(
            "UPDATE events SET payload = replace(payload, '五万元', '五千元') WHERE seq = 3",
            [],
        )
        .unwrap();
    assert_eq!(edited, 1);
    assert!(matches!(
        verify(&store),
        Verification::Broken(ChainError::Tampered { seq: 3, .. })
    ));
}

#[test]
fn a_deleted_event_is_a_gap() {
    let (_harness, store, _, raw) = five_records();
    raw.execute("DELETE FROM events WHERE seq = 3", []).unwrap();
    assert_eq!(
        verify(&store),
        Verification::Broken(ChainError::Gap {
            seq: 4,
            expected: 3
        })
    );
}

#[test]
fn an_edited_projection_row_is_a_mismatch() {
    let (_harness, store, records, raw) = five_records();
    raw.execute(
        "UPDATE records SET status = 'revoked' WHERE first_seq = 2",
        [],
    )
    .unwrap();
    assert_mismatch(verify(&store), &records[1], "status");
}

#[test]
fn a_missing_projection_row_is_a_mismatch() {
    let (_harness, store, records, raw) = five_records();
    raw.execute("DELETE FROM records WHERE first_seq = 4", [])
        .unwrap();
    assert_mismatch(verify(&store), &records[3], "no records row");
}

#[test]
fn a_row_whose_head_is_another_records_event_is_a_mismatch() {
    let (_harness, store, records, raw) = five_records();
    // Row 4 now claims event 5, which is about record 5, as its head.
    raw.execute("UPDATE records SET head_seq = 5 WHERE first_seq = 4", [])
        .unwrap();
    assert_mismatch(verify(&store), &records[3], "head event 5");
}

#[test]
fn a_case_row_moved_to_another_subject_or_a_dropped_case_is_a_mismatch() {
    let (_harness, mut store, records, raw) = five_records();
    let id = records[0].id();
    let subject = records[0].subject.to_string();
    store
        .append_case(
            &CaseStep {
                id: "lst_1",
                kind: CaseKind::Listing,
                event: EventKind::ListingProposed,
                subject: &subject,
                record: id,
                open: true,
                due: None,
                payload: case_payload("lst_1", &"proposed", &"proposed"),
                expected_head: None,
                repaired_on: None,
            },
            &mut std::iter::empty(),
            &ACTOR,
        )
        .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::Intact { events: 6, .. }
    ));
    raw.execute("UPDATE cases SET subject = 'X' WHERE id = 'lst_1'", [])
        .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::ProjectionMismatch { ref reason, .. } if reason.contains("lst_1")
    ));
    raw.execute("DELETE FROM cases WHERE id = 'lst_1'", [])
        .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::ProjectionMismatch { ref reason, .. } if reason.contains("no cases row")
    ));
}

#[test]
fn the_check_log_refuses_edits_and_deletes() {
    let (_harness, mut store, _, raw) = five_records();
    store
        .append_check(&CheckEntry {
            receipt: "ck_1".to_owned(),
            at_us: 1,
            key_id: None,
            unit: None,
            subject: None,
            scenario: "bidding".to_owned(),
            purpose: "test".to_owned(),
            log_seq: 5,
            measures_version: "1".to_owned(),
            request: "{}".to_owned(),
            answer: "{}".to_owned(),
        })
        .unwrap();
    assert!(raw.execute("UPDATE checks SET answer = 'x'", []).is_err());
    assert!(raw.execute("DELETE FROM checks", []).is_err());
}

#[test]
fn the_store_refuses_to_append_to_a_log_cut_behind_its_back() {
    let (_harness, mut store, _, raw) = five_records();
    raw.execute("DELETE FROM events WHERE seq = 5", []).unwrap();
    let result = store.apply_records(&[penalty_for(9, "厦市监罚〔2024〕9号")], &ACTOR);
    assert!(
        matches!(result, Err(StoreError::Corrupt(ref m)) if m.contains("event 5")),
        "{result:?}"
    );
}

/// A store remembers what it learned about subjects between its batches; a batch another
/// writer committed in between must make it look again, or it would miss a rename.
#[test]
fn a_second_writer_between_batches_is_seen() {
    let mut harness = Sqlite::new();
    let mut first = harness.create();
    let mut second = SqliteStore::open(&harness.file()).unwrap();
    let named = |name: &str, document_no: &str| {
        let mut record = penalty_for(1, document_no);
        record.subject_name = name.to_owned();
        record
    };
    first
        .apply_records(&[named("甲公司", "厦市监罚〔2024〕1号")], &ACTOR)
        .unwrap();
    second
        .apply_records(&[named("乙公司", "厦市监罚〔2024〕2号")], &ACTOR)
        .unwrap();
    first
        .apply_records(&[named("甲公司", "厦市监罚〔2024〕3号")], &ACTOR)
        .unwrap();
    let subject = first.subject(uscc(1).as_str()).unwrap().unwrap();
    assert_eq!(subject.name, "甲公司");
    assert_eq!(subject.names, ["甲公司", "乙公司"]);
    assert!(matches!(verify(&first), Verification::Intact { .. }));
}

fn schema_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn a_new_database_gets_the_latest_schema() {
    let harness = Sqlite::new();
    let nested = harness.dir.path().join("a").join("b");
    drop(SqliteStore::open_in_dir(&nested).unwrap());
    let file = nested.join("gongxin.sqlite");
    assert_eq!(
        schema_version(&file),
        i64::from(SqliteStore::SCHEMA_VERSION)
    );
    let journal: String = Connection::open(&file)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal", "WAL mode is persistent in the file");
}

#[test]
fn reopening_an_up_to_date_database_changes_nothing() {
    let mut harness = Sqlite::new();
    let store = harness.create();
    let applied = |path: &Path| -> Vec<(i64, String, String)> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let before = applied(&harness.file());
    let store = harness.reopen(store);
    drop(harness.reopen(store));
    assert_eq!(applied(&harness.file()), before);
    assert_eq!(before.len(), SqliteStore::SCHEMA_VERSION as usize);
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let mut harness = Sqlite::new();
    drop(harness.create());
    let newer = SqliteStore::SCHEMA_VERSION + 1;
    Connection::open(harness.file())
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_at) \
             VALUES (?1, 'from_the_future', '2030-01-01T00:00:00Z')",
            [newer],
        )
        .unwrap();
    let error = SqliteStore::open(&harness.file()).unwrap_err();
    assert!(
        matches!(error, StoreError::SchemaTooNew { found, known }
            if found == newer && known == SqliteStore::SCHEMA_VERSION),
        "{error:?}"
    );
}

/// The build raises SQLite's 2 GB cap on the memory map (`.cargo/config.toml`): without it
/// the store's `mmap_size` is silently cut and large files are read a page per system call.
#[test]
fn the_build_maps_files_past_two_gigabytes() {
    let harness = Sqlite::new();
    let conn = Connection::open(harness.file()).unwrap();
    let mapped: i64 = conn
        .pragma_update_and_check(None, "mmap_size", 1_i64 << 36, |row| row.get(0))
        .unwrap();
    assert_eq!(mapped, 1 << 36);
}

/// Feedback and the typical-case register refuse to be rewritten, whoever asks: the engine's
/// triggers, not the store's good manners.
#[test]
fn feedback_and_the_register_refuse_rewrites_behind_the_stores_back() {
    let mut harness = Sqlite::new();
    let mut store = harness.create();
    store
        .append_check(&CheckEntry {
            receipt: "ck_1".to_owned(),
            at_us: ACTOR.at_us,
            key_id: None,
            unit: Some("11350200MB0000000X".to_owned()),
            subject: Some(uscc(1).to_string()),
            scenario: "bidding".to_owned(),
            purpose: "招标资格审查".to_owned(),
            log_seq: 0,
            measures_version: "1".to_owned(),
            request: "{}".to_owned(),
            answer: r#"{"measures":[{"id":"restrict","suspended":false}]}"#.to_owned(),
        })
        .unwrap();
    store
        .append_feedback(&gongxin_store::Feedback {
            seq: 0,
            receipt: "ck_1".to_owned(),
            measure: "restrict".to_owned(),
            outcome: gongxin_store::FeedbackOutcome::Applied,
            reason: None,
            unit: "11350200MB0000000X".to_owned(),
            subject: Some(uscc(1).to_string()),
            key_id: None,
            at_us: ACTOR.at_us,
        })
        .unwrap();
    store
        .add_typical_case(&gongxin_store::TypicalCase {
            id: "tc_1".to_owned(),
            title: "典型案例".to_owned(),
            subject: uscc(1).to_string(),
            subject_name: "厦门市第1贸易有限公司".to_owned(),
            records: Vec::new(),
            cases: Vec::new(),
            summary_zh: "摘要".to_owned(),
            published: false,
            published_at_us: None,
            created_at_us: ACTOR.at_us,
            created_by: "admin".to_owned(),
        })
        .unwrap();
    let raw = Connection::open(harness.file()).unwrap();
    for (sql, refusal) in [
        (
            "UPDATE feedback SET outcome = 'not_applicable', reason = 'x'",
            "append-only",
        ),
        ("DELETE FROM feedback", "append-only"),
        ("UPDATE typical_cases SET summary_zh = '改写'", "published"),
        (
            "UPDATE typical_cases SET published = 1, published_at_us = 1, title = '改写'",
            "published",
        ),
        ("DELETE FROM typical_cases", "append-only"),
    ] {
        let error = raw.execute(sql, []).unwrap_err().to_string();
        assert!(error.contains(refusal), "{sql}: {error}");
    }
    // Publication alone goes through.
    assert_eq!(
        raw.execute(
            "UPDATE typical_cases SET published = 1, published_at_us = 5",
            []
        )
        .unwrap(),
        1
    );
    assert_eq!(store.typical_cases(true).unwrap().len(), 1);
}

#[test]
fn attachments_refuse_rewrites_and_a_changed_content_is_named() {
    let mut harness = Sqlite::new();
    let mut store = harness.create();
    let content = b"%PDF-1.4\n%%EOF\n";
    let stored = store
        .add_attachment(&gongxin_store::NewAttachment {
            filename: "a.pdf",
            media_type: "application/pdf",
            uploaded_at_us: 1,
            uploader: "public",
            content,
        })
        .unwrap();
    store
        .reference_attachments(
            "obj_1",
            "91350200MA2Y0000XX",
            std::slice::from_ref(&stored.id),
            2,
        )
        .unwrap();
    let raw = Connection::open(harness.file()).unwrap();
    for sql in [
        "UPDATE attachments SET filename = 'b.pdf'",
        "DELETE FROM attachments",
        "UPDATE attachment_refs SET case_id = 'obj_2'",
        "DELETE FROM attachment_refs",
    ] {
        let error = raw.execute(sql, []).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    // Someone who drops the guard and swaps the content is found out on the next read.
    raw.execute_batch(
        "DROP TRIGGER attachments_no_update;
         UPDATE attachments SET content = CAST('%PDF-1.4\n%%EOF\r' AS BLOB);",
    )
    .unwrap();
    let read = store.attachment_content(&stored.id);
    assert!(
        matches!(&read, Err(StoreError::Corrupt(m)) if m.contains(&stored.id)),
        "{read:?}"
    );
}

#[test]
fn the_floor_copy_of_an_import_is_the_same_store() {
    let (harness, store, _records, _raw) = five_records();
    let source = store.verify(&mut |_| {}).unwrap();
    let floor = Sqlite::new();
    let mut copy = SqliteStore::open_in_dir(floor.dir.path()).unwrap();
    // Batches of two events: three transactions, the last one short.
    copy.copy_imported_rows(harness.dir.path(), 2).unwrap();
    assert_eq!(verify(&copy), source);
    assert_eq!(copy.counts().unwrap(), store.counts().unwrap());
    assert_eq!(
        copy.subject(uscc(3).as_ref()).unwrap(),
        store.subject(uscc(3).as_ref()).unwrap()
    );
    // Only into an empty store.
    assert!(matches!(
        copy.copy_imported_rows(harness.dir.path(), 2),
        Err(StoreError::Corrupt(_))
    ));
}
