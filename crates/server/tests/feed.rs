//! The change feed `GET /api/v1/feed` against a real server on port 0 with its own data
//! directory, each test on SQLite and on PostgreSQL (a schema of its own).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Engine, Options, TestServer, agent, encode, error_of, on_both_engines};
use gongxin_core::catalog::{Catalog, Disclosure, FieldType};
use serde_json::{Value, json};

/// One page of the feed, which must be answered.
fn page(server: &TestServer, query: &str, key: &str) -> Value {
    let path = format!("/api/v1/feed?{query}");
    let (status, answer) = server.get_json(&path, Some(key));
    assert_eq!(status, 200, "{path}: {answer}");
    answer
}

fn events(page: &Value) -> &Vec<Value> {
    page["events"].as_array().expect("a page has events")
}

fn seqs(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["seq"].as_u64().unwrap()).collect()
}

/// Every event the key may see under `query`, read `limit` at a time from the start, with
/// the number of pages it took. Checks on the way that pages follow on from each other.
fn walk(server: &TestServer, query: &str, limit: usize, key: &str) -> (Vec<Value>, usize) {
    let mut all = Vec::new();
    let mut after = 0;
    let mut pages = 0;
    loop {
        let answer = page(server, &format!("{query}&limit={limit}&after={after}"), key);
        pages += 1;
        let page_events = events(&answer);
        assert!(page_events.len() <= limit, "{answer}");
        let next = answer["next"].as_u64().unwrap();
        assert!(
            next >= after,
            "the cursor never goes back: {after} → {next}"
        );
        for event in page_events {
            let seq = event["seq"].as_u64().unwrap();
            assert!(
                after < seq && seq <= next,
                "{seq} outside ({after}, {next}]"
            );
        }
        all.extend(page_events.iter().cloned());
        after = next;
        if !answer["has_more"].as_bool().unwrap() {
            return (all, pages);
        }
        assert!(pages < 10_000, "the walk does not end");
    }
}

fn strictly_increasing(seqs: &[u64]) -> bool {
    seqs.windows(2).all(|w| w[0] < w[1])
}

/// The subject each event is about (an old code resolved to its USCC), by event seq.
fn subjects_by_seq(server: &TestServer) -> BTreeMap<u64, String> {
    let store = server.store();
    let mut subjects = BTreeMap::new();
    let mut after = 0;
    loop {
        let batch = store.events_after(after, 1_000).unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for event in batch {
            let code = store
                .subject(&event.subject)
                .unwrap()
                .map_or(event.subject.clone(), |s| s.code);
            subjects.insert(event.seq, code);
        }
    }
    subjects
}

fn penalty_row(unit: &str, document_no: &str, name: &str, code: &str, date: &str) -> Value {
    json!({
        "CF_XDR_MC": name, "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": code,
        "CF_FRDB": "张三", "CF_WSH": document_no, "CF_WFXW": "未按规定公示年度报告",
        "CF_SY": "违反《企业信息公示暂行条例》", "CF_YJ": "《企业信息公示暂行条例》第十八条",
        "CF_CFLB": "罚款", "CF_NR": "罚款1万元", "CF_NR_FK": "1", "CF_JDRQ": date,
        "CF_CFJG": "测试市场监督管理局", "CF_CFJGDM": unit, "CF_SJLY": "测试市场监督管理局", "CF_SJLYDM": unit
    })
}

// Every test but the last runs on SQLite and on PostgreSQL.
on_both_engines!(
    paging_walks_every_event_once_in_order,
    filters_by_item_subject_and_region,
    a_subject_key_sees_only_its_own_events,
    a_key_and_a_purpose_are_required_and_pages_are_audited,
    the_same_cursor_gives_the_same_page,
    an_event_appended_between_pages_appears_once_on_a_later_page,
    each_event_shows_its_version_and_a_revoked_record_leaves_the_public_feed,
    a_field_is_shown_only_to_those_who_may_see_it,
    a_sparse_filter_stops_at_the_scan_budget,
);

fn paging_walks_every_event_once_in_order(engine: Engine) {
    let server = TestServer::start_on(engine);
    let store = server.store();
    let total = store.counts().unwrap().events;
    assert!(total > 100, "the generated data makes events");

    let (walked, pages) = walk(&server, "purpose=sync", 7, &server.admin);
    let walked_seqs = seqs(&walked);
    assert!(strictly_increasing(&walked_seqs), "{walked_seqs:?}");
    assert!(pages as u64 >= total / 7, "small pages: {pages}");
    // The credit office sees every event: the whole log, in order, once.
    assert_eq!(walked_seqs, (1..=total).collect::<Vec<_>>());
    // Each as the log holds it.
    let logged = store.events_after(0, total as usize).unwrap();
    for (shown, event) in walked.iter().zip(&logged) {
        assert_eq!(shown["seq"], event.seq);
        assert_eq!(shown["kind"], event.kind.as_str());
        assert_eq!(shown["subject"], event.subject.as_str());
        assert_eq!(shown["record"], event.record.as_str());
        assert_eq!(shown["hash"], event.hash.to_string());
        assert_eq!(shown["prev_hash"], event.prev_hash.to_string());
        assert_eq!(shown["actor"], event.actor.as_str());
        if event.kind.is_record_change() {
            assert_eq!(shown["view"]["id"], event.record.as_str());
        }
        let recorded_at =
            chrono::DateTime::parse_from_rfc3339(shown["recorded_at"].as_str().unwrap()).unwrap();
        assert_eq!(recorded_at.timestamp(), event.recorded_at_us / 1_000_000);
    }
    // One big page is the same walk.
    let whole = page(&server, "purpose=sync&limit=1000", &server.admin);
    assert_eq!(events(&whole), &walked);
    assert_eq!(whole["next"], total);
    assert_eq!(whole["has_more"], false);
    // Past the end: nothing, and the cursor stays.
    let beyond = page(
        &server,
        &format!("purpose=sync&after={}", total + 5),
        &server.admin,
    );
    assert_eq!(
        (events(&beyond).len(), &beyond["next"], &beyond["has_more"]),
        (0, &json!(total + 5), &json!(false))
    );

    // Someone who sees less walks a subset, in order, with no event twice, and the same
    // subset whatever the page size; records the public cannot open have no events in it.
    let (public, _) = walk(&server, "", 3, &server.auditor);
    let public_seqs = seqs(&public);
    assert!(strictly_increasing(&public_seqs));
    assert!(!public_seqs.is_empty() && public_seqs.len() < total as usize);
    let (public_big, _) = walk(&server, "", 1_000, &server.auditor);
    assert_eq!(public, public_big);
    let shown_records: BTreeSet<&str> = public
        .iter()
        .map(|e| e["record"].as_str().unwrap())
        .collect();
    let all_records: BTreeSet<&str> = walked
        .iter()
        .map(|e| e["record"].as_str().unwrap())
        .collect();
    for record in &all_records {
        let (status, _) = server.get_text(&format!("/api/v1/records/{record}"), None);
        assert_eq!(
            status == 200,
            shown_records.contains(record),
            "record {record}: the feed and the record endpoint disagree"
        );
    }
}

fn filters_by_item_subject_and_region(engine: Engine) {
    let server = TestServer::start_on(engine);
    let admin = &server.admin;
    let everything = page(&server, "purpose=sync&limit=1000", admin);
    assert_eq!(everything["has_more"], false, "the test data fits one page");
    let all = events(&everything);
    let about = subjects_by_seq(&server);
    let expect = |keep: &dyn Fn(&Value) -> bool| -> Vec<u64> {
        all.iter()
            .filter(|e| keep(e))
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    };

    let penalties = expect(&|e: &Value| e["view"]["item"] == "admin_penalty");
    assert!(!penalties.is_empty() && penalties.len() < all.len());
    let filtered = page(&server, "purpose=sync&limit=1000&item=admin_penalty", admin);
    assert_eq!(seqs(events(&filtered)), penalties);
    assert_eq!(
        filtered["next"], everything["next"],
        "a filter still moves the cursor"
    );
    let two = expect(&|e: &Value| {
        e["view"]["item"] == "admin_penalty" || e["view"]["item"] == "admin_license"
    });
    assert!(two.len() > penalties.len());
    for query in [
        "item=admin_penalty,admin_license",
        "item=admin_penalty&item=admin_license",
        "item=admin_license&item=admin_penalty,admin_license",
    ] {
        let answer = page(&server, &format!("purpose=sync&limit=1000&{query}"), admin);
        assert_eq!(seqs(events(&answer)), two, "{query}");
    }
    // A list type filters by the item holding its entries.
    let serious = expect(&|e: &Value| e["view"]["item"] == "serious_dishonesty");
    assert!(!serious.is_empty());
    let listed = page(
        &server,
        "purpose=sync&limit=1000&list=serious_dishonesty",
        admin,
    );
    assert_eq!(seqs(events(&listed)), serious);
    let (status, _) = server.get_json("/api/v1/feed?purpose=sync&list=lottery", Some(admin));
    assert_eq!(status, 400);
    // A filter and a small page: the walk finds the same events.
    let (walked, _) = walk(&server, "purpose=sync&item=admin_penalty", 4, admin);
    assert_eq!(seqs(&walked), penalties);

    let code = &server.subject_code;
    let own = expect(&|e: &Value| about[&e["seq"].as_u64().unwrap()] == *code);
    assert!(!own.is_empty());
    let answer = page(
        &server,
        &format!("purpose=sync&limit=1000&subject={code}"),
        admin,
    );
    assert_eq!(seqs(events(&answer)), own);
    let lower = page(
        &server,
        &format!("purpose=sync&limit=1000&subject={}", code.to_lowercase()),
        admin,
    );
    assert_eq!(seqs(events(&lower)), own, "codes are normalised");
    let subject = server.store().subject(code).unwrap().unwrap();
    for old in &subject.old_codes {
        let answer = page(
            &server,
            &format!("purpose=sync&limit=1000&subject={old}"),
            admin,
        );
        assert_eq!(seqs(events(&answer)), own, "by the old code {old}");
    }
    // A well-formed code the platform does not know yet: nothing so far, not an error.
    let unknown = page(
        &server,
        "purpose=sync&limit=1000&subject=91350100M000100Y43",
        admin,
    );
    assert!(events(&unknown).is_empty());
    assert_eq!(unknown["next"], everything["next"]);

    let province = &code[2..4];
    let city = &code[2..6];
    let in_province =
        expect(&|e: &Value| about[&e["seq"].as_u64().unwrap()].get(2..4) == Some(province));
    let in_city = expect(&|e: &Value| about[&e["seq"].as_u64().unwrap()].get(2..6) == Some(city));
    assert!(!in_city.is_empty() && in_city.len() <= in_province.len());
    assert!(
        in_province.len() < all.len(),
        "the subjects are spread over provinces"
    );
    let answer = page(
        &server,
        &format!("purpose=sync&limit=1000&region={province}"),
        admin,
    );
    assert_eq!(seqs(events(&answer)), in_province);
    let answer = page(
        &server,
        &format!("purpose=sync&limit=1000&region={city}"),
        admin,
    );
    assert_eq!(seqs(events(&answer)), in_city);
    // Filters combine.
    let answer = page(
        &server,
        &format!("purpose=sync&limit=1000&region={city}&item=admin_penalty"),
        admin,
    );
    let both: Vec<u64> = in_city
        .iter()
        .filter(|s| penalties.contains(s))
        .copied()
        .collect();
    assert_eq!(seqs(events(&answer)), both);

    for (query, expected) in [
        ("region=3", "bad_request"),
        ("region=3301011", "bad_request"),
        ("region=33ab", "bad_request"),
        ("limit=0", "bad_request"),
        ("limit=many", "bad_request"),
        ("limit=-1", "bad_request"),
        ("after=-1", "bad_request"),
        ("after=x", "bad_request"),
        ("after=1&after=2", "bad_request"),
        ("item=nonsense", "unknown_item"),
        ("item=admin_penalty,nonsense", "unknown_item"),
        ("subject=not-a-code", "bad_code"),
    ] {
        let path = format!("/api/v1/feed?purpose=sync&{query}");
        assert_eq!(
            error_of(server.get_json(&path, Some(admin))),
            (400, expected.to_owned()),
            "{query}"
        );
    }
    // A page larger than allowed is reduced to the largest.
    let big = page(&server, "purpose=sync&limit=100000", admin);
    assert_eq!(events(&big).len(), all.len().min(1_000));
}

fn a_subject_key_sees_only_its_own_events(engine: Engine) {
    let server = TestServer::start_on(engine);
    let code = &server.subject_code;
    let about = subjects_by_seq(&server);
    let (own, _) = walk(&server, "", 2, &server.subject);
    assert!(!own.is_empty());
    for event in &own {
        assert_eq!(about[&event["seq"].as_u64().unwrap()], *code, "{event}");
    }
    // All of them: a subject reads everything held about itself.
    let admin = page(
        &server,
        &format!("purpose=sync&limit=1000&subject={code}"),
        &server.admin,
    );
    assert_eq!(seqs(&own), seqs(events(&admin)));
    // Other subjects are not its business, whatever it asks for.
    let other = about.values().find(|c| *c != code).unwrap();
    let answer = page(
        &server,
        &format!("limit=1000&subject={other}"),
        &server.subject,
    );
    assert!(events(&answer).is_empty());
    // It needs no purpose, and its identity numbers are masked.
    let body = serde_json::to_string(&own).unwrap();
    let key = common::personal_key();
    let catalog = Catalog::embedded().unwrap();
    let store = server.store();
    for stored in store.records_of(code).unwrap() {
        let item = catalog.item(&stored.record.key.item).unwrap();
        for (field, value) in &stored.record.fields {
            if item
                .field(field)
                .is_some_and(|f| f.ty == FieldType::IdNumber)
            {
                let number = key.unseal(value).unwrap();
                assert!(
                    !body.contains(&number),
                    "a whole identity number reached the subject"
                );
            }
        }
    }
}

fn a_key_and_a_purpose_are_required_and_pages_are_audited(engine: Engine) {
    let server = TestServer::start_on(engine);
    assert_eq!(
        error_of(server.get_json("/api/v1/feed", None)),
        (401, "invalid_key".to_owned())
    );
    assert_eq!(
        error_of(server.get_json("/api/v1/feed", Some("gx_not_a_key"))),
        (401, "invalid_key".to_owned())
    );
    for key in [&server.department, &server.admin] {
        for query in ["", "?purpose=", "?purpose=%20%20"] {
            assert_eq!(
                error_of(server.get_json(&format!("/api/v1/feed{query}"), Some(key))),
                (400, "purpose_required".to_owned()),
                "{query}"
            );
        }
    }
    let audit = |server: &TestServer| -> Vec<Value> {
        let (status, entries) = server.get_json("/api/v1/audit?limit=10000", Some(&server.auditor));
        assert_eq!(status, 200);
        entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "read_feed")
            .cloned()
            .collect()
    };
    // The auditor sees what the public sees: no purpose, nothing to audit.
    let public = page(&server, "limit=50", &server.auditor);
    assert!(!events(&public).is_empty());
    assert!(audit(&server).is_empty());

    let purpose = encode("数据共享同步");
    let first = page(
        &server,
        &format!("purpose={purpose}&limit=20"),
        &server.department,
    );
    let next = first["next"].as_u64().unwrap();
    assert_eq!(events(&first).len(), 20);
    let second = page(
        &server,
        &format!("purpose={purpose}&limit=20&after={next}"),
        &server.department,
    );
    let entries = audit(&server);
    assert_eq!(entries.len(), 2, "one entry per page: {entries:?}");
    assert_eq!(entries[0]["role"], "department");
    assert_eq!(entries[0]["unit"], server.department_unit.as_str());
    assert_eq!(entries[0]["purpose"], "数据共享同步");
    assert!(entries[0]["key_id"].as_str().is_some());
    assert_eq!(entries[0]["target"], format!("seq 1-{next}"));
    assert_eq!(
        entries[1]["target"],
        format!("seq {}-{}", next + 1, second["next"])
    );

    // A page of one subject is audited as a read about that subject.
    let code = &server.subject_code;
    page(
        &server,
        &format!("purpose=check&subject={code}"),
        &server.admin,
    );
    let entries = audit(&server);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[2]["role"], "admin");
    assert_eq!(entries[2]["subject"], code.as_str());
    assert_eq!(entries[2]["purpose"], "check");
}

fn the_same_cursor_gives_the_same_page(engine: Engine) {
    let server = TestServer::start_on(engine);
    for (key, query) in [
        (&server.department, "purpose=sync&limit=25&after=40"),
        (&server.auditor, "limit=25&after=40"),
        (
            &server.admin,
            "purpose=sync&limit=10&after=3&item=admin_penalty",
        ),
    ] {
        let path = format!("/api/v1/feed?{query}");
        let (status, once) = server.get_text(&path, Some(key));
        assert_eq!(status, 200, "{once}");
        let (_, twice) = server.get_text(&path, Some(key));
        assert_eq!(once, twice, "{query}");
        let answer: Value = serde_json::from_str(&once).unwrap();
        assert!(!events(&answer).is_empty(), "{query}");
        assert_eq!(answer["has_more"], true, "{query}");
    }
}

fn an_event_appended_between_pages_appears_once_on_a_later_page(engine: Engine) {
    let server = TestServer::start_on(engine);
    let key = &server.department;
    let before = server.store().counts().unwrap().events;
    let first = page(&server, "purpose=sync&limit=10", key);
    assert_eq!(first["has_more"], true);
    let mut seen = seqs(events(&first));
    let mut after = first["next"].as_u64().unwrap();

    // Three days ago in China Standard Time.
    let date = ((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
        - chrono::Duration::days(3))
    .format("%Y-%m-%d")
    .to_string();
    let unit = server.department_unit.clone();
    let batch = json!({
        "item": "admin_penalty",
        "records": [penalty_row(&unit, "测罚〔2026〕99号", "福州甲乙丙科技有限公司", "91350100M000100Y43", &date)]
    });
    let mut response = agent()
        .post(server.url("/api/v1/records"))
        .header("Authorization", &format!("Bearer {key}"))
        .send_json(&batch)
        .unwrap();
    let report: Value = response.body_mut().read_json().unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    let appended = before + 1;
    assert_eq!(server.store().counts().unwrap().events, appended);

    loop {
        let answer = page(
            &server,
            &format!("purpose=sync&limit=50&after={after}"),
            key,
        );
        seen.extend(seqs(events(&answer)));
        after = answer["next"].as_u64().unwrap();
        if answer["has_more"] == false {
            break;
        }
    }
    assert!(strictly_increasing(&seen));
    assert_eq!(seen.iter().filter(|&&s| s == appended).count(), 1);
    assert_eq!(
        seen,
        (1..=appended).collect::<Vec<_>>(),
        "the department sees every event"
    );
    assert_eq!(after, appended);
    let last = page(
        &server,
        &format!("purpose=sync&after={}", appended - 1),
        key,
    );
    let event = &events(&last)[0];
    assert_eq!(event["kind"], "record_submitted");
    assert_eq!(event["subject"], "91350100M000100Y43");
    assert_eq!(event["view"]["document_no"], "测罚〔2026〕99号");
    assert_eq!(event["view"]["source_unit"], unit.as_str());
    assert!(event["actor"].as_str().unwrap().contains(&unit));
    // Nothing after it.
    let end = page(&server, &format!("purpose=sync&after={appended}"), key);
    assert_eq!((events(&end).len(), &end["has_more"]), (0, &json!(false)));
}

fn submit(server: &TestServer, rows: Vec<Value>) -> Value {
    let batch = json!({ "item": "admin_penalty", "records": rows });
    let mut response = agent()
        .post(server.url("/api/v1/records"))
        .header("Authorization", &format!("Bearer {}", server.department))
        .send_json(&batch)
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.body_mut().read_json().unwrap()
}

fn each_event_shows_its_version_and_a_revoked_record_leaves_the_public_feed(engine: Engine) {
    let server = TestServer::start_on(engine);
    let start = server.store().counts().unwrap().events;
    let date = ((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
        - chrono::Duration::days(3))
    .format("%Y-%m-%d")
    .to_string();
    let unit = server.department_unit.clone();
    let code = "91350100M000100Y43";
    let mut row = penalty_row(
        &unit,
        "测罚〔2026〕7号",
        "福州甲乙丙科技有限公司",
        code,
        &date,
    );
    row["CF_WFXW"] = json!("第一稿");
    assert_eq!(submit(&server, vec![row.clone()])["accepted"], 1);
    row["CF_WFXW"] = json!("更正稿");
    assert_eq!(submit(&server, vec![row.clone()])["corrected"], 1);
    let query = format!("after={start}&subject={code}");

    // Every event carries the record as of that event, not as it is now.
    let admin = page(&server, &format!("purpose=sync&{query}"), &server.admin);
    let kinds: Vec<&str> = events(&admin)
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["record_submitted", "record_corrected"]);
    let versions: Vec<_> = events(&admin).iter().map(|e| field(e, "CF_WFXW")).collect();
    assert_eq!(versions, [Some("第一稿"), Some("更正稿")]);
    let public = page(&server, &query, &server.auditor);
    assert_eq!(
        seqs(events(&public)),
        seqs(events(&admin)),
        "a public penalty"
    );
    let versions: Vec<_> = events(&public)
        .iter()
        .map(|e| field(e, "CF_WFXW"))
        .collect();
    assert_eq!(versions, [Some("第一稿"), Some("更正稿")]);

    // Revoked: the record endpoint no longer shows it to the public, and neither does the
    // feed, not even the versions that were public when they were made.
    row["CF_ZT"] = json!("撤销");
    let report = submit(&server, vec![row]);
    assert_eq!(report["revoked"], 1, "{report}");
    let id = events(&admin)[0]["record"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get_text(&format!("/api/v1/records/{id}"), None).0,
        404
    );
    let public = page(&server, &query, &server.auditor);
    assert!(events(&public).is_empty(), "{public}");
    assert_eq!(
        public["next"],
        start + 3,
        "skipped events still move the cursor"
    );
    let admin = page(&server, &format!("purpose=sync&{query}"), &server.admin);
    let kinds: Vec<&str> = events(&admin)
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["record_submitted", "record_corrected", "record_revoked"]
    );
    assert_eq!(events(&admin)[2]["view"]["status"], "revoked");
    assert_eq!(events(&admin)[2]["view"]["public"], false);
    assert_eq!(events(&admin)[0]["view"]["status"], "normal");
}

/// The value of field `code` in an event's view.
fn field<'a>(event: &'a Value, code: &str) -> Option<&'a str> {
    event["view"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .map(|f| f["value"].as_str().unwrap())
}

fn a_field_is_shown_only_to_those_who_may_see_it(engine: Engine) {
    let server = TestServer::start_on(engine);
    let catalog = Catalog::embedded().unwrap();
    let key = common::personal_key();
    let store = server.store();
    let admin = page(&server, "purpose=sync&limit=1000", &server.admin);
    let (public, _) = walk(&server, "", 1_000, &server.auditor);
    let public_by_seq: BTreeMap<u64, &Value> = public
        .iter()
        .map(|e| (e["seq"].as_u64().unwrap(), e))
        .collect();
    let department = page(&server, "purpose=sync&limit=1000", &server.department);
    let department_by_seq: BTreeMap<u64, &Value> = events(&department)
        .iter()
        .map(|e| (e["seq"].as_u64().unwrap(), e))
        .collect();

    // A penalty the public sees, with the party's representative's identity number (a
    // field shared with departments, not disclosed to the public), from another unit than
    // the department key's.
    let event = events(&admin)
        .iter()
        .find(|e| {
            let seq = e["seq"].as_u64().unwrap();
            e["view"]["item"] == "admin_penalty"
                && e["view"]["source_unit"] != server.department_unit.as_str()
                && field(e, "CF_FR_ZJHM").is_some()
                && public_by_seq.contains_key(&seq)
        })
        .expect("a public penalty with an identity number");
    let seq = event["seq"].as_u64().unwrap();
    let id: gongxin_core::record::RecordId = event["record"].as_str().unwrap().parse().unwrap();
    let stored = store.record(&id).unwrap().unwrap();
    let whole = key
        .unseal(stored.record.field("CF_FR_ZJHM").unwrap())
        .unwrap();

    assert_eq!(
        field(event, "CF_FR_ZJHM"),
        Some(whole.as_str()),
        "the credit office sees it whole"
    );
    assert!(event["actor"].as_str().is_some());
    let shared = field(department_by_seq[&seq], "CF_FR_ZJHM").expect("departments see it");
    assert!(
        shared.contains('*') && shared != whole,
        "masked for another unit: {shared}"
    );
    let to_public = public_by_seq[&seq];
    assert_eq!(field(to_public, "CF_FR_ZJHM"), None, "the public does not");
    assert_eq!(field(to_public, "CF_FR_ZJLX"), None);
    assert!(to_public.get("actor").is_none(), "nor who submitted it");
    assert_eq!(
        field(to_public, "CF_WSH"),
        field(event, "CF_WSH"),
        "public fields are the same for everyone"
    );
    assert_eq!(to_public["view"]["public"], true);
    assert_eq!(to_public["hash"], event["hash"]);

    // Nothing the public may not see is anywhere in what the auditor got.
    let hidden: BTreeSet<&str> = catalog
        .items
        .iter()
        .flat_map(|item| {
            item.fields
                .iter()
                .filter(move |f| item.field_disclosure(f) > Disclosure::Public)
        })
        .map(|f| f.code.as_str())
        .collect();
    let body = serde_json::to_string(&public).unwrap();
    for code in &hidden {
        assert!(
            !body.contains(&format!("\"{code}\"")),
            "{code} reached the public view"
        );
    }
    assert!(!body.contains(&whole));
    assert!(
        !body.contains("enc1:"),
        "a sealed value reached the public view"
    );
    assert!(public.iter().all(|e| e["view"]["public"] == true));
}

fn a_sparse_filter_stops_at_the_scan_budget(engine: Engine) {
    let server = TestServer::start_with(Options {
        subjects: 200,
        records: 12_000,
        engine,
        ..Options::default()
    });
    let total = server.store().counts().unwrap().events;
    assert!(total > 10_000, "{total}");
    // A subject with no events: every event is examined and skipped.
    let query = "purpose=sync&subject=91350100M000100Y43";
    let first = page(&server, query, &server.admin);
    assert!(events(&first).is_empty());
    assert_eq!(
        first["next"], 10_000,
        "one request examines at most 10,000 events"
    );
    assert_eq!(first["has_more"], true);
    let second = page(&server, &format!("{query}&after=10000"), &server.admin);
    assert!(events(&second).is_empty());
    assert_eq!(second["next"], total);
    assert_eq!(second["has_more"], false);
}

#[test]
fn the_feed_is_documented() {
    let spec: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let feed = &spec["paths"]["/api/v1/feed"]["get"];
    let parameters: BTreeSet<&str> = feed["parameters"]
        .as_array()
        .expect("the feed is documented")
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in ["after", "limit", "item", "subject", "region", "purpose"] {
        assert!(parameters.contains(name), "{name}");
    }
    let page = &feed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    let name = page.as_str().unwrap().rsplit('/').next().unwrap();
    let properties = &spec["components"]["schemas"][name]["properties"];
    for field in ["events", "next", "has_more"] {
        assert!(properties.get(field).is_some(), "{field}");
    }
}
