//! The change feed and webhooks under concurrent writes, on SQLite and on PostgreSQL.
//!
//! Writers append records at once — some through the API, some through store connections of
//! their own, as `gongxin import` in other processes does — while readers page through
//! `GET /api/v1/feed` from cursor 0 and a department's webhook subscription is told. Each
//! reader must see every event exactly once and in order: a page is the whole log after its
//! cursor up to `next` (a reader who sees every event never meets a gap, so no gap can fill
//! in later), a cursor asked again answers a page that begins with what it answered before,
//! every batch a writer reported committed is seen by the first page asked after the report
//! that reaches the end of the log, and what the readers saw is the log. The subscription
//! receives every record event once.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use common::hooks::{Receiver, wait_for};
use common::{Engine, Options, TestServer, company_code, on_both_engines, personal_key, unit_code};
use gongxin_codes::Whitelist;
use gongxin_core::access::Principal;
use gongxin_core::catalog::Catalog;
use gongxin_core::record::{Change, ParseContext, PreparedRecord, Template};
use gongxin_server::config::ServerConfig;
use gongxin_store::Actor;
use serde_json::{Value, json};

/// Writers with a store connection of their own, and writers through the API.
const STORE_WRITERS: u32 = 3;
const API_WRITERS: u32 = 2;
/// Batches per writer, records per batch. The `k`-th of the last `AT_THE_HEAD` batches waits
/// until every reader has reached the end of the log `k` times, so that readers page at the
/// head of the log while it grows — where an event visible before an earlier one would show.
const BATCHES: u32 = 18;
const AT_THE_HEAD: u32 = 6;
const PER_BATCH: u32 = 5;
/// Readers: which key, and how many events a page holds.
const READERS: [(Reader, usize); 3] = [
    (Reader::Admin, 7),
    (Reader::Department, 3),
    (Reader::Admin, 50),
];
/// A writer's pause between batches, so that writing spans the readers' paging.
const PAUSE: Duration = Duration::from_millis(20);
/// How long the whole exchange may take before the test gives up.
const PATIENCE: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy)]
enum Reader {
    Admin,
    Department,
}

/// Push timings in milliseconds.
fn fast_push(config: &mut ServerConfig) {
    config.push_interval_ms = 20;
    config.push_retry_base_ms = 150;
    config.push_timeout_ms = 2_000;
}

/// A penalty decided three days ago by `unit`, as the API takes it: field code → value.
fn penalty_row(unit: &str, document_no: &str, subject: u32) -> Value {
    let date = ((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
        - chrono::Duration::days(3))
    .format("%Y-%m-%d")
    .to_string();
    json!({
        "CF_XDR_MC": format!("厦门市并发第{subject}贸易有限公司"), "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": company_code(subject), "CF_FRDB": "张三", "CF_WSH": document_no,
        "CF_WFXW": "未按规定公示年度报告", "CF_SY": "违反《企业信息公示暂行条例》",
        "CF_YJ": "《企业信息公示暂行条例》第十八条", "CF_CFLB": "罚款", "CF_NR": "罚款1万元",
        "CF_NR_FK": "1", "CF_JDRQ": date, "CF_CFJG": "测试市场监督管理局", "CF_CFJGDM": unit,
        "CF_SJLY": "测试市场监督管理局", "CF_SJLYDM": unit
    })
}

/// A batch of writer `writer`: its rows and their document numbers.
fn batch(writer: u32, batch: u32, unit: &str) -> (Vec<Value>, Vec<String>) {
    (0..PER_BATCH)
        .map(|n| {
            let document_no = format!("并发测{writer}〔2026〕{batch}-{n}号");
            let subject = 1_000 + writer * 1_000 + batch * 10 + n;
            (penalty_row(unit, &document_no, subject), document_no)
        })
        .unzip()
}

/// `row` checked against the catalog as an import checks it: a record ready to apply.
fn prepared(catalog: &Catalog, row: &Value) -> PreparedRecord {
    let item = catalog
        .item("admin_penalty")
        .expect("penalties are in the catalog");
    let values: Vec<(usize, &str)> = row
        .as_object()
        .unwrap()
        .iter()
        .map(|(code, value)| {
            let position = item.field_index(code).expect("a penalty field");
            (position, value.as_str().unwrap())
        })
        .collect();
    let mut cells: Vec<Option<&str>> = vec![None; item.fields.len()];
    for (position, value) in values {
        cells[position] = Some(value);
    }
    let whitelist = Whitelist::new();
    let key = personal_key();
    let context = ParseContext {
        catalog_version: &catalog.version,
        whitelist: &whitelist,
        personal_key: &key,
        submitting_unit: None,
        template: Template::Current,
    };
    let parsed = item
        .parse_row(context, &cells)
        .unwrap_or_else(|problems| panic!("{problems:?}"));
    PreparedRecord::new(parsed.record)
}

/// One answered page, kept to ask its cursor again later.
#[derive(Debug, Clone)]
struct Page {
    after: u64,
    limit: usize,
    events: Vec<Value>,
    next: u64,
    has_more: bool,
}

fn page(server: &TestServer, key: &str, after: u64, limit: usize) -> Page {
    let path = format!("/api/v1/feed?purpose=sync&after={after}&limit={limit}");
    let (status, answer) = server.get_json(&path, Some(key));
    assert_eq!(status, 200, "{path}: {answer}");
    Page {
        after,
        limit,
        events: answer["events"].as_array().expect("events").clone(),
        next: answer["next"].as_u64().expect("next"),
        has_more: answer["has_more"].as_bool().expect("has_more"),
    }
}

fn seq_of(event: &Value) -> u64 {
    event["seq"].as_u64().expect("an event has its seq")
}

/// The record an event is about, as writers name them: source unit and document number.
fn document_of(event: &Value) -> (String, String) {
    (
        event["view"]["source_unit"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        event["view"]["document_no"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
    )
}

/// Follows the feed from cursor 0 with `key`, `limit` events a page, until the writers are
/// done and a page asked after that reaches the end. Checks every page as it comes, and asks
/// earlier cursors again now and then.
fn follow(
    server: &TestServer,
    key: &str,
    limit: usize,
    done: &AtomicBool,
    committed: &Mutex<Vec<(String, String)>>,
    caught_up: &AtomicUsize,
    started: Instant,
) -> Vec<Value> {
    let mut seen: Vec<Value> = Vec::new();
    let mut documents: HashSet<(String, String)> = HashSet::new();
    let mut answered: Vec<Page> = Vec::new();
    let mut after = 0;
    loop {
        assert!(started.elapsed() < PATIENCE, "the reader never caught up");
        // What had been reported committed, and whether the writers were done, before the
        // page was asked: the page must show all of it once it reaches the end.
        let finished = done.load(Ordering::SeqCst);
        let reported = committed.lock().unwrap().len();
        let answer = page(server, key, after, limit);
        let seqs: Vec<u64> = answer.events.iter().map(seq_of).collect();
        // This reader sees every event: the page is the log after the cursor, whole, up to
        // `next` — in order, nothing repeated, no gap.
        assert_eq!(
            seqs,
            (after + 1..=answer.next).collect::<Vec<_>>(),
            "the page after {after} (limit {limit})"
        );
        assert!(seqs.len() <= limit);
        assert!(
            !answer.has_more || seqs.len() == limit,
            "a page ends early only at the end of the log: {seqs:?}"
        );
        for event in &answer.events {
            let document = document_of(event);
            if document.1.starts_with("并发测") {
                assert!(
                    documents.insert(document),
                    "a record submitted twice: {event}"
                );
            }
        }
        seen.extend(answer.events.iter().cloned());
        after = answer.next;
        let at_end = !answer.has_more;
        answered.push(answer);

        if at_end {
            let committed = committed.lock().unwrap();
            for document in &committed[..reported] {
                assert!(
                    documents.contains(document),
                    "{document:?} was reported committed before the page was asked, and the \
                     page reached the end without it"
                );
            }
            if finished {
                return seen;
            }
            caught_up.fetch_add(1, Ordering::SeqCst);
        }
        // Now and then cursors answered before are asked again: one from the middle of the
        // walk, and the last that reached the end of the log then (which may have grown).
        if answered.len().is_multiple_of(4) {
            let middle = answered[answered.len() / 2].clone();
            let head = answered.iter().rev().find(|p| !p.has_more).cloned();
            for earlier in std::iter::once(middle).chain(head) {
                let again = page(server, key, earlier.after, earlier.limit);
                assert!(
                    again.events.len() >= earlier.events.len()
                        && again.events[..earlier.events.len()] == earlier.events[..],
                    "the cursor {} answered {:?}, now {:?}",
                    earlier.after,
                    earlier.events.iter().map(seq_of).collect::<Vec<_>>(),
                    again.events.iter().map(seq_of).collect::<Vec<_>>()
                );
                if earlier.events.len() == earlier.limit {
                    assert_eq!(
                        (&again.events, again.next),
                        (&earlier.events, earlier.next),
                        "a full page is answered again the same"
                    );
                }
                // Only what follows may have changed: more events after it, never fewer.
                assert!(again.next >= earlier.next && (again.has_more || !earlier.has_more));
            }
        }
        if at_end {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

on_both_engines!(concurrent_writers_and_readers_see_every_event_once_in_order);

fn concurrent_writers_and_readers_see_every_event_once_in_order(engine: Engine) {
    let started = Instant::now();
    let server = TestServer::start_with(Options {
        engine,
        configure: fast_push,
        ..Options::default()
    });
    let catalog = Catalog::embedded().unwrap();
    let before = server.store().log_head().unwrap();

    // A procurement office subscribed for the penalties that bar suppliers: every record
    // the writers add.
    let buyer = server.key_for(Principal::Department {
        unit: unit_code(3),
        items: Vec::new(),
    });
    let hook = Receiver::start(200);
    let (status, subscription) = server.post_json(
        "/api/v1/subscriptions",
        Some(&buyer),
        &json!({"url": hook.url, "scenarios": ["government_procurement"], "purpose": "政府采购供应商审查"}),
    );
    assert_eq!(status, 200, "{subscription}");
    let api_keys: Vec<String> = (0..API_WRITERS)
        .map(|a| {
            server.key_for(Principal::Department {
                unit: unit_code(200 + a),
                items: vec!["admin_penalty".to_owned()],
            })
        })
        .collect();

    let done = AtomicBool::new(false);
    let committed: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let caught_up: Vec<AtomicUsize> = READERS.iter().map(|_| AtomicUsize::new(0)).collect();
    // Whether a writer writes its batch `b`; the last ones only once every reader has caught
    // up with the one before.
    let go_on = |b: u32| {
        if b >= BATCHES {
            return false;
        }
        if let Some(k) = (b + AT_THE_HEAD + 1).checked_sub(BATCHES) {
            while caught_up
                .iter()
                .any(|c| c.load(Ordering::SeqCst) < k as usize)
            {
                assert!(started.elapsed() < PATIENCE, "a reader never caught up");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        true
    };
    let writers = (STORE_WRITERS + API_WRITERS) as usize;
    let start = Barrier::new(writers + READERS.len());
    let seen: Vec<Vec<Value>> = std::thread::scope(|scope| {
        let mut writing = Vec::new();
        for w in 0..STORE_WRITERS {
            let (server, catalog, committed, start, go_on) =
                (&server, &catalog, &committed, &start, &go_on);
            writing.push(scope.spawn(move || {
                // A connection of its own, as another process has.
                let mut store = server.store();
                let unit = unit_code(100 + w);
                let actor_name = format!("import:writer{w}");
                start.wait();
                let mut b = 0;
                while go_on(b) {
                    let (rows, documents) = batch(w, b, &unit);
                    let records: Vec<PreparedRecord> =
                        rows.iter().map(|row| prepared(catalog, row)).collect();
                    let actor = Actor {
                        name: &actor_name,
                        at_us: chrono::Utc::now().timestamp_micros(),
                    };
                    let changes = store
                        .apply(&mut records.into_iter(), &actor)
                        .expect("the batch commits");
                    assert_eq!(changes, vec![Change::Submitted; PER_BATCH as usize]);
                    committed
                        .lock()
                        .unwrap()
                        .extend(documents.into_iter().map(|d| (unit.clone(), d)));
                    std::thread::sleep(PAUSE);
                    b += 1;
                }
            }));
        }
        for (a, key) in api_keys.iter().enumerate() {
            let (server, committed, start, go_on) = (&server, &committed, &start, &go_on);
            let a = u32::try_from(a).unwrap();
            writing.push(scope.spawn(move || {
                let unit = unit_code(200 + a);
                start.wait();
                let mut b = 0;
                while go_on(b) {
                    let (rows, documents) = batch(STORE_WRITERS + a, b, &unit);
                    let (status, report) = server.post_json(
                        "/api/v1/records",
                        Some(key),
                        &json!({"item": "admin_penalty", "records": rows}),
                    );
                    assert_eq!(status, 200, "{report}");
                    assert_eq!(report["accepted"], PER_BATCH, "{report}");
                    committed
                        .lock()
                        .unwrap()
                        .extend(documents.into_iter().map(|d| (unit.clone(), d)));
                    std::thread::sleep(PAUSE);
                    b += 1;
                }
            }));
        }
        let reading: Vec<_> = READERS
            .iter()
            .zip(&caught_up)
            .map(|(&(reader, limit), caught_up)| {
                let key = match reader {
                    Reader::Admin => server.admin.clone(),
                    Reader::Department => server.department.clone(),
                };
                let (server, done, committed, start) = (&server, &done, &committed, &start);
                scope.spawn(move || {
                    start.wait();
                    follow(server, &key, limit, done, committed, caught_up, started)
                })
            })
            .collect();
        // All writers end (one that failed, early), then the readers catch up and end.
        let written: Vec<_> = writing.into_iter().map(|writer| writer.join()).collect();
        done.store(true, Ordering::SeqCst);
        let read: Vec<_> = reading.into_iter().map(|reader| reader.join()).collect();
        assert!(written.iter().all(Result::is_ok), "a writer failed");
        read.into_iter()
            .map(|reader| reader.expect("a reader failed"))
            .collect()
    });

    // The log: what was there, and one event per record the writers reported.
    let reported: BTreeSet<(String, String)> =
        committed.into_inner().unwrap().into_iter().collect();
    let added = reported.len() as u64;
    assert_eq!(
        added,
        u64::from((STORE_WRITERS + API_WRITERS) * BATCHES * PER_BATCH)
    );
    let store = server.store();
    let head = store.log_head().unwrap();
    assert_eq!(head, before + added);
    let log = store.events_after(0, head as usize).unwrap();
    assert_eq!(log.len() as u64, head);
    // Every reader paged at the head of the log while it grew.
    let caught_up: Vec<usize> = caught_up.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert!(
        caught_up.iter().all(|&n| n >= AT_THE_HEAD as usize),
        "{caught_up:?}"
    );
    for (reader, events) in READERS.iter().zip(&seen) {
        let seqs: Vec<u64> = events.iter().map(seq_of).collect();
        assert_eq!(seqs, (1..=head).collect::<Vec<_>>(), "{reader:?}");
        for (shown, event) in events.iter().zip(&log) {
            assert_eq!(shown["hash"], event.hash.to_string(), "{reader:?}");
            assert_eq!(
                shown["prev_hash"],
                event.prev_hash.to_string(),
                "{reader:?}"
            );
            assert_eq!(shown["record"], event.record.as_str(), "{reader:?}");
        }
        let written: BTreeSet<(String, String)> =
            events[before as usize..].iter().map(document_of).collect();
        assert_eq!(
            written, reported,
            "{reader:?}: the writers' records, each once"
        );
    }

    // The subscription: every record event the writers made, once each.
    let expected: BTreeSet<u64> = (before + 1..=head).collect();
    let told = || -> BTreeMap<u64, usize> {
        let mut told = BTreeMap::new();
        for delivery in hook.of_kind("record_submitted") {
            *told.entry(seq_of(&delivery.json())).or_insert(0) += 1;
        }
        told
    };
    assert!(
        wait_for(Duration::from_secs(60), || told().len() == expected.len()),
        "{} of {} events delivered",
        told().len(),
        expected.len()
    );
    // Give the dispatcher time to send anything more it would send.
    std::thread::sleep(Duration::from_millis(500));
    let told = told();
    assert_eq!(told.keys().copied().collect::<BTreeSet<_>>(), expected);
    assert!(
        told.values().all(|&n| n == 1),
        "delivered more than once: {told:?}"
    );
    let delivery_ids: HashSet<String> = hook
        .received()
        .iter()
        .map(|r| r.header("X-Gongxin-Delivery").to_owned())
        .collect();
    assert_eq!(delivery_ids.len(), expected.len());
    // The subscription's deliveries say the same: one per event, each delivered.
    let id = subscription["id"].as_str().unwrap();
    let mut listed: Vec<(u64, String)> = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) = server.get_json(
            &format!("/api/v1/subscriptions/{id}/deliveries?after={after}&limit=1000"),
            Some(&buyer),
        );
        assert_eq!(status, 200, "{page}");
        let deliveries = page["deliveries"].as_array().unwrap();
        if deliveries.is_empty() {
            break;
        }
        listed.extend(
            deliveries
                .iter()
                .map(|d| (seq_of(d), d["status"].as_str().unwrap().to_owned())),
        );
        after = page["next"].as_u64().unwrap();
    }
    assert_eq!(listed.len(), expected.len());
    assert_eq!(
        listed.iter().map(|(seq, _)| *seq).collect::<BTreeSet<_>>(),
        expected
    );
    assert!(
        listed.iter().all(|(_, status)| status == "delivered"),
        "{listed:?}"
    );
    server.assert_intact();
    eprintln!(
        "{engine:?}: {added} records by {writers} writers, read by {} readers (caught up \
         while writing: {caught_up:?} pages), in {:?}",
        READERS.len(),
        started.elapsed()
    );
}
