//! The API against a real server on port 0 with its own data directory, each test on SQLite
//! and on PostgreSQL (a schema of its own).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Engine, Options, TestServer, agent, encode, error_of, on_both_engines};
use gongxin_core::catalog::{Catalog, Disclosure, FieldType};
use serde_json::{Value, json};

// Every test but the one reading the OpenAPI document runs on SQLite and on PostgreSQL.
on_both_engines!(
    health_readiness_metrics_and_the_api_description,
    search_finds_subjects_by_part_of_a_name_and_by_any_code,
    a_profile_is_found_by_the_uscc_or_an_old_code,
    the_public_profile_is_answered_from_the_cache_until_what_it_shows_changes,
    records_filter_by_item_and_decision_date_and_show_their_history,
    no_public_response_holds_an_identity_number_or_a_non_public_field,
    identity_numbers_are_whole_only_for_the_roles_that_need_them,
    an_identity_number_finds_its_subjects_for_the_roles_allowed_to_match_it,
    non_public_reads_need_a_purpose_and_are_audited,
    a_department_submits_its_own_records_and_gets_the_per_row_report,
    a_file_upload_goes_through_the_import_pipeline,
    anonymous_scraping_is_rate_limited_but_keys_are_not,
    timeliness_is_reported_per_source_unit,
    a_profile_shows_the_newest_records_of_each_group_and_pages_the_rest,
);

fn health_readiness_metrics_and_the_api_description(engine: Engine) {
    let server = TestServer::start_on(engine);
    let (status, health) = server.get_json("/healthz", None);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (status, ready) = server.get_json("/readyz", None);
    assert_eq!(status, 200);
    assert!(ready["indexed_subjects"].as_u64().unwrap() > 0);
    let (status, metrics) = server.get_text("/metrics", None);
    assert_eq!(status, 200);
    assert!(
        metrics.contains(
            "gongxin_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    let (status, spec) = server.get_json("/api/openapi.json", None);
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let (status, docs) = server.get_text("/api/docs", None);
    assert_eq!(status, 200);
    assert!(docs.contains("/api/v1/subjects"));
}

#[test]
fn the_openapi_document_lists_every_route_and_error_code() {
    let spec: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let paths: BTreeSet<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for route in [
        "/api/v1/subjects",
        "/api/v1/subjects/{code}",
        "/api/v1/subjects/{code}/records",
        "/api/v1/records",
        "/api/v1/records/{id}",
        "/api/v1/records/{id}/history",
        "/api/v1/files",
        "/api/v1/audit",
        "/api/v1/stats/timeliness",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains(route), "{route} is not documented");
    }
    let documented: BTreeSet<&str> = spec["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for code in gongxin_server::ErrorCode::ALL {
        assert!(
            documented.contains(code.as_str()),
            "{} is not documented",
            code.as_str()
        );
    }
}

fn search_finds_subjects_by_part_of_a_name_and_by_any_code(engine: Engine) {
    let server = TestServer::start_on(engine);
    let subject = server
        .store()
        .subject(&server.subject_code)
        .unwrap()
        .unwrap();
    let part: String = subject.name.chars().skip(2).take(3).collect();
    let mut queries = vec![part, subject.code.clone(), subject.code.to_lowercase()];
    queries.extend(subject.old_codes.iter().cloned());
    for query in queries {
        let (status, answer) =
            server.get_json(&format!("/api/v1/subjects?q={}", encode(&query)), None);
        assert_eq!(status, 200, "{query}: {answer}");
        let codes: Vec<&str> = answer["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&subject.code.as_str()),
            "{query} did not find {}: {answer}",
            subject.code
        );
        let hit = answer["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["code"] == subject.code.as_str())
            .unwrap();
        assert_eq!(hit["name"], subject.name.as_str());
        // How many records are held, public or not, is the credit office's to know.
        assert!(hit.get("record_count").is_none(), "{hit}");
    }
    let (_, answer) = server.get_json(
        &format!("/api/v1/subjects?q={}", subject.code),
        Some(&server.admin),
    );
    let held = server.store().records_of(&subject.code).unwrap().len();
    assert_eq!(answer["hits"][0]["record_count"], held);
    for bad in ["", "华", &"长".repeat(101)] {
        let (status, answer) =
            server.get_json(&format!("/api/v1/subjects?q={}", encode(bad)), None);
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_query");
        assert!(answer["error"]["message_zh"].as_str().is_some());
    }
    assert_eq!(
        error_of(server.get_json("/api/v1/subjects", None)),
        (400, "bad_request".to_owned())
    );
}

fn a_profile_is_found_by_the_uscc_or_an_old_code(engine: Engine) {
    let server = TestServer::start_on(engine);
    let subject = server
        .store()
        .subject(&server.subject_code)
        .unwrap()
        .unwrap();
    for code in std::iter::once(&subject.code).chain(&subject.old_codes) {
        let (status, profile) = server.get_json(&format!("/api/v1/subjects/{code}"), None);
        assert_eq!(status, 200, "{code}");
        assert_eq!(profile["code"], subject.code.as_str());
        assert_eq!(profile["name"], subject.name.as_str());
    }
    assert_eq!(
        error_of(server.get_json("/api/v1/subjects/91350100M000100Y4X", None)),
        (404, "not_found".to_owned())
    );
    assert_eq!(
        error_of(server.get_json("/api/v1/records/nothex", None)),
        (400, "bad_request".to_owned())
    );
    let path = format!("/api/v1/subjects/{}/records?from=yesterday", subject.code);
    assert_eq!(
        error_of(server.get_json(&path, None)),
        (400, "bad_request".to_owned())
    );
    let path = format!("/api/v1/subjects/{}/records?item=nonsense", subject.code);
    assert_eq!(
        error_of(server.get_json(&path, None)),
        (400, "unknown_item".to_owned())
    );
}

/// The public's profile is kept (by the request that built it, or the background fill) and
/// answered from the cache, byte for byte what was built; a new record shows at once, and a
/// record leaves it on the day its publication ends.
fn the_public_profile_is_answered_from_the_cache_until_what_it_shows_changes(engine: Engine) {
    let today = common::date("2026-11-21");
    let server = TestServer::start_with(Options {
        today: Some(today),
        engine,
        ..Options::default()
    });
    let code = server.subject_code.clone();
    let path = format!("/api/v1/subjects/{code}");
    let version = gongxin_server::profiles::profile_version(
        &Catalog::embedded().unwrap(),
        gongxin_core::publication::PublicationRules::default_rules(),
    );
    let store = server.store();
    let cached_on = |day| {
        let waited = Instant::now();
        loop {
            if let Some(gzip) = store.cached_profile(&code, &version, day).unwrap() {
                let json = gongxin_server::profiles::Answer::Gzip(gzip).into_json();
                return String::from_utf8(json.unwrap()).unwrap();
            }
            assert!(waited.elapsed() < Duration::from_secs(20), "never cached");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let (status, built) = server.get_text(&path, None);
    assert_eq!(status, 200);
    assert_eq!(cached_on(today), built);
    assert_eq!(server.get_text(&path, None), (200, built.clone()));
    // The entry goes out as it is kept to a client that takes gzip, as JSON to any other.
    let raw = |accept: &str| {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(server.address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\n{accept}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
        (head, answer[end + 4..].to_vec())
    };
    let (head, body) = raw("Accept-Encoding: br, gzip;q=0.8\r\n");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let json = gongxin_server::profiles::Answer::Gzip(body)
        .into_json()
        .unwrap();
    assert_eq!(String::from_utf8(json).unwrap(), built);
    for accept in ["", "Accept-Encoding: gzip;q=0\r\n"] {
        let (head, body) = raw(accept);
        assert!(!head.contains("content-encoding"), "{head}");
        assert_eq!(String::from_utf8(body).unwrap(), built);
    }

    // A new record drops the entry in its transaction: the next answer shows it.
    let unit = server.department_unit.clone();
    let name = serde_json::from_str::<Value>(&built).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let batch = json!({
        "item": "admin_penalty",
        "records": [penalty_row(&unit, "测罚〔2026〕缓1号", &name, &code)],
    });
    let (status, report) = server.post_json("/api/v1/records", Some(&server.department), &batch);
    assert_eq!((status, &report["accepted"]), (200, &json!(1)), "{report}");
    let (_, after) = server.get_text(&path, None);
    assert!(after.contains("测罚〔2026〕缓1号"), "{after}");

    // The day after a shown record's publication ends, the entry no longer holds and the
    // record is not shown.
    let profile: Value = serde_json::from_str(&after).unwrap();
    let ending = profile["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["records"].as_array().unwrap())
        .filter_map(|r| Some((r["window"]["until"].as_str()?, r["id"].as_str()?)))
        .min()
        .map(|(until, id)| (common::date(until), id.to_owned()));
    let (until, id) = ending.expect("a shown record whose publication ends");
    assert_eq!(cached_on(today), after);
    let next = until.succ_opt().unwrap();
    assert_eq!(store.cached_profile(&code, &version, next).unwrap(), None);
    server.clock.set(next);
    let (status, later) = server.get_text(&path, None);
    assert_eq!(status, 200);
    assert!(!later.contains(&id), "{later}");
}

fn records_filter_by_item_and_decision_date_and_show_their_history(engine: Engine) {
    let server = TestServer::start_on(engine);
    let code = &server.subject_code;
    let (_, all) = server.get_json(&format!("/api/v1/subjects/{code}/records"), None);
    let records = all["records"].as_array().unwrap();
    assert!(!records.is_empty());
    let first = &records[0];
    let item = first["item"].as_str().unwrap();
    let date = first["decision_date"].as_str().unwrap();
    let path = format!("/api/v1/subjects/{code}/records?item={item}&from={date}&to={date}");
    let (status, filtered) = server.get_json(&path, None);
    assert_eq!(status, 200);
    let filtered = filtered["records"].as_array().unwrap();
    assert!(!filtered.is_empty());
    assert!(
        filtered
            .iter()
            .all(|r| r["item"] == item && r["decision_date"] == date)
    );
    let id = first["id"].as_str().unwrap();
    let (status, record) = server.get_json(&format!("/api/v1/records/{id}"), None);
    assert_eq!(status, 200);
    assert_eq!(record["history"][0]["kind"], "record_submitted");
    assert!(
        record["history"][0].get("actor").is_none(),
        "the public does not see who submitted"
    );
    assert!(record["window"]["reason_zh"].as_str().is_some());
    let (_, history) = server.get_json(&format!("/api/v1/records/{id}/history"), None);
    assert_eq!(history, record["history"]);
}

/// Every identity number in the store, unsealed: none may ever reach the public.
fn plaintext_id_numbers(server: &TestServer, catalog: &Catalog) -> BTreeSet<String> {
    let store = server.store();
    let key = common::personal_key();
    let mut numbers = BTreeSet::new();
    let mut after = String::new();
    loop {
        let page = store.subjects_after(&after, 500).unwrap();
        let Some(last) = page.last() else { break };
        after = last.code.clone();
        for subject in page {
            for stored in store.records_of(&subject.code).unwrap() {
                let item = catalog.item(&stored.record.key.item).unwrap();
                for (code, value) in &stored.record.fields {
                    if item
                        .field(code)
                        .is_some_and(|f| f.ty == FieldType::IdNumber)
                    {
                        numbers.insert(key.unseal(value).unwrap());
                    }
                }
            }
        }
    }
    numbers
}

fn no_public_response_holds_an_identity_number_or_a_non_public_field(engine: Engine) {
    let server = TestServer::start_on(engine);
    let catalog = Catalog::embedded().unwrap();
    let numbers = plaintext_id_numbers(&server, &catalog);
    assert!(
        numbers.len() > 10,
        "the generated data fills identity numbers"
    );
    let hidden_fields: BTreeSet<&str> = catalog
        .items
        .iter()
        .flat_map(|item| {
            item.fields
                .iter()
                .filter(move |f| item.field_disclosure(f) > Disclosure::Public)
        })
        .map(|f| f.code.as_str())
        .collect();
    assert!(!hidden_fields.is_empty());
    let store = server.store();
    let mut bodies = Vec::new();
    let mut after = String::new();
    loop {
        let page = store.subjects_after(&after, 500).unwrap();
        let Some(last) = page.last() else { break };
        after = last.code.clone();
        for subject in page {
            let code = &subject.code;
            bodies.push(server.get_text(&format!("/api/v1/subjects/{code}"), None));
            bodies.push(server.get_text(&format!("/api/v1/subjects/{code}/records"), None));
            bodies.push(server.get_text(
                &format!("/api/v1/subjects?q={}", encode(&subject.name)),
                None,
            ));
            for stored in store.records_of(code).unwrap() {
                bodies.push(server.get_text(&format!("/api/v1/records/{}", stored.id), None));
                bodies
                    .push(server.get_text(&format!("/api/v1/records/{}/history", stored.id), None));
            }
        }
    }
    assert!(bodies.len() > 500);
    for (status, body) in &bodies {
        assert!(*status == 200 || *status == 404, "{status} {body}");
        for number in &numbers {
            assert!(
                !body.contains(number.as_str()),
                "an identity number reached the public: {body}"
            );
        }
        for field in &hidden_fields {
            assert!(
                !body.contains(&format!("\"{field}\"")),
                "non-public field {field} reached the public"
            );
        }
        assert!(!body.contains("enc1:"), "a sealed value reached the public");
    }
}

fn identity_numbers_are_whole_only_for_the_roles_that_need_them(engine: Engine) {
    let server = TestServer::start_on(engine);
    let catalog = Catalog::embedded().unwrap();
    let numbers = plaintext_id_numbers(&server, &catalog);
    let code = &server.subject_code;
    let path = format!("/api/v1/subjects/{code}?purpose=test");
    let (_, as_admin) = server.get_text(&path, Some(&server.admin));
    let (_, as_subject) = server.get_text(&path, Some(&server.subject));
    assert!(
        as_subject.contains("********"),
        "the subject sees its records, numbers masked"
    );
    assert!(
        numbers.iter().any(|n| as_admin.contains(n.as_str())),
        "the credit office sees them whole"
    );
    assert!(!numbers.iter().any(|n| as_subject.contains(n.as_str())));
}

fn an_identity_number_finds_its_subjects_for_the_roles_allowed_to_match_it(engine: Engine) {
    let server = TestServer::start_on(engine);
    let catalog = Catalog::embedded().unwrap();
    let store = server.store();
    let key = common::personal_key();
    let (number, subject) = store
        .records_of(&server.subject_code)
        .unwrap()
        .iter()
        .find_map(|stored| {
            let item = catalog.item(&stored.record.key.item)?;
            stored.record.fields.iter().find_map(|(code, value)| {
                (item.field(code)?.ty == FieldType::IdNumber)
                    .then(|| (key.unseal(value).unwrap(), server.subject_code.clone()))
            })
        })
        .expect("the sample subject has a record with an identity number");
    let path = format!("/api/v1/subjects?q={number}");
    let (status, public) = server.get_json(&path, None);
    assert_eq!(status, 200);
    assert!(
        !public["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["code"] == subject.as_str()),
        "the public cannot search by identity number"
    );
    let (_, without_purpose) = server.get_json(&path, Some(&server.admin));
    assert!(
        !without_purpose["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["code"] == subject.as_str()),
        "matching people needs a stated purpose"
    );
    let (_, admin) = server.get_json(&format!("{path}&purpose=test"), Some(&server.admin));
    let hit = admin["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["code"] == subject.as_str());
    assert_eq!(
        hit.map(|h| &h["matched"]),
        Some(&json!("legal_representative")),
        "{admin}"
    );
    let (_, entries) = server.get_json("/api/v1/audit?limit=100", Some(&server.auditor));
    let entry = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "search_personal" && e["subject"] == subject.as_str())
        .expect("the personal search is audited");
    assert_eq!(entry["purpose"], "test");
    let target = entry["target"].as_str().unwrap();
    assert!(
        !target.contains(&number),
        "the audit log holds no whole number: {target}"
    );
}

fn non_public_reads_need_a_purpose_and_are_audited(engine: Engine) {
    let server = TestServer::start_on(engine);
    let code = &server.subject_code;
    assert_eq!(
        error_of(server.get_json(&format!("/api/v1/subjects/{code}"), Some(&server.admin),)),
        (400, "purpose_required".to_owned())
    );
    let purpose = encode("行政许可审查");
    let (status, _) = server.get_json(
        &format!("/api/v1/subjects/{code}?purpose={purpose}"),
        Some(&server.department),
    );
    assert_eq!(status, 200);
    let (status, _) = server.get_json(&format!("/api/v1/subjects/{code}"), None);
    assert_eq!(status, 200, "the public needs no purpose");

    assert_eq!(
        error_of(server.get_json("/api/v1/audit", None)),
        (403, "forbidden".to_owned())
    );
    assert_eq!(
        error_of(server.get_json("/api/v1/audit", Some(&server.department))),
        (403, "forbidden".to_owned())
    );
    let (status, entries) = server.get_json(
        &format!("/api/v1/audit?subject={code}"),
        Some(&server.auditor),
    );
    assert_eq!(status, 200);
    let entries = entries.as_array().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "only the department's read went beyond the public view: {entries:?}"
    );
    assert_eq!(entries[0]["role"], "department");
    assert_eq!(entries[0]["unit"], server.department_unit.as_str());
    assert_eq!(entries[0]["purpose"], "行政许可审查");
    assert_eq!(entries[0]["action"], "read_profile");
    assert!(entries[0]["key_id"].as_str().is_some());
    let (status, export) = server.get_text("/api/v1/audit?format=jsonl", Some(&server.auditor));
    assert_eq!(status, 200);
    assert_eq!(export.lines().count(), 1);

    assert_eq!(
        error_of(server.get_json("/api/v1/subjects?q=test", Some("gx_not_a_key"))),
        (401, "invalid_key".to_owned())
    );
}

fn penalty_row(unit: &str, document_no: &str, name: &str, code: &str) -> Value {
    json!({
        "CF_XDR_MC": name, "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": code,
        "CF_FRDB": "张三", "CF_WSH": document_no, "CF_WFXW": "未按规定公示年度报告",
        "CF_SY": "违反《企业信息公示暂行条例》", "CF_YJ": "《企业信息公示暂行条例》第十八条",
        "CF_CFLB": "罚款", "CF_NR": "罚款1万元", "CF_NR_FK": "1", "CF_JDRQ": "2026-11-02",
        "CF_CFJG": "测试市场监督管理局", "CF_CFJGDM": unit, "CF_SJLY": "测试市场监督管理局", "CF_SJLYDM": unit
    })
}

fn a_department_submits_its_own_records_and_gets_the_per_row_report(engine: Engine) {
    let server = TestServer::start_on(engine);
    let unit = server.department_unit.clone();
    let batch = json!({
        "item": "admin_penalty",
        "records": [
            penalty_row(&unit, "测罚〔2026〕1号", "福州甲乙丙科技有限公司", "91350100M000100Y43"),
            penalty_row("11350100MB01917672", "测罚〔2026〕2号", "福州丁戊科技有限公司", "91350100M000100Y43"),
            penalty_row(&unit, "测罚〔2026〕3号", "福州己庚科技有限公司", "91350100M000100Y44"),
        ]
    });
    let (status, report) = server.post_json("/api/v1/records", Some(&server.department), &batch);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(report["rejected"], 2, "{report}");
    let codes: BTreeSet<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains("foreign_source_unit"), "{report}");
    for key in ["accepted", "rejected", "unchanged", "corrected", "problems"] {
        assert!(report.get(key).is_some(), "{key}");
    }
    let (_, again) = server.post_json("/api/v1/records", Some(&server.department), &batch);
    assert_eq!(again["unchanged"], 1, "{again}");

    // The event records the unit and the key.
    let store = server.store();
    let events = store
        .events_after(store.counts().unwrap().events - 1, 1)
        .unwrap();
    assert!(
        events[0].actor.contains(&unit) && events[0].actor.contains("key"),
        "{}",
        events[0].actor
    );

    let licence = json!({ "item": "admin_license", "records": [] });
    assert_eq!(
        error_of(server.post_json("/api/v1/records", Some(&server.department), &licence)),
        (403, "forbidden".to_owned())
    );
    assert_eq!(
        error_of(server.post_json(
            "/api/v1/records",
            Some(&server.department),
            &json!({"item": 3}),
        )),
        (400, "bad_request".to_owned())
    );

    // Found by search shortly after: the index follows the log.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, answer) =
            server.get_json(&format!("/api/v1/subjects?q={}", encode("甲乙丙")), None);
        if answer["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["code"] == "91350100M000100Y43")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new subject never became searchable"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn a_file_upload_goes_through_the_import_pipeline(engine: Engine) {
    let server = TestServer::start_on(engine);
    let file = server.incoming_file("admin_penalty");
    let bytes = std::fs::read(&file).unwrap();
    let mut response = agent()
        .post(server.url("/api/v1/files?item=admin_penalty&filename=penalties.csv"))
        .header("Authorization", &format!("Bearer {}", server.admin))
        .send(&bytes[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.body_mut().read_json().unwrap();
    // Everything was imported when the server started: the same file changes nothing.
    assert_eq!(report["accepted"], 0, "{report}");
    assert!(report["unchanged"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["files"], json!(["penalties.csv"]));
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["file"] == "penalties.csv")
    );

    let mut response = agent()
        .post(server.url("/api/v1/files?item=admin_penalty&filename=x.csv"))
        .header("Authorization", &format!("Bearer {}", server.subject))
        .send(&bytes[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let answer: Value = response.body_mut().read_json().unwrap();
    assert_eq!(answer["error"]["code"], "forbidden");
}

fn anonymous_scraping_is_rate_limited_but_keys_are_not(engine: Engine) {
    let server = TestServer::start_with(Options {
        public_requests_per_minute: 60,
        engine,
        ..Options::default()
    });
    let path = format!("/api/v1/subjects/{}", server.subject_code);
    let statuses: Vec<u16> = (0..8).map(|_| server.get_text(&path, None).0).collect();
    assert_eq!(&statuses[..5], &[200; 5], "a burst of normal use passes");
    assert!(statuses[5..].contains(&429), "{statuses:?}");
    assert_eq!(
        error_of(server.get_json(&path, None)),
        (429, "rate_limited".to_owned())
    );
    let keyed = format!("{path}?purpose=test");
    assert_eq!(server.get_text(&keyed, Some(&server.admin)).0, 200);
    assert_eq!(
        server.get_text("/healthz", None).0,
        200,
        "probes are not limited"
    );
}

fn timeliness_is_reported_per_source_unit(engine: Engine) {
    let server = TestServer::start_on(engine);
    let (status, report) = server.get_json("/api/v1/stats/timeliness", Some(&server.admin));
    assert_eq!(status, 200);
    assert_eq!(report["working_days_allowed"], 7);
    let units = report["units"].as_array().unwrap();
    assert!(!units.is_empty());
    let total: u64 = units.iter().map(|u| u["records"].as_u64().unwrap()).sum();
    assert_eq!(total, server.store().counts().unwrap().records);
    assert!(units.iter().all(
        |u| u["on_time"].as_u64().unwrap() + u["late"].as_u64().unwrap()
            == u["records"].as_u64().unwrap()
    ));
    let (status, _) = server.get_json("/api/v1/stats/timeliness", None);
    assert_eq!(status, 403);
}

fn a_profile_shows_the_newest_records_of_each_group_and_pages_the_rest(engine: Engine) {
    let server = TestServer::start_on(engine);
    let unit = server.department_unit.clone();
    let code = "91350100M000100Y43";
    // Fourteen penalties of one subject, two of them decided on the same day.
    let records: Vec<Value> = (1..=14)
        .map(|n| {
            let mut row = penalty_row(
                &unit,
                &format!("页罚〔2026〕{n}号"),
                "福州分页科技有限公司",
                code,
            );
            row["CF_JDRQ"] = json!(format!("2026-10-{:02}", n.min(13)));
            row
        })
        .collect();
    let batch = json!({ "item": "admin_penalty", "records": records });
    let (status, report) = server.post_json("/api/v1/records", Some(&server.department), &batch);
    assert_eq!(
        (status, report["accepted"].clone()),
        (200, json!(14)),
        "{report}"
    );

    let (status, profile) = server.get_json(&format!("/api/v1/subjects/{code}"), None);
    assert_eq!(status, 200, "{profile}");
    let group = profile["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["records"][0]["item"] == "admin_penalty")
        .expect("a group of penalties");
    let shown: Vec<&str> = group["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["document_no"].as_str().unwrap())
        .collect();
    // Newest first; on the same day the one stored later first.
    assert_eq!(shown.len(), 10, "{group}");
    assert_eq!(
        &shown[..3],
        ["页罚〔2026〕14号", "页罚〔2026〕13号", "页罚〔2026〕12号"]
    );
    let category = group["category"].as_str().unwrap();
    let next = group["next"].as_str().expect("more than the profile shows");

    // The rest, a page at a time from where the profile stopped, then the whole group.
    let records_of = |query: &str| {
        let (status, list) =
            server.get_json(&format!("/api/v1/subjects/{code}/records?{query}"), None);
        assert_eq!(status, 200, "{list}");
        let numbers: Vec<String> = list["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["document_no"].as_str().unwrap().to_owned())
            .collect();
        (numbers, list["next"].as_str().map(str::to_owned))
    };
    let (page, after) = records_of(&format!("category={category}&after={next}&limit=3"));
    assert_eq!(
        page,
        ["页罚〔2026〕4号", "页罚〔2026〕3号", "页罚〔2026〕2号"]
    );
    let (last, end) = records_of(&format!(
        "category={category}&after={}&limit=3",
        after.unwrap()
    ));
    assert_eq!(
        (last.as_slice(), end),
        (&["页罚〔2026〕1号".to_owned()][..], None)
    );
    let (whole, end) = records_of(&format!("category={category}"));
    assert_eq!(end, None);
    let paged: Vec<String> = shown
        .iter()
        .map(|s| (*s).to_owned())
        .chain(page)
        .chain(last)
        .collect();
    assert_eq!(whole, paged);

    for bad in [
        "after=yesterday",
        "limit=0",
        "limit=1001",
        "category=nonsense",
    ] {
        let path = format!("/api/v1/subjects/{code}/records?{bad}");
        assert_eq!(error_of(server.get_json(&path, None)).0, 400, "{bad}");
    }

    // The portal links the group to its own pages.
    let (status, entity) = server.get_text(&format!("/entity/{code}"), None);
    assert_eq!(status, 200);
    let link = format!("/entity/{code}/records?category={category}");
    assert!(entity.contains(&link), "{entity}");
    let (status, list) = server.get_text(&link, None);
    assert_eq!(status, 200);
    assert!(
        list.contains("页罚〔2026〕1号") && list.contains("页罚〔2026〕14号"),
        "{list}"
    );
    assert!(
        !list.contains("rel=\"next\""),
        "fourteen records fit on one page"
    );
}
