//! Joint reward and discipline over HTTP: listing with due process, checks with receipts and
//! replays, objections that suspend discipline, expiry on the exact day — on a fixed clock
//! moved across the National Day holidays. Each test on SQLite and on PostgreSQL (a schema of
//! its own).

mod common;

use common::{Engine, Options, TestServer, date, error_of, on_both_engines, unit_code};
use gongxin_core::access::Principal;
use serde_json::{Value, json};

struct Setup {
    server: TestServer,
    /// The market regulator that lists.
    lister: String,
    lister_unit: String,
    /// A procurement office that checks applicants.
    checker: String,
    subject_name: String,
}

fn setup(engine: Engine, today: &str) -> Setup {
    let server = TestServer::start_with(Options {
        today: Some(date(today)),
        engine,
        ..Options::default()
    });
    let lister_unit = unit_code(1);
    let lister = server.key_for(Principal::Department {
        unit: lister_unit.clone(),
        items: vec!["serious_dishonesty".to_owned(), "key_attention".to_owned()],
    });
    let checker = server.key_for(Principal::Department {
        unit: unit_code(2),
        items: Vec::new(),
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
        lister_unit,
        checker,
        subject_name,
    }
}

impl Setup {
    fn propose(&self, list: &str, document_no: &str, fields: Value) -> (u16, Value) {
        self.server.post_json(
            "/api/v1/listings",
            Some(&self.lister),
            &json!({
                "list": list,
                "subject": self.server.subject_code,
                "subject_name": self.subject_name,
                "document_no": document_no,
                "reasons": "拒不履行生效行政处罚决定",
                "basis": "《市场监督管理严重违法失信名单管理办法》第十条",
                "fields": fields,
            }),
        )
    }

    fn check(&self, scenario: &str) -> Value {
        let (status, answer) = self.server.post_json(
            "/api/v1/checks",
            Some(&self.checker),
            &json!({
                "subject": self.server.subject_code,
                "scenario": scenario,
                "purpose": "政府采购供应商资格审查",
            }),
        );
        assert_eq!(status, 200, "{answer}");
        answer
    }

    fn on(&self, day: &str) {
        self.server.clock.set(date(day));
    }
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect()
}

fn event_kinds(case: &Value) -> Vec<&str> {
    case["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect()
}

on_both_engines!(
    a_listing_goes_through_notice_objection_and_decision_and_the_check_follows_it,
    removal_proportionality_and_responsible_persons,
    who_may_check_and_what_a_bad_request_gets,
);

fn a_listing_goes_through_notice_objection_and_decision_and_the_check_follows_it(engine: Engine) {
    let s = setup(engine, "2025-09-30");
    let server = &s.server;

    let (status, case) = s.propose(
        "serious_dishonesty",
        "厦市监信〔2025〕7号",
        json!({"名单类型": "市场监管", "认定单位": "厦门市市场监督管理局"}),
    );
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"]["status"], "proposed");
    // Five working days after 30 September, across the National Day holidays.
    assert_eq!(case["due"], "2025-10-14");
    let id = case["id"].as_str().unwrap().to_owned();
    let record = case["record"].as_str().unwrap().to_owned();

    // Not in force while proposed: nothing hits.
    assert!(s.check("bidding")["hits"].as_array().unwrap().is_empty());

    // The subject objects within the window.
    s.on("2025-10-09");
    let (status, case) = server.post_json(
        &format!("/api/v1/listings/{id}/objection"),
        Some(&server.subject),
        &json!({"grounds": "处罚决定已于9月履行完毕，附缴款凭证"}),
    );
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"]["objection"]["filed_on"], "2025-10-09");

    // The unit may not decide while the window runs, nor without answering the objection.
    s.on("2025-10-14");
    let decide = |body: Value| {
        server.post_json(
            &format!("/api/v1/listings/{id}/decision"),
            Some(&s.lister),
            &body,
        )
    };
    let (status, refused) = decide(json!({"decision": "list", "until": "2026-10-14"}));
    assert_eq!(
        error_of((status, refused.clone())),
        (422, "step_refused".to_owned())
    );
    assert!(
        refused["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("objection_window_open")
    );
    s.on("2025-10-15");
    let (status, refused) = decide(json!({"decision": "list", "until": "2026-10-14"}));
    assert_eq!(status, 422);
    assert!(
        refused["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("objection_unanswered")
    );
    // Nobody else decides for the unit.
    let (status, _) = server.post_json(
        &format!("/api/v1/listings/{id}/decision"),
        Some(&s.checker),
        &json!({"decision": "list"}),
    );
    assert_eq!(status, 403);
    let (status, case) = decide(json!({
        "decision": "list",
        "until": "2026-10-14",
        "answer": "经核实，缴款凭证所涉为另一案件，异议不成立",
    }));
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"]["status"], "listed");
    assert_eq!(case["state"]["in_force_from"], "2025-10-15");
    assert_eq!(
        event_kinds(&case),
        ["listing_proposed", "listing_objected", "listing_decided"]
    );

    // The listed entity sees why and until when: its case, and the entry in its profile.
    let (status, own_case) =
        server.get_json(&format!("/api/v1/listings/{id}"), Some(&server.subject));
    assert_eq!(status, 200, "{own_case}");
    assert_eq!(
        own_case["state"]["proposal"]["reasons"],
        "拒不履行生效行政处罚决定"
    );
    assert_eq!(own_case["state"]["until"], "2026-10-14");
    assert_eq!(
        own_case["state"]["objection"]["answer"],
        "经核实，缴款凭证所涉为另一案件，异议不成立"
    );
    let (status, profile) = server.get_json(
        &format!("/api/v1/subjects/{}", server.subject_code),
        Some(&server.subject),
    );
    assert_eq!(status, 200);
    let profile_text = profile.to_string();
    for shown in [
        "拒不履行生效行政处罚决定",
        "2026-10-14",
        "厦市监信〔2025〕7号",
    ] {
        assert!(profile_text.contains(shown), "the profile lacks {shown}");
    }
    // And all of it in one place: the entry with its reasons and how to leave the list, the
    // checks units ran on it, and who read its non-public information for what purpose.
    let (status, me) = server.get_json("/api/v1/me", Some(&server.subject));
    assert_eq!(status, 200, "{me}");
    let entry = me["list_entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["record"] == record.as_str())
        .expect("the entry is listed");
    assert_eq!(entry["in_force"], true);
    assert_eq!(entry["until"], "2026-10-14");
    assert_eq!(entry["reasons"], "拒不履行生效行政处罚决定");
    assert_eq!(entry["repairable"], true);
    assert!(
        !entry["removal_conditions_zh"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        me["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    assert!(!me["checks"].as_array().unwrap().is_empty());
    assert!(me["checks"][0]["unit"].is_string());
    let reads: Vec<&Value> = me["access_log"].as_array().unwrap().iter().collect();
    assert!(
        reads
            .iter()
            .any(|e| e["action"] == "check" && e["purpose"] == "政府采购供应商资格审查"),
        "{reads:?}"
    );
    assert!(reads.iter().all(|e| e["role"] != "subject"));
    // Only a subject's own key.
    assert_eq!(server.get_json("/api/v1/me", Some(&s.checker)).0, 403);
    assert_eq!(server.get_json("/api/v1/me", None).0, 401);

    // Another subject may not read the case.
    let stranger = server.key_for(Principal::Subject {
        code: unit_code(55),
    });
    let (status, _) = server.get_json(&format!("/api/v1/listings/{id}"), Some(&stranger));
    assert_eq!(status, 403);

    // The decided entry is a record of its item, under the case's id.
    let stored = server
        .store()
        .record(&record.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(stored.record.key.item, "serious_dishonesty");
    assert_eq!(stored.record.decision_date, date("2025-10-15"));

    // A check now returns the restriction with its basis, and a receipt.
    let answer = s.check("bidding");
    assert_eq!(answer["hits"][0]["record"], record.as_str());
    assert_eq!(answer["hits"][0]["list"], "serious_dishonesty");
    assert_eq!(answer["hits"][0]["in_force_until"], "2026-10-14");
    assert_eq!(ids(&answer["measures"]), ["public_resources_restriction"]);
    assert_eq!(answer["measures"][0]["mandatory"], true);
    assert_eq!(answer["measures"][0]["basis"][0]["article"], "第十八条");
    assert_eq!(answer["measures"][0]["suspended"], false);
    let first_receipt = answer["receipt"].as_str().unwrap().to_owned();
    assert!(first_receipt.starts_with("ck_"));

    // The subject objects to the entry: discipline is suspended the same day.
    s.on("2025-10-16");
    let (status, objection) = server.post_json(
        "/api/v1/objections",
        Some(&server.subject),
        &json!({"record": record, "grounds": "认定所依据的处罚决定已被复议撤销"}),
    );
    assert_eq!(status, 200, "{objection}");
    // Decided within five working days.
    assert_eq!(objection["due"], "2025-10-23");
    let objection_id = objection["id"].as_str().unwrap().to_owned();
    let suspended = s.check("bidding");
    assert_eq!(suspended["hits"][0]["suspended"], true);
    assert_eq!(suspended["measures"][0]["suspended"], true);
    let suspended_receipt = suspended["receipt"].as_str().unwrap().to_owned();

    // The credit office forwards it to the source unit; nobody else does.
    let forward = format!("/api/v1/objections/{objection_id}/forward");
    assert_eq!(
        server.post_json(&forward, Some(&s.checker), &json!({})).0,
        403
    );
    let (status, forwarded) = server.post_json(&forward, Some(&server.admin), &json!({}));
    assert_eq!(status, 200, "{forwarded}");
    assert_eq!(forwarded["state"]["forwarded_on"], "2025-10-16");
    // Left undecided past its deadline, it shows as overdue to the unit.
    s.on("2025-10-24");
    let (_, overdue) = server.get_json("/api/v1/objections?overdue=true", Some(&s.lister));
    assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");
    assert_eq!(overdue[0]["id"], objection_id.as_str());
    let (_, others) = server.get_json("/api/v1/objections", Some(&s.checker));
    assert!(
        others.as_array().unwrap().is_empty(),
        "not the checker's record"
    );
    // An extension with a reason moves the deadline, within twenty working days.
    let extension = format!("/api/v1/objections/{objection_id}/extension");
    let (status, _) = server.post_json(
        &extension,
        Some(&s.lister),
        &json!({"reason": "需向复议机关调取决定书", "until": "2025-12-31"}),
    );
    assert_eq!(status, 422);
    let (status, extended) = server.post_json(
        &extension,
        Some(&s.lister),
        &json!({"reason": "需向复议机关调取决定书", "until": "2025-10-30"}),
    );
    assert_eq!(status, 200, "{extended}");
    assert_eq!(extended["due"], "2025-10-30");
    let (_, overdue) = server.get_json("/api/v1/objections?overdue=true", Some(&s.lister));
    assert!(overdue.as_array().unwrap().is_empty());
    // Still suspended while it is verified.
    assert_eq!(s.check("bidding")["measures"][0]["suspended"], true);

    // Only the source unit decides; keeping the record lifts the suspension.
    let (status, _) = server.post_json(
        &format!("/api/v1/objections/{objection_id}/decision"),
        Some(&s.checker),
        &json!({"outcome": "keep", "reason": "x"}),
    );
    assert_eq!(status, 403);
    let (status, decided) = server.post_json(
        &format!("/api/v1/objections/{objection_id}/decision"),
        Some(&s.lister),
        &json!({"outcome": "keep", "reason": "复议决定维持原处罚，异议不成立"}),
    );
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["open"], false);
    assert_eq!(s.check("bidding")["measures"][0]["suspended"], false);

    // Replays: each receipt recomputes to what was answered then, although the objection
    // has since been decided.
    for (receipt, was_suspended) in [(&first_receipt, false), (&suspended_receipt, true)] {
        let (status, replay) =
            server.get_json(&format!("/api/v1/checks/{receipt}"), Some(&s.checker));
        assert_eq!(status, 200, "{replay}");
        assert_eq!(replay["matches"], true, "{replay}");
        assert_eq!(
            replay["recomputed"]["measures"][0]["suspended"],
            was_suspended
        );
        assert_eq!(replay["answer"]["receipt"], receipt.as_str());
    }
    // Another department may not read the receipt.
    let (status, _) = server.get_json(&format!("/api/v1/checks/{first_receipt}"), Some(&s.lister));
    assert_eq!(status, 403);

    // In force on its last day, gone the day after.
    s.on("2026-10-14");
    assert_eq!(s.check("bidding")["hits"].as_array().unwrap().len(), 1);
    s.on("2026-10-15");
    let expired = s.check("bidding");
    assert!(expired["hits"].as_array().unwrap().is_empty());
    assert!(expired["measures"].as_array().unwrap().is_empty());

    // Every step is in the chain, and the chain and the projections check out.
    server.assert_intact();
    let store = server.store();
    assert_eq!(store.checks_of(&server.subject_code, 10).unwrap().len(), 7);
}

fn removal_proportionality_and_responsible_persons(engine: Engine) {
    let s = setup(engine, "2025-03-03");
    let server = &s.server;

    // A key-attention entry: closer supervision, and nothing in procurement.
    let (status, case) = s.propose(
        "key_attention",
        "厦市监关〔2025〕1号",
        json!({"名单类型": "市场监管", "认定单位": "厦门市市场监督管理局"}),
    );
    assert_eq!(status, 200, "{case}");
    let watch_id = case["id"].as_str().unwrap().to_owned();
    s.on("2025-03-11");
    let (status, case) = server.post_json(
        &format!("/api/v1/listings/{watch_id}/decision"),
        Some(&s.lister),
        &json!({"decision": "list"}),
    );
    assert_eq!(status, 200, "{case}");
    // Without an end date, the list's maximum (one year).
    assert_eq!(case["state"]["until"], "2026-03-10");
    assert_eq!(
        ids(&s.check("supervision")["measures"]),
        ["key_supervision"]
    );
    assert!(
        s.check("government_procurement")["measures"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A serious entry naming the legal representative reaches them, masked for the checker.
    s.on("2025-03-12");
    let (status, case) = s.propose(
        "serious_dishonesty",
        "厦市监信〔2025〕2号",
        json!({"名单类型": "市场监管", "认定单位": "厦门市市场监督管理局", "法定代表人": "王小明", "法定代表人证件号码": "350203198001011235"}),
    );
    assert_eq!(status, 200, "{case}");
    let serious_id = case["id"].as_str().unwrap().to_owned();
    s.on("2025-03-20");
    let (status, _) = server.post_json(
        &format!("/api/v1/listings/{serious_id}/decision"),
        Some(&s.lister),
        &json!({"decision": "list", "until": "2027-03-19"}),
    );
    assert_eq!(status, 200);
    let answer = s.check("executive_qualification");
    assert_eq!(ids(&answer["measures"]), ["executive_bar_serious_list"]);
    let person = &answer["measures"][0]["responsible_persons"][0];
    assert_eq!(person["name"], "王小明");
    let shown = person["id_number"].as_str().unwrap();
    assert_ne!(shown, "350203198001011235");
    assert!(
        shown.starts_with("3502") && shown.ends_with("1235") && shown.contains('*'),
        "{shown}"
    );
    assert!(!answer.to_string().contains("350203198001011235"));

    // The same person, about to be appointed elsewhere, is found by the keyed hash of the
    // number: the restriction that reaches them comes back, masked.
    // (The search index follows the log every 50 ms in tests: wait for the new entry.)
    let started = std::time::Instant::now();
    let appointing = loop {
        let (status, answer) = server.post_json(
            "/api/v1/checks",
            Some(&s.checker),
            &json!({
                "subject": unit_code(77),
                "scenario": "executive_qualification",
                "purpose": "拟任法定代表人资格审查",
                "person_id_number": "350203198001011235",
            }),
        );
        assert_eq!(status, 200, "{answer}");
        let found = !answer["person"]["subjects"].as_array().unwrap().is_empty();
        if found || started.elapsed() > std::time::Duration::from_secs(10) {
            break answer;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let person = &appointing["person"];
    assert_eq!(person["subjects"][0]["code"], server.subject_code.as_str());
    assert_eq!(
        ids(&person["subjects"][0]["measures"]),
        ["executive_bar_serious_list"]
    );
    assert!(!appointing.to_string().contains("350203198001011235"));
    // Not even the check log keeps the number whole.
    let receipt = appointing["receipt"].as_str().unwrap();
    let logged = server.store().check_entry(receipt).unwrap().unwrap();
    assert!(
        !logged.request.contains("350203198001011235"),
        "{}",
        logged.request
    );

    // Removal after repair: out of force from the removal day.
    s.on("2025-09-01");
    let (status, case) = server.post_json(
        &format!("/api/v1/listings/{serious_id}/removal"),
        Some(&s.lister),
        &json!({"reason": "repair", "note": "已履行义务并完成信用修复"}),
    );
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"]["status"], "removed");
    assert!(
        s.check("executive_qualification")["measures"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A removed entry cannot be removed again.
    let (status, _) = server.post_json(
        &format!("/api/v1/listings/{serious_id}/removal"),
        Some(&s.lister),
        &json!({"reason": "court", "note": "再次移出"}),
    );
    assert_eq!(status, 422);

    server.assert_intact();
}

fn who_may_check_and_what_a_bad_request_gets(engine: Engine) {
    let s = setup(engine, "2025-06-02");
    let server = &s.server;
    let body = |scenario: &str, purpose: &str| json!({"subject": server.subject_code, "scenario": scenario, "purpose": purpose});
    let post =
        |key: Option<&str>, body: &Value| error_of(server.post_json("/api/v1/checks", key, body));
    assert_eq!(
        post(None, &body("bidding", "资格审查")),
        (401, "invalid_key".to_owned())
    );
    assert_eq!(
        post(Some(&server.subject), &body("bidding", "资格审查")),
        (403, "forbidden".to_owned())
    );
    assert_eq!(
        post(Some(&s.checker), &body("bidding", " ")),
        (400, "purpose_required".to_owned())
    );
    assert_eq!(
        post(Some(&s.checker), &body("lottery", "资格审查")),
        (400, "unknown_scenario".to_owned())
    );
    assert_eq!(
        post(Some(&s.checker), &json!({"scenario": "bidding"})),
        (400, "bad_request".to_owned())
    );
    // A subject the platform does not know: an answer with nothing held, and a receipt.
    let (status, answer) = server.post_json(
        "/api/v1/checks",
        Some(&s.checker),
        &json!({"subject": unit_code(99), "scenario": "bidding", "purpose": "资格审查"}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applicant"]["known"], false);
    assert!(answer["receipt"].as_str().unwrap().starts_with("ck_"));

    // By name, when no code is known: a candidate with its score explained, never an exact
    // hit.
    let variant = if s.subject_name.ends_with("有限责任公司") {
        s.subject_name.replace("有限责任公司", "有限公司")
    } else {
        s.subject_name.replace("有限公司", "有限责任公司")
    };
    let (status, answer) = server.post_json(
        "/api/v1/checks",
        Some(&s.checker),
        &json!({"name": variant, "scenario": "bidding", "purpose": "资格审查"}),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["applicant"]["matched_by"], "name", "{answer}");
    assert_eq!(answer["applicant"]["code"], server.subject_code.as_str());
    let best = &answer["name_candidates"][0];
    assert_eq!(best["code"], server.subject_code.as_str());
    let features: Vec<&str> = best["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["feature"].as_str().unwrap())
        .collect();
    assert_eq!(features, ["normalised_name", "legal_form", "region"]);
    // A name like nobody's matches nobody.
    let (_, answer) = server.post_json(
        "/api/v1/checks",
        Some(&s.checker),
        &json!({"name": "子虚乌有咨询服务有限公司", "scenario": "bidding", "purpose": "资格审查"}),
    );
    assert_eq!(answer["applicant"]["matched_by"], "none", "{answer}");
    assert!(answer["hits"].as_array().unwrap().is_empty());

    // Only a unit allowed the list's item proposes.
    let (status, _) = server.post_json(
        "/api/v1/listings",
        Some(&s.checker),
        &json!({"list": "serious_dishonesty", "subject": server.subject_code,
                "subject_name": s.subject_name, "document_no": "x", "reasons": "x", "basis": "x"}),
    );
    assert_eq!(status, 403);
    // Court lists are not proposed here.
    let court = server.key_for(Principal::Department {
        unit: s.lister_unit.clone(),
        items: vec!["dishonest_debtor".to_owned()],
    });
    let (status, refused) = server.post_json(
        "/api/v1/listings",
        Some(&court),
        &json!({"list": "dishonest_debtor", "subject": server.subject_code,
                "subject_name": s.subject_name, "document_no": "(2025)闽0203执1号",
                "reasons": "x", "basis": "x"}),
    );
    assert_eq!(status, 422, "{refused}");

    // The measures list is public.
    let (status, measures) = server.get_json("/api/v1/measures", None);
    assert_eq!(status, 200);
    assert!(measures["measures"].as_array().unwrap().len() >= 15);
    assert_eq!(measures["lists"].as_array().unwrap().len(), 5);
}
