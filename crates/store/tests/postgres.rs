//! The PostgreSQL engine: the conformance suite, what tampering with the database behind the
//! store's back does, schema migrations, and many writers at once.
//!
//! Every test works in a schema of its own, created fresh and dropped afterwards, in the
//! database `GONGXIN_TEST_DATABASE_URL` names (default `postgres://postgres@127.0.0.1:5432/test`).
//! When no server answers there, each test prints `skipped: postgresql not reachable` and
//! passes — unless `GONGXIN_REQUIRE_POSTGRES` is set (as CI sets it), and then it fails
//! (the rule of `gongxin_testing`, which every crate's PostgreSQL tests share).

mod conformance;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use conformance::Harness;
use conformance::fixtures::{corrected, penalty_for, uscc};
use gongxin_core::event::{ChainError, EventKind, case_payload};
use gongxin_core::record::{Change, PreparedRecord, Record, RecordId};
use gongxin_store::{
    Actor, AuditEntry, CaseKind, CaseStep, CheckEntry, PostgresStore, Snapshot, SqliteStore, Store,
    StoreError, Verification,
};
use gongxin_testing::{connect, database_url as url};
use postgres::{Client, NoTls};

/// Each test's schemas (one per `create`), dropped when the harness is.
struct Postgres {
    url: String,
    admin: Client,
    base: String,
    schemas: Vec<String>,
}

impl Postgres {
    fn new(test: &str) -> Option<Self> {
        let admin = connect()?;
        let name: String = test.chars().take(40).collect();
        Some(Postgres {
            url: url(),
            admin,
            base: format!("gxt_{name}_{}", std::process::id()),
            schemas: Vec::new(),
        })
    }

    /// The schema of the last store created.
    fn schema(&self) -> &str {
        self.schemas.last().expect("a store was created")
    }

    /// Another store on the same schema: another writer.
    fn open(&self) -> PostgresStore {
        PostgresStore::open_in_schema(&self.url, self.schema()).expect("the store opens")
    }

    /// A connection to the schema as anyone with the database's password has one. `tamper`
    /// turns triggers and foreign-key checks off, as a superuser can.
    fn raw(&self, tamper: bool) -> Client {
        let mut client = Client::connect(&self.url, NoTls).expect("a raw connection");
        client
            .batch_execute(&format!("SET search_path TO {}", self.schema()))
            .unwrap();
        if tamper {
            client
                .batch_execute("SET session_replication_role = replica")
                .unwrap();
        }
        client
    }
}

impl Harness for Postgres {
    type Store = PostgresStore;

    fn create(&mut self) -> PostgresStore {
        let schema = format!("{}_{}", self.base, self.schemas.len());
        self.admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .unwrap();
        self.schemas.push(schema);
        self.open()
    }

    fn reopen(&mut self, store: PostgresStore) -> PostgresStore {
        drop(store);
        self.open()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        for schema in &self.schemas {
            let _ = self
                .admin
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn postgres(test: &str) -> Option<Postgres> {
    Postgres::new(test)
}

conformance::suite!(postgres);

const ACTOR: Actor<'static> = Actor {
    name: "cli",
    at_us: 1_709_251_200_000_000,
};

fn verify(store: &PostgresStore) -> Verification {
    store.verify(&mut |_| {}).unwrap()
}

/// A store holding five records, one event each.
fn five_records(test: &str) -> Option<(Postgres, PostgresStore, Vec<Record>)> {
    let mut harness = Postgres::new(test)?;
    let mut store = harness.create();
    let records: Vec<Record> = (1..=5)
        .map(|n| penalty_for(n, &format!("厦市监罚〔2024〕{n}号")))
        .collect();
    store.apply_records(&records, &ACTOR).unwrap();
    Some((harness, store, records))
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

/// The server's message of a refused statement.
fn refusal(error: postgres::Error) -> String {
    error
        .as_db_error()
        .map_or_else(|| error.to_string(), |db| db.message().to_owned())
}

#[test]
fn an_event_edited_in_sql_is_named_as_tampered() {
    let Some((harness, store, _)) = five_records("edited_event") else {
        return;
    };
    let edited = harness
        .raw(true)
        .execute(
            "UPDATE events SET payload = replace(payload, '五万元', '五千元') WHERE seq = 3",
            &[],
        )
        .unwrap();
    assert_eq!(edited, 1);
    assert!(matches!(
        verify(&store),
        Verification::Broken(ChainError::Tampered { seq: 3, .. })
    ));
    // Any column the hash covers: the actor, say.
    let (harness, store, _) = five_records("edited_actor").unwrap();
    harness
        .raw(true)
        .execute("UPDATE events SET actor = 'someone' WHERE seq = 4", &[])
        .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::Broken(ChainError::Tampered { seq: 4, .. })
    ));
}

#[test]
fn a_deleted_event_is_a_gap() {
    let Some((harness, store, _)) = five_records("deleted_event") else {
        return;
    };
    harness
        .raw(true)
        .execute("DELETE FROM events WHERE seq = 3", &[])
        .unwrap();
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
    let Some((harness, store, records)) = five_records("edited_row") else {
        return;
    };
    harness
        .raw(true)
        .execute(
            "UPDATE records SET status = 'revoked' WHERE first_seq = 2",
            &[],
        )
        .unwrap();
    assert_mismatch(verify(&store), &records[1], "status");
}

#[test]
fn a_missing_projection_row_is_a_mismatch() {
    let Some((harness, store, records)) = five_records("missing_row") else {
        return;
    };
    harness
        .raw(true)
        .execute("DELETE FROM records WHERE first_seq = 4", &[])
        .unwrap();
    assert_mismatch(verify(&store), &records[3], "no records row");
}

#[test]
fn a_row_whose_head_is_another_records_event_is_a_mismatch() {
    let Some((harness, store, records)) = five_records("foreign_head") else {
        return;
    };
    harness
        .raw(true)
        .execute("UPDATE records SET head_seq = 5 WHERE first_seq = 4", &[])
        .unwrap();
    assert_mismatch(verify(&store), &records[3], "head event 5");
}

#[test]
fn a_case_row_moved_to_another_subject_or_a_dropped_case_is_a_mismatch() {
    let Some((harness, mut store, records)) = five_records("case_row") else {
        return;
    };
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
    let mut raw = harness.raw(true);
    raw.execute("UPDATE cases SET subject = 'X' WHERE id = 'lst_1'", &[])
        .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::ProjectionMismatch { ref reason, .. } if reason.contains("lst_1")
    ));
    raw.execute("DELETE FROM cases WHERE id = 'lst_1'", &[])
        .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::ProjectionMismatch { ref reason, .. } if reason.contains("no cases row")
    ));
}

/// The append-only logs refuse rewrites whoever asks (short of turning the triggers off):
/// updates, deletes and truncation.
#[test]
fn the_append_only_tables_refuse_rewrites() {
    let Some(mut harness) = Postgres::new("append_only") else {
        return;
    };
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
        .append_audit(&AuditEntry {
            seq: 0,
            at_us: ACTOR.at_us,
            key_id: None,
            role: "public".to_owned(),
            unit: None,
            subject: None,
            action: "read_profile".to_owned(),
            target: None,
            purpose: None,
            client: None,
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
    let mut raw = harness.raw(false);
    for (sql, refused) in [
        ("UPDATE checks SET answer = 'x'", "append-only"),
        ("DELETE FROM checks", "append-only"),
        (
            "UPDATE feedback SET outcome = 'not_applicable', reason = 'x'",
            "append-only",
        ),
        ("DELETE FROM feedback", "append-only"),
        ("TRUNCATE feedback", "append-only"),
        ("UPDATE audit_log SET role = 'x'", "append-only"),
        ("DELETE FROM audit_log", "append-only"),
        ("TRUNCATE audit_log", "append-only"),
        ("UPDATE typical_cases SET summary_zh = '改写'", "published"),
        (
            "UPDATE typical_cases SET published = true, published_at_us = 1, title = '改写'",
            "published",
        ),
        ("DELETE FROM typical_cases", "append-only"),
        ("UPDATE attachments SET filename = 'b.pdf'", "append-only"),
        ("DELETE FROM attachments", "append-only"),
        (
            "UPDATE attachment_refs SET case_id = 'obj_2'",
            "append-only",
        ),
        ("DELETE FROM attachment_refs", "append-only"),
    ] {
        let error = refusal(raw.execute(sql, &[]).unwrap_err());
        assert!(error.contains(refused), "{sql}: {error}");
    }
    // Publication alone goes through.
    assert_eq!(
        raw.execute(
            "UPDATE typical_cases SET published = true, published_at_us = 5",
            &[]
        )
        .unwrap(),
        1
    );
    assert_eq!(store.typical_cases(true).unwrap().len(), 1);
    // Someone who turns the guard off and swaps an attachment's content is found out on the
    // next read.
    harness
        .raw(true)
        .execute(
            "UPDATE attachments SET content = convert_to(E'%PDF-1.4\\n%%EOF\\r', 'UTF8')",
            &[],
        )
        .unwrap();
    let read = store.attachment_content(&stored.id);
    assert!(
        matches!(&read, Err(StoreError::Corrupt(m)) if m.contains(&stored.id)),
        "{read:?}"
    );
}

#[test]
fn the_store_refuses_to_append_to_a_log_cut_behind_its_back() {
    let Some((harness, mut store, _)) = five_records("cut_log") else {
        return;
    };
    harness
        .raw(true)
        .execute("DELETE FROM events WHERE seq = 5", &[])
        .unwrap();
    let result = store.apply_records(&[penalty_for(9, "厦市监罚〔2024〕9号")], &ACTOR);
    assert!(
        matches!(result, Err(StoreError::Corrupt(ref m)) if m.contains("event 5")),
        "{result:?}"
    );
    // A store opened afterwards, which committed nothing, refuses too: the head row names
    // an event that is not there.
    let result = harness
        .open()
        .apply_records(&[penalty_for(9, "厦市监罚〔2024〕9号")], &ACTOR);
    assert!(
        matches!(result, Err(StoreError::Corrupt(ref m)) if m.contains("event 5")),
        "{result:?}"
    );
}

/// The `chain_head` row is checked like any projection: moved behind the store's back, it is
/// named by `verify`, and no store appends after it.
#[test]
fn a_moved_chain_head_is_refused_and_named() {
    let Some((harness, mut store, _)) = five_records("moved_head") else {
        return;
    };
    let mut raw = harness.raw(true);
    raw.execute(
        "UPDATE chain_head SET seq = 3, hash = (SELECT hash FROM events WHERE seq = 3)",
        &[],
    )
    .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::ProjectionMismatch { ref reason, .. } if reason.contains("chain_head")
    ));
    // The store remembers committing event 5: appending after event 3 would fork the chain.
    // (Event 4 exists, so the append would also fail on its key.)
    let result = store.apply_records(&[penalty_for(9, "厦市监罚〔2024〕9号")], &ACTOR);
    assert!(result.is_err(), "{result:?}");
    raw.execute(
        "UPDATE chain_head SET seq = 5, hash = decode(repeat('ab', 32), 'hex')",
        &[],
    )
    .unwrap();
    let result = harness
        .open()
        .apply_records(&[penalty_for(9, "厦市监罚〔2024〕9号")], &ACTOR);
    assert!(
        matches!(result, Err(StoreError::Corrupt(ref m)) if m.contains("event 5")),
        "{result:?}"
    );
}

/// A second writer between two batches of the first: the first sees its rename.
#[test]
fn a_second_writer_between_batches_is_seen() {
    let Some(mut harness) = Postgres::new("second_writer") else {
        return;
    };
    let mut first = harness.create();
    let mut second = harness.open();
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
    assert!(matches!(
        verify(&first),
        Verification::Intact { events: 3, .. }
    ));
}

/// A connection the server ended (a restart, a failover, an administrator) is opened again:
/// the call that met it fails, the next one goes through, and the chain goes on.
#[test]
fn a_connection_the_server_ended_is_opened_again() {
    let Some(mut harness) = Postgres::new("reconnect") else {
        return;
    };
    drop(harness.create());
    let name = format!("gxt_reconnect_{}", std::process::id());
    let separator = if harness.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}application_name={name}", harness.url);
    let mut store = PostgresStore::open_in_schema(&url, harness.schema()).unwrap();
    store
        .apply_records(&[penalty_for(1, "厦市监罚〔2024〕1号")], &ACTOR)
        .unwrap();
    let ended: Vec<bool> = harness
        .admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(ended, [true], "the store's connection was ended");
    std::thread::sleep(Duration::from_millis(200));
    // The first call may meet the ended connection; the next ones go through.
    let _ = store.counts();
    assert_eq!(store.counts().unwrap().records, 1);
    store
        .apply_records(&[penalty_for(2, "厦市监罚〔2024〕2号")], &ACTOR)
        .unwrap();
    assert!(matches!(
        verify(&store),
        Verification::Intact { events: 2, .. }
    ));
}

fn applied_versions(client: &mut Client) -> Vec<(i64, String, String)> {
    client
        .query(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

#[test]
fn a_new_schema_gets_the_latest_version_and_reopening_changes_nothing() {
    let Some(mut harness) = Postgres::new("new_schema") else {
        return;
    };
    let store = harness.create();
    let before = applied_versions(&mut harness.raw(false));
    assert_eq!(before.len(), PostgresStore::SCHEMA_VERSION as usize);
    assert_eq!(
        before.last().map(|v| v.0),
        Some(i64::from(PostgresStore::SCHEMA_VERSION))
    );
    let store = harness.reopen(store);
    drop(harness.reopen(store));
    assert_eq!(applied_versions(&mut harness.raw(false)), before);
}

#[test]
fn a_schema_from_a_newer_version_is_refused() {
    let Some(mut harness) = Postgres::new("newer_schema") else {
        return;
    };
    drop(harness.create());
    let newer = PostgresStore::SCHEMA_VERSION + 1;
    harness
        .raw(false)
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_at) \
             VALUES ($1, 'from_the_future', '2030-01-01T00:00:00Z')",
            &[&i64::from(newer)],
        )
        .unwrap();
    let error = PostgresStore::open_in_schema(&harness.url, harness.schema()).unwrap_err();
    assert!(
        matches!(error, StoreError::SchemaTooNew { found, known }
            if found == newer && known == PostgresStore::SCHEMA_VERSION),
        "{error:?}"
    );
}

/// The migrations of both engines are kept in step: the same tables with the same columns,
/// but for the one row PostgreSQL's writers lock.
#[test]
fn both_engines_have_the_same_tables_and_columns() {
    let Some(mut harness) = Postgres::new("same_tables") else {
        return;
    };
    drop(harness.create());
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open_in_dir(dir.path()).unwrap());
    let sqlite = rusqlite::Connection::open(dir.path().join("gongxin.sqlite")).unwrap();
    let mut stmt = sqlite
        .prepare(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .unwrap();
    let lite: BTreeSet<(String, String)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let schema = harness.schema().to_owned();
    let pg: BTreeSet<(String, String)> = harness
        .raw(false)
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = $1 AND table_name <> 'chain_head'",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert!(!lite.is_empty());
    let only_sqlite: Vec<_> = lite.difference(&pg).collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_pg:?}"
    );
}

/// A shared natural key, submitted by every writer with its own content.
fn shared(key: usize, writer: usize) -> Record {
    let record = penalty_for(1_000 + key as u32, &format!("厦市监罚〔2024〕共{key}号"));
    corrected(record, "CF_NR_FK", &writer.to_string())
}

/// A writer's own record.
fn own(writer: usize, batch: usize, n: usize) -> Record {
    let mut record = penalty_for(
        (n % 50) as u32 + 1,
        &format!("厦市监罚〔2024〕{writer}-{batch}-{n}号"),
    );
    record.key.source_unit = format!("厦门市第{writer}执法支队");
    record
}

const WRITERS: usize = 8;
const BATCHES: usize = 10;
const OWN_PER_BATCH: usize = 200;
const SHARED_KEYS: usize = 20;

/// Eight writers, each with a connection of its own, apply batches at once: each its own
/// unit's records, and all of them the same natural keys with their own content. Nothing is
/// lost or recorded twice, every change is one event, the chain is one line (no fork), and
/// the projections are the log's.
#[test]
fn parallel_writers_lose_and_duplicate_nothing() {
    let Some(mut harness) = Postgres::new("parallel_writers") else {
        return;
    };
    drop(harness.create());
    let start = Arc::new(Barrier::new(WRITERS));
    let began = Instant::now();
    let threads: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let mut store = harness.open();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let mut changes: Vec<(RecordId, Change)> = Vec::new();
                for batch in 0..BATCHES {
                    let mut records: Vec<Record> =
                        (0..OWN_PER_BATCH).map(|n| own(writer, batch, n)).collect();
                    // The shared keys spread through the batch, in another order per writer.
                    for key in 0..SHARED_KEYS {
                        let at = (key * 7 + writer * 13) % records.len();
                        records.insert(at, shared((key + writer) % SHARED_KEYS, writer));
                    }
                    let actor = Actor {
                        name: "parallel",
                        at_us: ACTOR.at_us + (writer * 1_000 + batch) as i64,
                    };
                    let applied = store.apply_records(&records, &actor).unwrap();
                    changes.extend(records.iter().map(|r| r.id()).zip(applied));
                }
                changes
            })
        })
        .collect();
    let changes: Vec<(RecordId, Change)> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    eprintln!(
        "{WRITERS} writers, {} records in {:?}",
        changes.len(),
        began.elapsed()
    );
    let store = harness.open();

    let own_records = WRITERS * BATCHES * OWN_PER_BATCH;
    let submitted = changes
        .iter()
        .filter(|(_, c)| *c == Change::Submitted)
        .count();
    assert_eq!(
        submitted,
        own_records + SHARED_KEYS,
        "each record submitted once, whoever came first"
    );
    let events = changes
        .iter()
        .filter(|(_, c)| *c != Change::Unchanged)
        .count() as u64;
    let counts = store.counts().unwrap();
    assert_eq!(counts.records, (own_records + SHARED_KEYS) as u64);
    assert_eq!(counts.events, events, "one event per change reported");
    assert_eq!(store.log_head().unwrap(), events);

    // The log: one line from 1 to the head, each record started once.
    let mut log = Vec::new();
    loop {
        let page = store.events_after(log.len() as u64, 10_000).unwrap();
        if page.is_empty() {
            break;
        }
        log.extend(page);
    }
    assert_eq!(log.len() as u64, events);
    for (at, pair) in log.windows(2).enumerate() {
        assert_eq!(pair[0].seq, at as u64 + 1);
        assert_eq!(
            pair[1].prev_hash, pair[0].hash,
            "no fork at {}",
            pair[1].seq
        );
    }
    let mut starts: HashMap<&str, usize> = HashMap::new();
    for event in &log {
        if event.kind == EventKind::RecordSubmitted {
            *starts.entry(event.record.as_str()).or_default() += 1;
        }
    }
    assert_eq!(starts.len(), own_records + SHARED_KEYS);
    assert!(starts.values().all(|&n| n == 1));

    // Each shared key: its history is every change reported for it, in log order, and its
    // row is its last event.
    let mut per_key: BTreeMap<RecordId, usize> = BTreeMap::new();
    for (id, change) in &changes {
        if *change != Change::Unchanged {
            *per_key.entry(*id).or_default() += 1;
        }
    }
    for key in 0..SHARED_KEYS {
        let id = shared(key, 0).id();
        let history = store.history(&id).unwrap();
        assert_eq!(history.len(), per_key[&id]);
        let stored = store.record(&id).unwrap().unwrap();
        assert_eq!(stored.head_seq, history.last().unwrap().seq);
        assert_eq!(
            stored.record.to_payload(),
            history.last().unwrap().payload,
            "the row is the last event"
        );
    }
    match verify(&store) {
        Verification::Intact { events: n, .. } => assert_eq!(n, events),
        other => panic!("{other:?}"),
    }
}

fn listing_step<'a>(
    case: &'a str,
    event: EventKind,
    subject: &'a str,
    record: RecordId,
    state: &str,
    expected_head: Option<u64>,
) -> CaseStep<'a> {
    CaseStep {
        id: case,
        kind: CaseKind::Listing,
        event,
        subject,
        record,
        open: true,
        due: None,
        payload: case_payload(case, &state, &state),
        expected_head,
        repaired_on: None,
    }
}

/// Officers deciding the same case at once, each on the head they read: one decision is
/// taken, every other is a conflict; the same for opening one case twice.
#[test]
fn concurrent_steps_on_one_case_one_wins() {
    let Some(mut harness) = Postgres::new("concurrent_steps") else {
        return;
    };
    let mut store = harness.create();
    let entry = penalty_for(1, "厦市监信〔2024〕1号");
    let id = entry.id();
    let subject = entry.subject.to_string();
    store
        .apply(&mut std::iter::once(PreparedRecord::new(entry)), &ACTOR)
        .unwrap();
    let (proposed, _) = store
        .append_case(
            &listing_step(
                "lst_1",
                EventKind::ListingProposed,
                &subject,
                id,
                "proposed",
                None,
            ),
            &mut std::iter::empty(),
            &ACTOR,
        )
        .unwrap();
    for (case, event, head) in [
        ("lst_1", EventKind::ListingDecided, Some(proposed)),
        ("lst_2", EventKind::ListingProposed, None),
    ] {
        let start = Arc::new(Barrier::new(WRITERS));
        let threads: Vec<_> = (0..WRITERS)
            .map(|officer| {
                let mut store = harness.open();
                let start = Arc::clone(&start);
                let subject = subject.clone();
                std::thread::spawn(move || {
                    let state = format!("officer {officer}");
                    let step = listing_step(case, event, &subject, id, &state, head);
                    start.wait();
                    store
                        .append_case(&step, &mut std::iter::empty(), &ACTOR)
                        .map(|(seq, _)| seq)
                })
            })
            .collect();
        let outcomes: Vec<Result<u64, StoreError>> = threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect();
        let won: Vec<u64> = outcomes
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .copied()
            .collect();
        assert_eq!(won.len(), 1, "{case}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .filter(|o| o.is_err())
                .all(|o| matches!(o, Err(StoreError::Conflict(_)))),
            "{outcomes:?}"
        );
        let stored = store.case(case).unwrap().unwrap();
        assert_eq!(stored.head_seq, won[0]);
    }
    match verify(&store) {
        Verification::Intact { events, .. } => assert_eq!(events, 4),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Backup and restore.

/// Every table of `schema`, each row as text, sorted: what a restore must reproduce.
fn contents(client: &mut Client, schema: &str) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = $1",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    tables
        .into_iter()
        .map(|table| {
            let rows = client
                .query(
                    &format!("SELECT t::text FROM {schema}.{table} t ORDER BY 1"),
                    &[],
                )
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect();
            (table, rows)
        })
        .collect()
}

/// How many tables `schema` holds (0 for a schema that does not exist).
fn tables_in(client: &mut Client, schema: &str) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = $1",
            &[&schema],
        )
        .unwrap()
        .get(0)
}

fn intact(store: &PostgresStore, snapshot: &Snapshot) -> bool {
    verify(store)
        == Verification::Intact {
            events: snapshot.events,
            head: snapshot.head.clone(),
        }
}

/// Every table, each as the store left it, comes back from a backup restored into another
/// schema: a store that verifies with the backup's head, numbers its appends on from where
/// the backup left them, and extends the chain from its head.
#[test]
fn a_backup_restores_every_table_as_it_was() {
    let Some(mut harness) = Postgres::new("backup_round_trip") else {
        return;
    };
    // The conformance functions leave their stores behind: between them, rows in every table.
    conformance::record_lifecycle(&mut harness);
    conformance::records_found_by_old_code(&mut harness);
    conformance::repairs_mark_their_record(&mut harness);
    conformance::cases_are_steps_in_the_log(&mut harness);
    conformance::keys_are_found_by_secret_digest_and_revoked(&mut harness);
    conformance::the_audit_log_appends_and_filters(&mut harness);
    conformance::subscriptions_and_their_deliveries(&mut harness);
    conformance::feedback_is_reported_once_and_tallied(&mut harness);
    conformance::the_typical_case_register_publishes_once(&mut harness);
    conformance::attachments_are_stored_once_by_content(&mut harness);
    conformance::mails_are_planned_once_per_event_and_party(&mut harness);
    conformance::cached_profiles_hold_until_what_they_read_changes(&mut harness);
    let sources = harness.schemas.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut filled: BTreeSet<String> = BTreeSet::new();
    for (n, source) in sources.iter().enumerate() {
        let before = contents(&mut harness.admin, source);
        filled.extend(
            before
                .iter()
                .filter(|(_, rows)| !rows.is_empty())
                .map(|(table, _)| table.clone()),
        );
        let store = PostgresStore::open_in_schema(&harness.url, source).unwrap();
        let file = dir.path().join(format!("{n}.backup"));
        let taken = store.backup_to(&file).unwrap();
        assert_eq!(taken.events, store.log_head().unwrap());
        assert_eq!(taken.bytes, std::fs::metadata(&file).unwrap().len());
        drop(store);

        let copy = format!("{source}_r");
        harness.schemas.push(copy.clone());
        let restored = PostgresStore::restore_in_schema(&file, &harness.url, &copy, false).unwrap();
        assert_eq!(
            (restored.events, &restored.head),
            (taken.events, &taken.head)
        );
        assert_eq!(contents(&mut harness.admin, &copy), before, "{source}");
        let mut store = PostgresStore::open_in_schema(&harness.url, &copy).unwrap();
        assert!(intact(&store, &taken), "{source}: {:?}", verify(&store));

        // It goes on from there.
        let last_audit: i64 = harness
            .admin
            .query_one(
                &format!("SELECT coalesce(max(seq), 0) FROM {copy}.audit_log"),
                &[],
            )
            .unwrap()
            .get(0);
        let appended = store
            .append_audit(&AuditEntry {
                seq: 0,
                at_us: ACTOR.at_us,
                key_id: None,
                role: "admin".to_owned(),
                unit: None,
                subject: None,
                action: "restored".to_owned(),
                target: None,
                purpose: None,
                client: None,
            })
            .unwrap();
        assert_eq!(appended, last_audit as u64 + 1, "{source}");
        let next = penalty_for(777, &format!("厦市监罚〔2025〕续{n}号"));
        assert_eq!(
            store.apply_records(&[next], &ACTOR).unwrap(),
            [Change::Submitted]
        );
        assert!(
            matches!(verify(&store), Verification::Intact { events, .. } if events == taken.events + 1),
            "{source}"
        );
    }
    let every: BTreeSet<String> = contents(&mut harness.admin, &sources[0])
        .into_keys()
        .collect();
    assert!(every.contains("chain_head") && every.contains("schema_migrations"));
    let never: Vec<&String> = every.difference(&filled).collect();
    assert!(never.is_empty(), "no round trip had rows in {never:?}");
}

/// Backups taken while four writers append are each a prefix of the log: the head they
/// report is the event at their position in the live log, and the restored store is the log
/// up to there, verified.
#[test]
fn a_backup_taken_while_writers_go_on_is_a_prefix_of_the_log() {
    let Some(mut harness) = Postgres::new("backup_under_writes") else {
        return;
    };
    let mut store = harness.create();
    let first: Vec<Record> = (1..=20)
        .map(|n| penalty_for(n, &format!("厦市监罚〔2024〕前{n}号")))
        .collect();
    store.apply_records(&first, &ACTOR).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // The writers stop however the test ends (a panic too), so that the schema can be dropped.
    struct Stop(Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let _stop = Stop(Arc::clone(&stop));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let mut store = harness.open();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut batch = 0;
                while !stop.load(Ordering::SeqCst) {
                    let records: Vec<Record> = (0..50).map(|n| own(writer, batch, n)).collect();
                    store.apply_records(&records, &ACTOR).unwrap();
                    batch += 1;
                }
                batch
            })
        })
        .collect();
    let until_head_passes = |seq: u64| {
        let started = Instant::now();
        while store.log_head().unwrap() <= seq {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the writers stalled"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    until_head_passes(20);
    let dir = tempfile::tempdir().unwrap();
    let mut backups = Vec::new();
    for n in 0..3 {
        let file = dir.path().join(format!("{n}.backup"));
        let taken = store.backup_to(&file).unwrap();
        until_head_passes(taken.events);
        backups.push((file, taken));
    }
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        assert!(
            writer.join().unwrap() > 0,
            "every writer wrote while backups were taken"
        );
    }
    let head = store.log_head().unwrap();
    let log = store.events_after(0, head as usize).unwrap();
    assert!(intact(
        &store,
        &Snapshot {
            path: dir.path().to_owned(),
            bytes: 0,
            events: head,
            head: log.last().unwrap().hash.to_string(),
        }
    ));
    let mut previous = 20;
    for (n, (file, taken)) in backups.iter().enumerate() {
        assert!(
            previous <= taken.events && taken.events < head,
            "backup {n} at {} of {head}",
            taken.events
        );
        previous = taken.events;
        let at = taken.events as usize;
        assert_eq!(taken.head, log[at - 1].hash.to_string(), "backup {n}");
        let copy = format!("{}_r{n}", harness.base);
        harness.schemas.push(copy.clone());
        PostgresStore::restore_in_schema(file, &harness.url, &copy, false).unwrap();
        let restored = PostgresStore::open_in_schema(&harness.url, &copy).unwrap();
        assert!(
            intact(&restored, taken),
            "backup {n}: {:?}",
            verify(&restored)
        );
        let held: Vec<(u64, String)> = restored
            .events_after(0, head as usize)
            .unwrap()
            .iter()
            .map(|e| (e.seq, e.hash.to_string()))
            .collect();
        let expected: Vec<(u64, String)> = log[..at]
            .iter()
            .map(|e| (e.seq, e.hash.to_string()))
            .collect();
        assert_eq!(held, expected, "backup {n}");
        assert_eq!(
            restored.counts().unwrap().records,
            taken.events,
            "one record per event"
        );
    }
}

/// Restoring refuses a schema that holds a store (unless told to replace it, which keeps it
/// aside), a backup whose content does not verify, and a file that was damaged — and a
/// refused restore leaves nothing behind.
#[test]
fn a_restore_refuses_what_does_not_verify_and_leaves_nothing() {
    let Some((mut harness, store, _)) = five_records("restore_refusals") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.backup");
    let taken = store.backup_to(&good).unwrap();
    assert_eq!(taken.events, 5);
    // Never over an existing file.
    let error = store.backup_to(&good).unwrap_err();
    assert!(error.to_string().contains("never overwrites"), "{error}");
    let source_schema = harness.schema().to_owned();
    let source = contents(&mut harness.admin, &source_schema);
    // A backup of a log edited behind the store's back.
    harness
        .raw(true)
        .execute("UPDATE events SET actor = 'someone' WHERE seq = 3", &[])
        .unwrap();
    let edited = dir.path().join("edited.backup");
    store.backup_to(&edited).unwrap();

    let target = format!("{}_t", harness.base);
    let elsewhere = format!("{}_e", harness.base);
    harness.schemas.push(target.clone());
    harness.schemas.push(elsewhere.clone());
    PostgresStore::restore_in_schema(&good, &harness.url, &target, false).unwrap();
    let restored = contents(&mut harness.admin, &target);
    assert_eq!(restored, source);

    // A schema holding a store is refused, and left as it was.
    let error = PostgresStore::restore_in_schema(&good, &harness.url, &target, false).unwrap_err();
    assert!(
        error.to_string().contains("restore into an empty schema"),
        "{error}"
    );
    assert_eq!(contents(&mut harness.admin, &target), restored);

    // What does not verify is refused, and nothing is left of it: the edited log, …
    let refused = |file: &Path, harness: &mut Postgres| {
        let error =
            PostgresStore::restore_in_schema(file, &harness.url, &elsewhere, false).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
        assert_eq!(tables_in(&mut harness.admin, &elsewhere), 0, "{error}");
        error.to_string()
    };
    let why = refused(&edited, &mut harness);
    assert!(
        why.contains("does not verify") && why.contains("Tampered"),
        "{why}"
    );
    // … a byte changed anywhere in the file, …
    let bytes = std::fs::read(&good).unwrap();
    for at in [
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 40,
        bytes.len() - 1,
    ] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x20;
        let file = dir.path().join(format!("damaged-{at}.backup"));
        std::fs::write(&file, &damaged).unwrap();
        let why = refused(&file, &mut harness);
        assert!(why.contains("damaged"), "byte {at}: {why}");
    }
    // … a file cut short or with more after its end, …
    for (name, content) in [
        ("short", bytes[..bytes.len() - 1].to_vec()),
        ("half", bytes[..bytes.len() / 2].to_vec()),
        ("longer", [&bytes[..], b"\0"].concat()),
        ("other", b"SQLite format 3\0 and so on".to_vec()),
    ] {
        let file = dir.path().join(format!("{name}.backup"));
        std::fs::write(&file, content).unwrap();
        let why = refused(&file, &mut harness);
        assert!(why.contains("damaged"), "{name}: {why}");
    }
    // … and a backup of another schema version: older (restore it with the gongxin that
    // took it) or newer.
    let version = PostgresStore::SCHEMA_VERSION;
    let stated = format!("\"schema_version\":{version},");
    let at = bytes
        .windows(stated.len())
        .position(|w| w == stated.as_bytes())
        .expect("the header states the schema version");
    for (other, refusal) in [
        (version - 1, format!("schema version {}", version - 1)),
        (version + 1, "newer than this program".to_owned()),
    ] {
        let restated = format!("\"schema_version\":{other},");
        let file = dir.path().join(format!("version-{other}.backup"));
        let content = [
            &bytes[..at],
            restated.as_bytes(),
            &bytes[at + stated.len()..],
        ]
        .concat();
        std::fs::write(&file, content).unwrap();
        let error =
            PostgresStore::restore_in_schema(&file, &harness.url, &elsewhere, false).unwrap_err();
        assert!(error.to_string().contains(&refusal), "{error}");
        assert_eq!(tables_in(&mut harness.admin, &elsewhere), 0);
    }
    // Over a store with `replace`, a backup that does not verify leaves it in place.
    let error = PostgresStore::restore_in_schema(&edited, &harness.url, &target, true).unwrap_err();
    assert!(error.to_string().contains("does not verify"), "{error}");
    assert_eq!(contents(&mut harness.admin, &target), restored);
    let aside = |harness: &mut Postgres| -> Vec<String> {
        harness
            .admin
            .query(
                "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1",
                &[&format!("{target}_before_restore_%")],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    assert!(aside(&mut harness).is_empty());

    // With `replace`, a good backup takes the store's place, which is kept aside whole.
    let mut later = PostgresStore::open_in_schema(&harness.url, &target).unwrap();
    later
        .apply_records(&[penalty_for(9, "厦市监罚〔2025〕后1号")], &ACTOR)
        .unwrap();
    drop(later);
    let replaced = contents(&mut harness.admin, &target);
    PostgresStore::restore_in_schema(&good, &harness.url, &target, true).unwrap();
    assert_eq!(contents(&mut harness.admin, &target), restored);
    let kept = aside(&mut harness);
    assert_eq!(kept.len(), 1, "{kept:?}");
    harness.schemas.extend(kept.iter().cloned());
    assert_eq!(contents(&mut harness.admin, &kept[0]), replaced);
    let back = PostgresStore::open_in_schema(&harness.url, &target).unwrap();
    assert!(intact(&back, &taken));
}

#[test]
fn refreshed_statistics_let_the_planner_see_what_a_bulk_load_wrote() {
    let Some((pg, mut store, _)) = five_records("refresh_statistics") else {
        return;
    };
    // A table never analysed has no row estimate (-1): the planner then guesses.
    let estimate = |client: &mut Client| -> f32 {
        client
            .query_one(
                "SELECT reltuples FROM pg_class WHERE oid = 'records'::regclass",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let mut raw = pg.raw(false);
    assert_eq!(estimate(&mut raw), -1.0);
    store.refresh_statistics().unwrap();
    assert_eq!(estimate(&mut raw), 5.0);
}
