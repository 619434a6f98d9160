//! Push and feedback of joint reward and discipline over real HTTP: webhook subscriptions
//! delivered to receivers listening on loopback ports inside the test, signed, retried,
//! dead-lettered and replayed; expiry told on the day after an entry's last day; feedback on
//! checks, the statistics, and the typical-case register — each on SQLite and on PostgreSQL.

mod common;

use std::time::Duration;

use common::hooks::{Received, Receiver, wait_for};
use common::{Engine, Options, TestServer, agent, date, error_of, on_both_engines, unit_code};
use gongxin_core::access::Principal;
use gongxin_server::config::ServerConfig;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Push timings in milliseconds, so that retries and dead letters happen within a test.
fn fast_push(config: &mut ServerConfig) {
    config.push_interval_ms = 20;
    config.push_retry_base_ms = 150;
    config.push_max_attempts = 4;
    config.push_timeout_ms = 500;
    config.push_checked_within_days = 30;
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`, computed here, apart from
/// the server's code.
fn expected_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

// ---------------------------------------------------------------------------------------
// The platform: a listing unit, and departments that subscribe and check.

struct Setup {
    server: TestServer,
    lister: String,
    subject_name: String,
}

fn setup(engine: Engine, today: &str) -> Setup {
    let server = TestServer::start_with(Options {
        today: Some(date(today)),
        configure: fast_push,
        engine,
        ..Options::default()
    });
    let lister = server.key_for(Principal::Department {
        unit: unit_code(1),
        items: vec!["serious_dishonesty".to_owned()],
    });
    let subject_name = server
        .store()
        .subject(&server.subject_code)
        .unwrap()
        .unwrap()
        .name;
    Setup {
        server,
        lister,
        subject_name,
    }
}

/// A department of its own: its key.
fn department(server: &TestServer, n: u32) -> String {
    server.key_for(Principal::Department {
        unit: unit_code(n),
        items: Vec::new(),
    })
}

/// Subscribes `key` to `url` for `scenarios`: the answer, with the secret.
fn subscribe(server: &TestServer, key: &str, url: &str, scenarios: &[&str]) -> Value {
    let (status, answer) = server.post_json(
        "/api/v1/subscriptions",
        Some(key),
        &json!({"url": url, "scenarios": scenarios, "purpose": "联合奖惩措施实施"}),
    );
    assert_eq!(status, 200, "{answer}");
    answer
}

impl Setup {
    fn on(&self, day: &str) {
        self.server.clock.set(date(day));
    }

    /// Proposes a serious-dishonesty listing of the test subject on `proposed`, and decides
    /// it on `decided` (after the five working days of notice) until `until`. Returns the
    /// case and the entry's record id.
    fn list(
        &self,
        document_no: &str,
        proposed: &str,
        decided: &str,
        until: &str,
    ) -> (String, String) {
        self.on(proposed);
        let (status, case) = self.server.post_json(
            "/api/v1/listings",
            Some(&self.lister),
            &json!({
                "list": "serious_dishonesty",
                "subject": self.server.subject_code,
                "subject_name": self.subject_name,
                "document_no": document_no,
                "reasons": "拒不履行生效行政处罚决定",
                "basis": "《市场监督管理严重违法失信名单管理办法》第十条",
                "fields": {"名单类型": "市场监管", "认定单位": "厦门市市场监督管理局"},
            }),
        );
        assert_eq!(status, 200, "{case}");
        let id = case["id"].as_str().unwrap().to_owned();
        let record = case["record"].as_str().unwrap().to_owned();
        self.on(decided);
        let (status, case) = self.server.post_json(
            &format!("/api/v1/listings/{id}/decision"),
            Some(&self.lister),
            &json!({"decision": "list", "until": until}),
        );
        assert_eq!(status, 200, "{case}");
        assert_eq!(case["state"]["status"], "listed");
        (id, record)
    }

    fn check(&self, key: &str, scenario: &str) -> Value {
        let (status, answer) = self.server.post_json(
            "/api/v1/checks",
            Some(key),
            &json!({
                "subject": self.server.subject_code,
                "scenario": scenario,
                "purpose": "招标投标资格审查",
            }),
        );
        assert_eq!(status, 200, "{answer}");
        answer
    }

    fn deliveries(&self, key: &str, subscription: &str, query: &str) -> Vec<Value> {
        let (status, page) = self.server.get_json(
            &format!("/api/v1/subscriptions/{subscription}/deliveries?{query}"),
            Some(key),
        );
        assert_eq!(status, 200, "{page}");
        page["deliveries"].as_array().unwrap().clone()
    }
}

fn id_of(subscription: &Value) -> String {
    subscription["id"].as_str().unwrap().to_owned()
}

fn secret_of(subscription: &Value) -> String {
    subscription["secret"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------
// Every test but the last runs on SQLite and on PostgreSQL.

on_both_engines!(
    a_listing_reaches_the_units_it_concerns_signed_and_nobody_else,
    the_unit_that_must_act_on_a_case_hears_of_each_step_by_webhook,
    a_repair_and_a_revocation_reach_the_units_that_received_the_record,
    who_may_subscribe_and_what_is_refused,
    a_failing_receiver_is_retried_with_growing_delays_then_dead_then_replayed,
    an_entrys_expiry_is_told_on_the_day_after_its_last_day,
    feedback_is_about_measures_the_check_returned_and_adds_up_in_the_statistics,
    the_typical_case_register_shows_the_public_only_what_is_published,
);

fn a_listing_reaches_the_units_it_concerns_signed_and_nobody_else(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;

    // A procurement office subscribed for bidding; a unit that will check the subject and
    // subscribed for nothing in particular; a unit with nothing to do with it; one whose
    // receiver never answers.
    let (bidder, checker, unrelated, stuck) = (
        department(server, 3),
        department(server, 4),
        department(server, 5),
        department(server, 6),
    );
    let bid_hook = Receiver::start(200);
    let check_hook = Receiver::start(200);
    let unrelated_hook = Receiver::start(200);
    let stuck_hook = Receiver::start(0);
    let by_scenario = subscribe(server, &bidder, &bid_hook.url, &["bidding"]);
    let by_check = subscribe(server, &checker, &check_hook.url, &[]);
    let nobody = subscribe(server, &unrelated, &unrelated_hook.url, &[]);
    let hanging = subscribe(server, &stuck, &stuck_hook.url, &["bidding"]);
    assert!(secret_of(&by_scenario).starts_with("whsec_"));
    assert_eq!(by_scenario["signing"]["header"], "X-Gongxin-Signature");
    assert_eq!(by_scenario["scenarios"], json!(["bidding"]));
    assert_eq!(by_scenario["unit"], unit_code(3).as_str());

    // The secret is shown once: the list has none.
    let (status, listed) = server.get_json("/api/v1/subscriptions", Some(&bidder));
    assert_eq!(status, 200);
    assert_eq!(listed["subscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(listed["subscriptions"][0]["id"], by_scenario["id"]);
    assert!(listed["subscriptions"][0].get("secret").is_none());
    assert!(!listed.to_string().contains(&secret_of(&by_scenario)));

    // The checker checks the subject before it is listed.
    let before = s.check(&checker, "bidding");
    assert!(before["measures"].as_array().unwrap().is_empty());

    let (_, record) = s.list(
        "厦市监信〔2025〕31号",
        "2025-03-03",
        "2025-03-11",
        "2026-03-10",
    );

    for (hook, who) in [(&bid_hook, "bidding subscriber"), (&check_hook, "checker")] {
        assert!(
            wait_for(Duration::from_secs(10), || !hook.received().is_empty()),
            "the {who} is told"
        );
    }
    // The hanging receiver holds nobody up; it is tried, and times out.
    let hanging_id = id_of(&hanging);
    assert!(wait_for(Duration::from_secs(10), || {
        s.deliveries(&stuck, &hanging_id, "")
            .first()
            .is_some_and(|d| d["attempts"].as_u64().unwrap_or(0) >= 1)
    }));
    let stuck_delivery = &s.deliveries(&stuck, &hanging_id, "")[0];
    assert!(
        stuck_delivery["last_error"]
            .as_str()
            .unwrap()
            .contains("timeout"),
        "{stuck_delivery}"
    );
    assert!(!stuck_hook.of_kind("record_submitted").is_empty());

    // Give the dispatcher time to tell anyone else it would tell.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        unrelated_hook.received().is_empty(),
        "the unrelated unit hears nothing"
    );
    assert!(s.deliveries(&unrelated, &id_of(&nobody), "").is_empty());

    // Exactly the entry, once each, signed with each subscription's own secret; the body is
    // the event as the feed shows it to that unit.
    for (hook, subscription, key) in [
        (&bid_hook, &by_scenario, &bidder),
        (&check_hook, &by_check, &checker),
    ] {
        let received = hook.received();
        assert_eq!(received.len(), 1, "{received:?}");
        let delivery = &received[0];
        assert_eq!(delivery.header("X-Gongxin-Event"), "record_submitted");
        assert_eq!(delivery.header("Content-Type"), "application/json");
        assert_eq!(
            delivery.header("X-Gongxin-Signature"),
            expected_signature(&secret_of(subscription), &delivery.body)
        );
        assert_ne!(
            delivery.header("X-Gongxin-Signature"),
            expected_signature("whsec_wrong", &delivery.body)
        );
        let body = delivery.json();
        assert_eq!(body["record"], record.as_str());
        assert_eq!(body["kind"], "record_submitted");
        assert_eq!(body["view"]["item"], "serious_dishonesty");
        assert_eq!(body["view"]["document_no"], "厦市监信〔2025〕31号");
        let seq = body["seq"].as_u64().unwrap();
        let (status, page) = server.get_json(
            &format!("/api/v1/feed?after={}&limit=1&purpose=sync", seq - 1),
            Some(key),
        );
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["events"][0], body, "the feed shows it the same");

        let deliveries = s.deliveries(key, &id_of(subscription), "status=delivered");
        assert_eq!(deliveries.len(), 1);
        assert_eq!(
            delivery.header("X-Gongxin-Delivery"),
            deliveries[0]["id"].to_string()
        );
        assert_eq!(deliveries[0]["seq"], seq);
        assert_eq!(deliveries[0]["subject"], server.subject_code.as_str());
        assert_eq!(deliveries[0]["attempts"], 1);
    }
    // Each says why it was told.
    let why = |key: &str, subscription: &Value| {
        s.deliveries(key, &id_of(subscription), "")[0]["reasons"].clone()
    };
    assert_eq!(
        why(&bidder, &by_scenario),
        json!([{"why": "scenario", "scenario": "bidding"}])
    );
    let checked = why(&checker, &by_check);
    assert_eq!(checked[0]["why"], "checked");
    assert_eq!(checked.as_array().unwrap().len(), 1);

    // Another unit may not look at a subscription, nor delete it; its owner may.
    let (status, _) = server.get_json(
        &format!("/api/v1/subscriptions/{}/deliveries", id_of(&by_scenario)),
        Some(&checker),
    );
    assert_eq!(status, 403);
    let delete = |key: &str, id: &str| {
        let mut response = agent()
            .delete(server.url(&format!("/api/v1/subscriptions/{id}")))
            .header("Authorization", &format!("Bearer {key}"))
            .call()
            .unwrap();
        let status = response.status().as_u16();
        let body: Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        (status, body)
    };
    assert_eq!(delete(&checker, &id_of(&by_scenario)).0, 403);
    let (status, deleted) = delete(&bidder, &id_of(&by_scenario));
    assert_eq!(status, 200, "{deleted}");
    assert!(deleted["revoked_at"].is_string());
    assert_eq!(delete(&bidder, &id_of(&by_scenario)).0, 404);
    let (_, listed) = server.get_json("/api/v1/subscriptions", Some(&bidder));
    assert!(listed["subscriptions"].as_array().unwrap().is_empty());

    // Each delivery beyond the public view was audited before it left, with the
    // subscription's purpose.
    let (_, audit) = server.get_json("/api/v1/audit?limit=1000", Some(&server.auditor));
    let pushed: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "push" && e["unit"] == unit_code(3).as_str())
        .collect();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(pushed[0]["subject"], server.subject_code.as_str());
    assert_eq!(pushed[0]["purpose"], "联合奖惩措施实施");
    assert!(
        pushed[0]["target"]
            .as_str()
            .unwrap()
            .contains(&id_of(&by_scenario))
    );

    // Nothing of this is in the hash chain but the listing itself.
    server.assert_intact();
}

fn the_unit_that_must_act_on_a_case_hears_of_each_step_by_webhook(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;
    // The listing unit subscribes for no scenario: it hears of its own cases only.
    let hook = Receiver::start(200);
    let subscription = subscribe(server, &s.lister, &hook.url, &[]);
    let other = department(server, 7);
    let other_hook = Receiver::start(200);
    subscribe(server, &other, &other_hook.url, &[]);

    let (_, record) = s.list(
        "厦市监信〔2025〕77号",
        "2025-03-03",
        "2025-03-11",
        "2026-03-10",
    );
    // The subject objects to the entry: the source unit must decide it.
    s.on("2025-03-12");
    let (status, objection) = server.post_json(
        "/api/v1/objections",
        Some(&server.subject),
        &json!({"record": record, "grounds": "据以认定的处罚决定已被撤销"}),
    );
    assert_eq!(status, 200, "{objection}");
    assert!(
        wait_for(Duration::from_secs(10), || !hook
            .of_kind("objection_filed")
            .is_empty()),
        "the source unit is told of the objection"
    );
    let told = &hook.of_kind("objection_filed")[0];
    assert_eq!(
        told.header("X-Gongxin-Signature"),
        expected_signature(&secret_of(&subscription), &told.body)
    );
    let body: Value = serde_json::from_slice(&told.body).unwrap();
    assert_eq!(body["notice"]["case"], objection["id"]);
    assert_eq!(body["notice"]["due"], "2025-03-19");
    assert_eq!(body["notice"]["unit"], unit_code(1).as_str());
    assert!(
        body["notice"]["title_zh"]
            .as_str()
            .unwrap()
            .contains("异议处理中")
    );
    assert!(body.get("payload").is_none(), "no raw case: {body}");
    // Its own listing steps reached it too; the unrelated unit heard of none of it.
    assert!(!hook.of_kind("listing_decided").is_empty());
    assert!(other_hook.received().is_empty());
}

fn a_repair_and_a_revocation_reach_the_units_that_received_the_record(engine: Engine) {
    let s = setup(engine, "2025-06-03");
    let server = &s.server;
    let regulator_unit = unit_code(9);
    let regulator = server.key_for(Principal::Department {
        unit: regulator_unit.clone(),
        items: vec!["admin_penalty".to_owned()],
    });
    let company = common::company_code(31);
    let company_key = server.key_for(Principal::Subject {
        code: company.clone(),
    });
    // A procurement office hears of the penalties that bar suppliers.
    let buyer = department(server, 3);
    let hook = Receiver::start(200);
    subscribe(server, &buyer, &hook.url, &["government_procurement"]);

    let penalty = |document_no: &str, offence: &str| {
        let (status, report) = server.post_json(
            "/api/v1/records",
            Some(&regulator),
            &json!({"item": "admin_penalty", "records": [{
                "CF_XDR_MC": "厦门市推送示例有限公司", "CF_XDR_LB": "法人及非法人组织",
                "CF_XDR_SHXYM": company, "CF_FRDB": "王五", "CF_WSH": document_no,
                "CF_WFXW": offence, "CF_SY": "经查", "CF_YJ": "《中华人民共和国产品质量法》第五十条",
                "CF_CFLB": "责令停产停业", "CF_NR": "责令停产停业整顿", "CF_JDRQ": "2025-06-03",
                "CF_CFJG": "厦门市市场监督管理局", "CF_CFJGDM": regulator_unit,
                "CF_SJLY": "厦门市市场监督管理局", "CF_SJLYDM": regulator_unit
            }]}),
        );
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["accepted"], 1, "{report}");
        server
            .store()
            .records_of(&company)
            .unwrap()
            .into_iter()
            .find(|r| r.record.key.document_no == document_no)
            .unwrap()
            .id
            .to_string()
    };
    let repaired = penalty("厦市监罚〔2025〕201号", "生产销售不合格产品");
    let objected = penalty("厦市监罚〔2025〕202号", "无照经营");
    assert!(wait_for(Duration::from_secs(10), || {
        hook.of_kind("record_submitted").len() == 2
    }));

    // One is revoked on the subject's objection: the revocation is pushed.
    s.on("2025-06-10");
    let (status, objection) = server.post_json(
        "/api/v1/objections",
        Some(&company_key),
        &json!({"record": objected, "grounds": "处罚决定已被行政复议撤销"}),
    );
    assert_eq!(status, 200, "{objection}");
    let (status, decided) = server.post_json(
        &format!(
            "/api/v1/objections/{}/decision",
            objection["id"].as_str().unwrap()
        ),
        Some(&regulator),
        &json!({"outcome": "revoke", "reason": "复议决定撤销原处罚"}),
    );
    assert_eq!(status, 200, "{decided}");
    assert!(
        wait_for(Duration::from_secs(10), || !hook
            .of_kind("record_revoked")
            .is_empty()),
        "the revocation reaches the buyer"
    );
    let revoked: Value = serde_json::from_slice(&hook.of_kind("record_revoked")[0].body).unwrap();
    assert_eq!(revoked["record"], objected.as_str());
    assert_eq!(revoked["view"]["status"], "revoked");

    // The other is repaired after its minimum period: the approval is pushed.
    s.on("2025-09-30");
    let attachment = |bytes: &[u8]| {
        let (status, answer) = server.post_bytes(
            "/api/v1/attachments?filename=proof.pdf",
            Some(&company_key),
            bytes,
        );
        assert_eq!(status, 200, "{answer}");
        answer["id"].as_str().unwrap().to_owned()
    };
    let receipt = attachment(b"%PDF-1.4\n% receipt\n%%EOF\n");
    let report = attachment(b"%PDF-1.4\n% report\n%%EOF\n");
    let (status, case) = server.post_json(
        "/api/v1/repairs",
        Some(&company_key),
        &json!({
            "record": repaired,
            "statement": "已停业整顿并通过复查",
            "given": [
                {"condition": "obligations_fulfilled", "attachments": [receipt]},
                {"condition": "effects_removed", "attachments": [report]},
                {"condition": "commitment", "signed": true},
            ],
        }),
    );
    assert_eq!(status, 200, "{case}");
    s.on("2025-10-09");
    let (status, approved) = server.post_json(
        &format!("/api/v1/repairs/{}/decision", case["id"].as_str().unwrap()),
        Some(&regulator),
        &json!({"outcome": "approved", "reason": "符合修复条件"}),
    );
    assert_eq!(status, 200, "{approved}");
    assert!(
        wait_for(Duration::from_secs(10), || !hook
            .of_kind("repair_decided")
            .is_empty()),
        "the repair reaches the buyer"
    );
    let told = &hook.of_kind("repair_decided")[0];
    let body: Value = serde_json::from_slice(&told.body).unwrap();
    assert_eq!(body["record"], repaired.as_str());
    assert_eq!(body["repair"]["repaired_on"], "2025-10-09");
    assert_eq!(body["repair"]["publication_ends"], "2025-10-08");
    assert_eq!(body["view"]["repaired_on"], "2025-10-09");
    // Within the three working days the decision promised (10-10, 10-11, 10-13).
    assert_eq!(approved["state"]["push_by"], "2025-10-13");
    // The filing itself is not the buyer's business.
    assert!(hook.of_kind("repair_filed").is_empty());
    server.assert_intact();
}

fn who_may_subscribe_and_what_is_refused(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;
    let key = department(server, 3);
    let post = |key: Option<&str>, body: Value| {
        error_of(server.post_json("/api/v1/subscriptions", key, &body))
    };
    let good = |url: &str| json!({"url": url, "scenarios": ["bidding"], "purpose": "实施"});
    assert_eq!(
        post(None, good("http://127.0.0.1:9/h")),
        (401, "invalid_key".to_owned())
    );
    for other in [&server.admin, &server.auditor, &server.subject] {
        assert_eq!(
            post(Some(other), good("http://127.0.0.1:9/h")),
            (403, "forbidden".to_owned())
        );
    }
    for url in [
        "ftp://example.com/h",
        "example.com/h",
        "http://u:p@example.com/h",
    ] {
        assert_eq!(
            post(Some(&key), good(url)),
            (400, "bad_request".to_owned()),
            "{url}"
        );
    }
    assert_eq!(
        post(
            Some(&key),
            json!({"url": "http://127.0.0.1:9/h", "scenarios": ["lottery"], "purpose": "实施"})
        ),
        (400, "unknown_scenario".to_owned())
    );
    assert_eq!(
        post(
            Some(&key),
            json!({"url": "http://127.0.0.1:9/h", "scenarios": [], "purpose": " "})
        ),
        (400, "purpose_required".to_owned())
    );
    let made = subscribe(
        server,
        &key,
        "https://credit.example.gov.cn/hook",
        &["bidding", "bidding"],
    );
    assert_eq!(
        made["scenarios"],
        json!(["bidding"]),
        "duplicates are dropped"
    );
    // Creating one is audited, with its purpose.
    let (_, audit) = server.get_json("/api/v1/audit?limit=1000", Some(&server.auditor));
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "subscribe")
        .expect("an audit entry");
    assert_eq!(entry["target"], made["id"]);
    assert_eq!(entry["purpose"], "联合奖惩措施实施");
    assert_eq!(entry["unit"], unit_code(3).as_str());
    // Unknown subscriptions.
    let (status, _) = server.get_json("/api/v1/subscriptions/sub_nope/deliveries", Some(&key));
    assert_eq!(status, 404);
    let (status, answer) = server.get_json(
        &format!(
            "/api/v1/subscriptions/{}/deliveries?status=lost",
            id_of(&made)
        ),
        Some(&key),
    );
    assert_eq!(error_of((status, answer)), (400, "bad_request".to_owned()));
    // The credit office sees every unit's subscriptions.
    let (_, all) = server.get_json("/api/v1/subscriptions", Some(&server.admin));
    assert_eq!(all["subscriptions"].as_array().unwrap().len(), 1);
}

fn a_failing_receiver_is_retried_with_growing_delays_then_dead_then_replayed(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;
    let key = department(server, 3);
    let hook = Receiver::start(500);
    let subscription = subscribe(server, &key, &hook.url, &["government_procurement"]);
    let id = id_of(&subscription);
    let secret = secret_of(&subscription);

    s.list(
        "厦市监信〔2025〕41号",
        "2025-03-03",
        "2025-03-11",
        "2026-03-10",
    );

    // Four attempts (the configured most), 150 ms, 300 ms and 600 ms apart at least.
    assert!(wait_for(Duration::from_secs(15), || {
        s.deliveries(&key, &id, "status=dead").len() == 1
    }));
    let attempts = hook.received();
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (gap, least) in gaps.iter().zip([150, 300, 600]) {
        assert!(*gap >= Duration::from_millis(least), "{gaps:?}");
    }
    assert!(gaps[0] < gaps[1] && gaps[1] < gaps[2], "growing: {gaps:?}");
    // The same delivery each time, signed each time.
    let delivery_id = attempts[0].header("X-Gongxin-Delivery").to_owned();
    for attempt in &attempts {
        assert_eq!(attempt.header("X-Gongxin-Delivery"), delivery_id);
        assert_eq!(
            attempt.header("X-Gongxin-Signature"),
            expected_signature(&secret, &attempt.body)
        );
    }

    // The dead-letter view.
    let dead = s.deliveries(&key, &id, "status=dead");
    assert_eq!(dead[0]["id"].to_string(), delivery_id);
    assert_eq!(dead[0]["attempts"], 4);
    assert_eq!(dead[0]["last_error"], "HTTP 500");
    assert_eq!(dead[0]["kind"], "record_submitted");
    assert!(dead[0].get("next_attempt_at").is_none());
    assert!(s.deliveries(&key, &id, "status=pending").is_empty());
    // It stays dead: nothing more arrives.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(hook.received().len(), 4);

    // The receiver recovers; a replay of the dead letters delivers it once more.
    hook.set_status(204);
    let (status, replayed) = server.post_json(
        &format!("/api/v1/subscriptions/{id}/replay"),
        Some(&key),
        &json!({}),
    );
    assert_eq!(status, 200, "{replayed}");
    assert_eq!(replayed["requeued"], 1);
    assert!(wait_for(Duration::from_secs(10), || {
        s.deliveries(&key, &id, "status=delivered").len() == 1
    }));
    let received = hook.received();
    assert_eq!(received.len(), 5);
    assert_eq!(received[4].header("X-Gongxin-Delivery"), delivery_id);
    assert_eq!(
        received[4].header("X-Gongxin-Signature"),
        expected_signature(&secret, &received[4].body)
    );
    assert_eq!(received[4].json()["seq"], attempts[0].json()["seq"]);
    assert!(s.deliveries(&key, &id, "status=dead").is_empty());
    let delivered = &s.deliveries(&key, &id, "status=delivered")[0];
    assert_eq!(delivered["attempts"], 1, "attempts count from the replay");
    assert!(delivered["delivered_at"].is_string());

    // Nothing dead left: a replay finds nothing; from a position, everything from there.
    let (_, again) = server.post_json(
        &format!("/api/v1/subscriptions/{id}/replay"),
        Some(&key),
        &json!({}),
    );
    assert_eq!(again["requeued"], 0);
    let seq = delivered["seq"].as_u64().unwrap();
    let (_, from) = server.post_json(
        &format!("/api/v1/subscriptions/{id}/replay"),
        Some(&key),
        &json!({"from_seq": seq}),
    );
    assert_eq!(from["requeued"], 1);
    assert!(wait_for(Duration::from_secs(10), || hook.received().len() == 6));
    // Another unit may not replay it.
    let other = department(server, 4);
    let (status, _) = server.post_json(
        &format!("/api/v1/subscriptions/{id}/replay"),
        Some(&other),
        &json!({}),
    );
    assert_eq!(status, 403);
}

fn an_entrys_expiry_is_told_on_the_day_after_its_last_day(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;
    let key = department(server, 3);
    let hook = Receiver::start(200);
    let subscription = subscribe(server, &key, &hook.url, &["bidding"]);
    let secret = secret_of(&subscription);

    let (_, record) = s.list(
        "厦市监信〔2025〕51号",
        "2025-03-03",
        "2025-03-11",
        "2025-04-30",
    );
    assert!(wait_for(Duration::from_secs(10), || hook
        .of_kind("record_submitted")
        .len()
        == 1));
    let events_before = server.store().counts().unwrap().events;

    let expiries_of_ours = || -> Vec<Received> {
        hook.of_kind("entry_expired")
            .into_iter()
            .filter(|r| r.json()["record"] == record.as_str())
            .collect()
    };
    // In force on its last day: nothing to tell.
    s.on("2025-04-30");
    std::thread::sleep(Duration::from_millis(600));
    assert!(expiries_of_ours().is_empty());
    assert_eq!(
        s.check(&key, "bidding")["hits"][0]["record"],
        record.as_str()
    );

    // The day after, it is told, once, signed.
    s.on("2025-05-01");
    let told = wait_for(Duration::from_secs(10), || expiries_of_ours().len() == 1);
    assert!(told, "{:?}", s.deliveries(&key, &id_of(&subscription), ""));
    let told = &expiries_of_ours()[0];
    assert_eq!(
        told.header("X-Gongxin-Signature"),
        expected_signature(&secret, &told.body)
    );
    let body = told.json();
    assert_eq!(body["kind"], "entry_expired");
    assert_eq!(body["list"], "serious_dishonesty");
    assert_eq!(body["last_day"], "2025-04-30");
    assert_eq!(body["ended_on"], "2025-05-01");
    assert_eq!(body["subject"], server.subject_code.as_str());
    assert_eq!(body["view"]["id"], record.as_str());
    assert_eq!(body["view"]["item"], "serious_dishonesty");
    assert!(body.get("hash").is_none(), "not an event of the chain");
    assert!(
        s.check(&key, "bidding")["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["record"] != record.as_str())
    );

    // The deliveries table holds it, with the day; the log does not.
    let deliveries = s.deliveries(&key, &id_of(&subscription), "");
    let notice = deliveries
        .iter()
        .find(|d| d["kind"] == "entry_expired" && d["record"] == record.as_str())
        .expect("the notice is a delivery");
    assert_eq!(notice["on"], "2025-05-01");
    assert_eq!(notice["status"], "delivered");
    assert_eq!(
        notice["reasons"],
        json!([{"why": "scenario", "scenario": "bidding"}])
    );
    assert_eq!(server.store().counts().unwrap().events, events_before);

    // Days go by: it is not told again.
    s.on("2025-05-02");
    std::thread::sleep(Duration::from_millis(400));
    s.on("2025-06-15");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(expiries_of_ours().len(), 1);
    server.assert_intact();
}

fn feedback_is_about_measures_the_check_returned_and_adds_up_in_the_statistics(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;
    let checker = department(server, 3);
    let stranger = department(server, 4);
    let province = format!("{}0000", &server.subject_code[2..4]);
    let stats = |key: &str| {
        let (status, stats) = server.get_json("/api/v1/stats/discipline", Some(key));
        assert_eq!(status, 200, "{stats}");
        stats
    };
    let in_force = |stats: &Value| {
        stats["entries_in_force"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["list"] == "serious_dishonesty" && e["province"] == province.as_str())
            .map(|e| e["entries"].as_u64().unwrap())
            .sum::<u64>()
    };
    let entries_before = in_force(&stats(&server.auditor));

    s.list(
        "厦市监信〔2025〕61号",
        "2025-03-03",
        "2025-03-11",
        "2026-03-10",
    );
    let answer = s.check(&checker, "bidding");
    let returned: Vec<&str> = answer["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(returned, ["public_resources_restriction"]);
    let receipt = answer["receipt"].as_str().unwrap().to_owned();
    let feedback = |key: &str, body: Value| {
        server.post_json(
            &format!("/api/v1/checks/{receipt}/feedback"),
            Some(key),
            &body,
        )
    };

    // Proportionality: nothing the platform did not name can be reported applied.
    let (status, refused) = feedback(
        &checker,
        json!({"measure": "executive_bar_serious_list", "outcome": "applied"}),
    );
    assert_eq!(
        error_of((status, refused.clone())),
        (422, "step_refused".to_owned())
    );
    assert!(
        refused["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("did not return")
    );
    assert_eq!(
        error_of(feedback(
            &checker,
            json!({"measure": "no_such_measure", "outcome": "applied"})
        )),
        (422, "step_refused".to_owned())
    );
    // `not_applicable` needs its reason; outcomes are the two documented.
    assert_eq!(
        error_of(feedback(
            &checker,
            json!({"measure": "public_resources_restriction", "outcome": "not_applicable", "reason": " "})
        )),
        (400, "bad_request".to_owned())
    );
    assert_eq!(
        error_of(feedback(
            &checker,
            json!({"measure": "public_resources_restriction", "outcome": "ignored"})
        )),
        (400, "bad_request".to_owned())
    );
    // Only the unit that checked reports.
    assert_eq!(
        error_of(feedback(
            &stranger,
            json!({"measure": "public_resources_restriction", "outcome": "applied"})
        )),
        (403, "forbidden".to_owned())
    );
    assert_eq!(
        error_of(server.post_json(
            "/api/v1/checks/ck_nope/feedback",
            Some(&checker),
            &json!({"measure": "public_resources_restriction", "outcome": "applied"})
        )),
        (404, "not_found".to_owned())
    );
    let (status, reported) = feedback(
        &checker,
        json!({"measure": "public_resources_restriction", "outcome": "applied", "reason": "取消其投标资格"}),
    );
    assert_eq!(status, 200, "{reported}");
    assert_eq!(reported["outcome"], "applied");
    assert_eq!(reported["unit"], unit_code(3).as_str());
    assert_eq!(reported["subject"], server.subject_code.as_str());
    assert_eq!(reported["receipt"], receipt.as_str());
    // Once per receipt and measure.
    assert_eq!(
        error_of(feedback(
            &checker,
            json!({"measure": "public_resources_restriction", "outcome": "not_applicable", "reason": "x"})
        )),
        (409, "conflict".to_owned())
    );
    // A second check, reported not applicable with the reason.
    let second = s.check(&checker, "bidding");
    let (status, _) = server.post_json(
        &format!("/api/v1/checks/{}/feedback", second["receipt"].as_str().unwrap()),
        Some(&checker),
        &json!({"measure": "public_resources_restriction", "outcome": "not_applicable", "reason": "该项目不属于公共资源交易"}),
    );
    assert_eq!(status, 200);
    // A third, not reported.
    s.check(&checker, "bidding");

    let after = stats(&server.admin);
    assert_eq!(after["on"], "2025-03-11");
    assert_eq!(in_force(&after), entries_before + 1);
    let province_name = after["entries_in_force"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["province"] == province.as_str())
        .unwrap()["province_name"]
        .clone();
    assert!(!province_name.as_str().unwrap().is_empty(), "{after}");
    let checks: Vec<&Value> = after["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["unit"] == unit_code(3).as_str())
        .collect();
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0]["scenario"], "bidding");
    assert_eq!(checks[0]["checks"], 3);
    let measure = after["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| {
            m["measure"] == "public_resources_restriction" && m["unit"] == unit_code(3).as_str()
        })
        .expect("the measure's tally");
    assert_eq!(
        (
            &measure["returned"],
            &measure["applied"],
            &measure["not_applicable"],
            &measure["unreported"],
            &measure["suspended"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!(1), &json!(0))
    );
    assert!(measure["content_zh"].is_string());
    // A period before the checks counts none of them.
    let (_, earlier) = server.get_json(
        "/api/v1/stats/discipline?from=2020-01-01&to=2020-12-31",
        Some(&server.admin),
    );
    assert!(earlier["checks"].as_array().unwrap().is_empty());
    assert!(earlier["measures"].as_array().unwrap().is_empty());
    // Statistics are for the credit office and auditors.
    let (status, _) = server.get_json("/api/v1/stats/discipline", Some(&checker));
    assert_eq!(status, 403);
    let (status, _) = server.get_json("/api/v1/stats/discipline", None);
    assert_eq!(status, 401);
}

fn the_typical_case_register_shows_the_public_only_what_is_published(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;
    let (case, record) = s.list(
        "厦市监信〔2025〕71号",
        "2025-03-03",
        "2025-03-11",
        "2026-03-10",
    );
    let register =
        |key: Option<&str>, body: Value| server.post_json("/api/v1/typical-cases", key, &body);
    let entry = |title: &str, published: bool| {
        json!({
            "title": title,
            "subject": server.subject_code,
            "records": [record],
            "cases": [case],
            "summary_zh": "该公司拒不履行生效行政处罚决定，经告知、异议和认定程序列入严重失信主体名单。",
            "published": published,
        })
    };
    // Personal data is refused: the register is published.
    let mut with_id = entry("拒不履行处罚决定", true);
    with_id["summary_zh"] = json!("法定代表人（身份证号 350203198001011235）拒不履行。");
    assert_eq!(
        error_of(register(Some(&server.admin), with_id)),
        (400, "bad_request".to_owned())
    );
    // Only the credit office keeps the register; references must be about the subject.
    assert_eq!(
        error_of(register(Some(&server.department), entry("x", true))),
        (403, "forbidden".to_owned())
    );
    let mut foreign = entry("x", true);
    foreign["records"] = json!(["00000000000000000000000000000000"]);
    assert_eq!(
        error_of(register(Some(&server.admin), foreign)),
        (400, "bad_request".to_owned())
    );

    let (status, draft) = register(Some(&server.admin), entry("草稿：尚未发布的案例", false));
    assert_eq!(status, 200, "{draft}");
    assert_eq!(draft["published"], false);
    assert_eq!(draft["subject_name"], s.subject_name.as_str());
    let (status, shown) = register(
        Some(&server.admin),
        entry("拒不履行处罚决定被列入严重失信名单", true),
    );
    assert_eq!(status, 200, "{shown}");
    assert!(shown["published_at"].is_string());

    // The public sees the published one, without cases or author, and only records it may
    // open itself.
    let (status, public) = server.get_json("/api/v1/typical-cases", None);
    assert_eq!(status, 200, "{public}");
    let cases = public["typical_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{public}");
    assert_eq!(cases[0]["id"], shown["id"]);
    assert_eq!(cases[0]["title"], "拒不履行处罚决定被列入严重失信名单");
    assert!(cases[0].get("cases").is_none());
    assert!(cases[0].get("created_by").is_none());
    assert!(!public.to_string().contains("草稿"));
    let (record_status, _) = server.get_text(&format!("/api/v1/records/{record}"), None);
    let expected_records = if record_status == 200 {
        json!([record])
    } else {
        json!([])
    };
    assert_eq!(cases[0]["records"], expected_records);
    // The credit office and auditors see every entry.
    let (_, full) = server.get_json("/api/v1/typical-cases", Some(&server.auditor));
    let all = full["typical_cases"].as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["published"], false);
    assert_eq!(all[0]["cases"], json!([case]));

    // Published later, it shows; publishing twice is refused.
    let publish = |key: &str, id: &Value| {
        server.post_json(
            &format!("/api/v1/typical-cases/{}/publication", id.as_str().unwrap()),
            Some(key),
            &json!({}),
        )
    };
    assert_eq!(publish(&server.auditor, &draft["id"]).0, 403);
    let (status, published) = publish(&server.admin, &draft["id"]);
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["published"], true);
    assert_eq!(
        error_of(publish(&server.admin, &draft["id"])),
        (409, "conflict".to_owned())
    );
    assert_eq!(
        error_of(publish(&server.admin, &json!("tc_nope"))),
        (404, "not_found".to_owned())
    );
    let (_, public) = server.get_json("/api/v1/typical-cases", None);
    assert_eq!(public["typical_cases"].as_array().unwrap().len(), 2);
}

#[test]
fn push_is_documented() {
    let spec: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let paths = &spec["paths"];
    for (path, method) in [
        ("/api/v1/subscriptions", "post"),
        ("/api/v1/subscriptions", "get"),
        ("/api/v1/subscriptions/{id}", "delete"),
        ("/api/v1/subscriptions/{id}/deliveries", "get"),
        ("/api/v1/subscriptions/{id}/replay", "post"),
        ("/api/v1/checks/{receipt}/feedback", "post"),
        ("/api/v1/stats/discipline", "get"),
        ("/api/v1/typical-cases", "get"),
        ("/api/v1/typical-cases", "post"),
        ("/api/v1/typical-cases/{id}/publication", "post"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    let schemas = &spec["components"]["schemas"];
    for (schema, fields) in [
        (
            "NewSubscription",
            &["id", "url", "scenarios", "secret", "signing"][..],
        ),
        (
            "Delivery",
            &[
                "id",
                "seq",
                "kind",
                "status",
                "attempts",
                "last_error",
                "reasons",
            ][..],
        ),
        (
            "ExpiryNotice",
            &["kind", "record", "last_day", "ended_on", "view"][..],
        ),
        ("FeedbackRequest", &["measure", "outcome", "reason"][..]),
        (
            "DisciplineStats",
            &["entries_in_force", "checks", "measures"][..],
        ),
    ] {
        for field in fields {
            assert!(
                schemas[schema]["properties"].get(*field).is_some(),
                "{schema}.{field}"
            );
        }
    }
}
