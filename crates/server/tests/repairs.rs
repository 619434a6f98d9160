//! Credit repair over HTTP, on a fixed clock moved across the National Day and Spring
//! Festival holidays: eligibility told up front, applications with evidence and a signed
//! commitment, review deadlines in working days, approval that ends publication and
//! discipline the same day and reaches recipients through the feed, refusal with the routes
//! of appeal, and a log that verifies throughout. Each test on SQLite and on PostgreSQL (a
//! schema of its own).

mod common;

use common::{
    Engine, Options, TestServer, company_code, date, error_of, on_both_engines, unit_code,
};
use gongxin_core::access::Principal;
use serde_json::{Value, json};

/// Enough of a PDF: the platform reads its signature.
const RECEIPT_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const REPORT_PDF: &[u8] =
    b"%PDF-1.7\n% credit report\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

struct Setup {
    server: TestServer,
    /// The market regulator: imposes penalties, keeps the abnormal-operation list.
    regulator: String,
    regulator_unit: String,
    /// A procurement office that checks suppliers, and receives what it checked.
    checker: String,
    /// The company and its own key.
    company: String,
    company_key: String,
}

fn setup(engine: Engine, today: &str, company: u32) -> Setup {
    let server = TestServer::start_with(Options {
        today: Some(date(today)),
        engine,
        ..Options::default()
    });
    let regulator_unit = unit_code(1);
    let regulator = server.key_for(Principal::Department {
        unit: regulator_unit.clone(),
        items: vec!["admin_penalty".to_owned(), "abnormal_operation".to_owned()],
    });
    let checker = server.key_for(Principal::Department {
        unit: unit_code(2),
        items: Vec::new(),
    });
    let company = company_code(company);
    let company_key = server.key_for(Principal::Subject {
        code: company.clone(),
    });
    Setup {
        server,
        regulator,
        regulator_unit,
        checker,
        company,
        company_key,
    }
}

impl Setup {
    fn on(&self, day: &str) {
        self.server.clock.set(date(day));
    }

    /// Submits one record of `item` as the regulator; returns its id.
    fn submit(&self, item: &str, row: Value) -> String {
        let (status, report) = self.server.post_json(
            "/api/v1/records",
            Some(&self.regulator),
            &json!({"item": item, "records": [row]}),
        );
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["accepted"], 1, "{report}");
        let document_no = ["CF_WSH", "YCML_WSH"]
            .iter()
            .find_map(|code| row[code].as_str())
            .unwrap_or_default();
        let held = self.server.store().records_of(&self.company).unwrap();
        held.iter()
            .find(|r| r.record.key.document_no == document_no)
            .map(|r| r.id.to_string())
            .expect("the submitted record")
    }

    fn penalty(&self, document_no: &str, decided: &str, offence: &str, kinds: &str) -> String {
        let unit = &self.regulator_unit;
        self.submit(
            "admin_penalty",
            json!({
                "CF_XDR_MC": "厦门市修复示例贸易有限公司", "CF_XDR_LB": "法人及非法人组织",
                "CF_XDR_SHXYM": self.company, "CF_FRDB": "李四", "CF_WSH": document_no,
                "CF_WFXW": offence, "CF_SY": "经查，当事人" , "CF_YJ": "《中华人民共和国产品质量法》第五十条",
                "CF_CFLB": kinds, "CF_NR": "责令停产停业整顿，并处罚款", "CF_NR_FK": "5",
                "CF_JDRQ": decided, "CF_CFJG": "厦门市市场监督管理局", "CF_CFJGDM": unit,
                "CF_SJLY": "厦门市市场监督管理局", "CF_SJLYDM": unit
            }),
        )
    }

    fn check(&self, scenario: &str) -> Vec<String> {
        let (status, answer) = self.server.post_json(
            "/api/v1/checks",
            Some(&self.checker),
            &json!({"subject": self.company, "scenario": scenario, "purpose": "供应商资格审查"}),
        );
        assert_eq!(status, 200, "{answer}");
        answer["measures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn upload(&self, name: &str, bytes: &[u8]) -> String {
        let (status, answer) = self.server.post_bytes(
            &format!("/api/v1/attachments?filename={name}"),
            Some(&self.company_key),
            bytes,
        );
        assert_eq!(status, 200, "{answer}");
        answer["id"].as_str().unwrap().to_owned()
    }

    fn options(&self, record: &str, key: Option<&str>) -> (u16, Value) {
        self.server
            .get_json(&format!("/api/v1/records/{record}/repair"), key)
    }

    fn apply(&self, record: &str, given: Value) -> (u16, Value) {
        self.server.post_json(
            "/api/v1/repairs",
            Some(&self.company_key),
            &json!({
                "record": record,
                "statement": "罚款已全额缴纳，已停业整顿并通过复查，产品标识已全部更正。",
                "given": given,
            }),
        )
    }

    fn decide(&self, id: &str, key: &str, outcome: &str, reason: &str) -> (u16, Value) {
        self.server.post_json(
            &format!("/api/v1/repairs/{id}/decision"),
            Some(key),
            &json!({"outcome": outcome, "reason": reason}),
        )
    }
}

fn bar_codes(options: &Value) -> Vec<&str> {
    options["bars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap())
        .collect()
}

on_both_engines!(
    a_repaired_penalty_leaves_publication_and_discipline_on_approval,
    a_list_entry_refused_then_repaired_leaves_the_list,
);

fn a_repaired_penalty_leaves_publication_and_discipline_on_approval(engine: Engine) {
    let s = setup(engine, "2025-06-03", 1);
    let server = &s.server;
    let record = s.penalty(
        "厦市监罚〔2025〕88号",
        "2025-06-03",
        "生产销售不合格产品",
        "责令停产停业;罚款",
    );
    let record_path = format!("/api/v1/records/{record}");
    assert_eq!(server.get_json(&record_path, None).0, 200, "public");
    assert_eq!(
        s.check("government_procurement"),
        ["procurement_major_illegal_record"]
    );

    // Told up front: repairable from the day after the three-month minimum, what to bring,
    // free of charge, decided by the regulator within ten working days.
    let (status, options) = s.options(&record, Some(&s.company_key));
    assert_eq!(status, 200, "{options}");
    assert_eq!(options["target"]["id"], "admin_penalty");
    assert_eq!(options["from"], "2025-09-04");
    assert_eq!(options["open"], false);
    assert_eq!(bar_codes(&options), ["too_early"]);
    assert_eq!(options["free"], true);
    assert_eq!(options["review_working_days"], 10);
    assert_eq!(options["unit"], s.regulator_unit.as_str());
    assert_eq!(options["conditions"].as_array().unwrap().len(), 3);
    assert!(
        options["conditions"][2]["text_zh"]
            .as_str()
            .unwrap()
            .contains("承诺")
    );
    // Nobody else is told about someone's repair options.
    assert_eq!(s.options(&record, None).0, 401);
    assert_eq!(s.options(&record, Some(&s.checker)).0, 403);
    assert_eq!(s.options(&record, Some(&s.regulator)).0, 200);

    let receipt = s.upload("缴款凭证.pdf", RECEIPT_PDF);
    let report = s.upload("整改报告.pdf", REPORT_PDF);
    let given = json!([
        {"condition": "obligations_fulfilled", "attachments": [receipt]},
        {"condition": "effects_removed", "attachments": [report]},
        {"condition": "commitment", "signed": true},
    ]);
    assert_eq!(
        error_of(s.apply(&record, given.clone())),
        (422, "step_refused".to_owned()),
        "too early"
    );

    // The day before the National Day holiday.
    s.on("2025-09-30");
    let unsigned = json!([
        {"condition": "obligations_fulfilled", "attachments": [receipt]},
        {"condition": "effects_removed", "attachments": [report]},
    ]);
    let (status, refused) = s.apply(&record, unsigned);
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["message_zh"]
            .as_str()
            .unwrap()
            .contains("信用修复承诺书"),
        "{refused}"
    );
    let unknown = json!([
        {"condition": "obligations_fulfilled", "attachments": ["0".repeat(64)]},
        {"condition": "effects_removed", "attachments": [report]},
        {"condition": "commitment", "signed": true},
    ]);
    assert_eq!(
        s.apply(&record, unknown).1["error"]["code"],
        "unknown_attachment"
    );

    let (status, case) = s.apply(&record, given.clone());
    assert_eq!(status, 200, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("rep_"));
    // Ten working days across the holiday: 10-09, 10-10, 10-11 (a Saturday worked), 10-13
    // to 10-17, 10-20 and 10-21.
    assert_eq!(case["due"], "2025-10-21");
    assert_eq!(case["state"]["review_by"], "2025-10-21");
    assert_eq!(case["events"][0]["kind"], "repair_filed");
    // One application at a time.
    let (_, pending) = s.options(&record, Some(&s.company_key));
    assert_eq!(bar_codes(&pending), ["pending"]);
    assert_eq!(error_of(s.apply(&record, given)).0, 422);
    // Filing is not approval: still public, still enforced.
    assert_eq!(server.get_json(&record_path, None).0, 200);
    assert_eq!(
        s.check("government_procurement"),
        ["procurement_major_illegal_record"]
    );

    // The regulator sees it in its open list; overdue once the deadline has passed, for the
    // regulator and the credit office alike, and nobody else's list has it.
    let (_, open) = server.get_json("/api/v1/repairs", Some(&s.regulator));
    assert_eq!(open[0]["id"], id.as_str());
    assert_eq!(open[0]["overdue"], false);
    s.on("2025-10-22");
    for key in [&s.regulator, &server.admin] {
        let (_, overdue) = server.get_json("/api/v1/repairs?overdue=true", Some(key));
        assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");
        assert_eq!(overdue[0]["overdue"], true);
        assert_eq!(overdue[0]["review_by"], "2025-10-21");
    }
    let (_, theirs) = server.get_json("/api/v1/repairs", Some(&s.checker));
    assert_eq!(theirs, json!([]));
    // The same in the inboxes: the regulator's and the credit office's flag it overdue.
    for key in [&s.regulator, &server.admin] {
        let (_, inbox) = server.get_json("/api/v1/inbox", Some(key));
        let notice = &inbox["notices"][0];
        assert_eq!(notice["event"], "repair_filed", "{inbox}");
        assert_eq!(notice["case"], id.as_str());
        assert_eq!(notice["overdue"], true);
        assert_eq!(notice["unit"], s.regulator_unit.as_str());
        assert!(inbox["overdue"].as_u64().unwrap() >= 1);
    }
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&s.checker));
    assert_eq!(inbox["notices"], json!([]));
    assert_eq!(server.get_json("/api/v1/inbox", None).0, 401);
    assert_eq!(
        server.get_json("/api/v1/repairs", Some(&s.company_key)).0,
        403
    );

    // Only the regulator (or the credit office) decides, and with reasons.
    assert_eq!(s.decide(&id, &s.checker, "approved", "同意").0, 403);
    assert_eq!(
        error_of(s.decide(&id, &s.regulator, "approved", " ")).0,
        422
    );
    let (status, approved) = s.decide(&id, &s.regulator, "approved", "材料齐全，符合修复条件");
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["open"], false);
    assert_eq!(approved["state"]["outcome"], "approved");
    assert_eq!(approved["state"]["publication_ends"], "2025-10-21");
    // Three working days to reach every recipient: 10-23, 10-24, 10-27.
    assert_eq!(approved["state"]["push_by"], "2025-10-27");
    assert_eq!(
        error_of(s.decide(&id, &s.regulator, "refused", "再议")).0,
        422
    );

    // Off publication the same day; marked repaired for those who still see it; the
    // procurement bar it triggered is lifted.
    assert_eq!(server.get_json(&record_path, None).0, 404);
    let (_, own) = server.get_json(&record_path, Some(&s.company_key));
    assert_eq!(own["repaired_on"], "2025-10-22");
    assert_eq!(own["public"], false);
    assert_eq!(own["window"]["until"], "2025-10-21");
    assert!(
        own["window"]["reason_zh"]
            .as_str()
            .unwrap()
            .contains("已修复")
    );
    assert!(s.check("government_procurement").is_empty());
    let (_, repaired) = s.options(&record, Some(&s.company_key));
    assert_eq!(bar_codes(&repaired), ["already_repaired"]);

    // The procurement office, which received the record, hears of the repair in its feed.
    let (status, feed) = server.get_json(
        &format!("/api/v1/feed?subject={}&purpose=sync", s.company),
        Some(&s.checker),
    );
    assert_eq!(status, 200, "{feed}");
    let notice = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "repair_decided")
        .unwrap_or_else(|| panic!("a repair notice in {feed}"));
    assert_eq!(notice["record"], record.as_str());
    assert_eq!(notice["repair"]["repaired_on"], "2025-10-22");
    assert_eq!(notice["repair"]["publication_ends"], "2025-10-21");
    assert_eq!(notice["view"]["repaired_on"], "2025-10-22");
    assert!(
        notice.get("payload").is_none(),
        "no raw case for a department"
    );

    // The subject is told in its inbox; the regulator's to-do list is clear.
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&s.company_key));
    let events: Vec<&str> = inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["repair_decided", "repair_filed"]);
    let told = inbox["notices"][0]["title_zh"].as_str().unwrap();
    assert!(
        told.contains("已批准") && told.contains("2025-10-21"),
        "{told}"
    );
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&s.regulator));
    assert_eq!(inbox["notices"], json!([]));

    // The subject sees its case, without the officers' key ids.
    let (_, case) = server.get_json(&format!("/api/v1/repairs/{id}"), Some(&s.company_key));
    assert_eq!(case["state"]["outcome"], "approved");
    assert!(case["events"][1].get("actor").is_none());
    let (_, me) = server.get_json("/api/v1/me", Some(&s.company_key));
    assert!(
        me["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "repair" && c["id"] == id.as_str()),
        "{me}"
    );

    // Handling times per unit: decided a working day late (eleven working days from
    // 09-30 to 10-22, the holiday not counted).
    let (status, stats) = server.get_json("/api/v1/stats/handling", Some(&server.admin));
    assert_eq!(status, 200, "{stats}");
    let regulator = stats["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == s.regulator_unit.as_str() && u["kind"] == "repair")
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(
        (
            &regulator["decided"],
            &regulator["on_time"],
            &regulator["late"],
            &regulator["open"]
        ),
        (&json!(1), &json!(0), &json!(1), &json!(0))
    );
    assert_eq!(regulator["mean_working_days"], 11.0);
    assert_eq!(regulator["worst_working_days"], 11);
    let (_, own) = server.get_json("/api/v1/stats/handling", Some(&s.checker));
    assert_eq!(own["units"], json!([]), "a unit sees its own only");
    assert_eq!(
        server
            .get_json("/api/v1/stats/handling", Some(&s.company_key))
            .0,
        403
    );

    // The evidence goes to the deciding unit, not to other departments.
    let receipt_path = format!("/api/v1/attachments/{receipt}?purpose=review");
    assert_eq!(server.get_text(&receipt_path, Some(&s.regulator)).0, 200);
    assert_eq!(server.get_text(&receipt_path, Some(&s.checker)).0, 403);

    server.assert_intact();
    // The mark is a projection of the approval: a mark without it is found by verify.
    server.tamper("UPDATE repairs SET repaired_on = '2025-10-01'");
    let store = server.store();
    let verification = store.verify(&mut |_| {}).unwrap();
    assert!(
        format!("{verification:?}").contains("differs from its approval"),
        "{verification:?}"
    );
}

fn a_list_entry_refused_then_repaired_leaves_the_list(engine: Engine) {
    // Listed on the abnormal-operation list before the Spring Festival.
    let s = setup(engine, "2026-02-02", 2);
    let server = &s.server;
    let unit = &s.regulator_unit;
    let entry = s.submit(
        "abnormal_operation",
        json!({
            "YCML_ZTMC": "厦门市修复示例贸易有限公司", "YCML_SHXYM": s.company,
            "YCML_WSH": "厦市监异〔2026〕12号", "YCML_LRRQ": "2026-02-02",
            "YCML_LRYY": "未按规定报送年度报告",
            "YCML_ZCJG": "厦门市市场监督管理局", "YCML_ZCJGDM": unit,
        }),
    );
    assert_eq!(s.check("bidding"), ["public_resources_restriction"]);

    let given = |report: &str| {
        json!([
            {"condition": "obligations_fulfilled", "attachments": [report]},
            {"condition": "commitment", "signed": true},
        ])
    };
    let report = s.upload("2025年度报告.pdf", REPORT_PDF);
    // Filed the Friday before the holiday (02-15 to 02-23, with 02-14 and 02-28 worked): ten
    // working days run to 03-05.
    s.on("2026-02-13");
    let (status, case) = s.apply(&entry, given(&report));
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["due"], "2026-03-05");
    let first = case["id"].as_str().unwrap().to_owned();

    s.on("2026-02-24");
    let (status, refused) = s.decide(
        &first,
        &s.regulator,
        "refused",
        "年度报告未载明社保缴纳信息",
    );
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["state"]["outcome"], "refused");
    let appeals = refused["state"]["appeals"].as_array().unwrap();
    assert_eq!(appeals[0]["by"], "2026-04-25", "sixty days");
    assert_eq!(appeals[0]["basis"]["title"], "中华人民共和国行政复议法");
    assert_eq!(appeals[1]["by"], "2026-08-24", "six months");
    assert_eq!(appeals[1]["basis"]["article"], "第四十六条");
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&s.company_key));
    let told = inbox["notices"][0]["title_zh"].as_str().unwrap();
    assert!(
        told.contains("未获批准") && told.contains("行政复议") && told.contains("2026-04-25"),
        "{told}"
    );
    // Refused: nothing changes.
    assert_eq!(s.check("bidding"), ["public_resources_restriction"]);

    // Corrected and applied again; approved.
    let corrected = s.upload("2025年度报告（更正）.pdf", RECEIPT_PDF);
    s.on("2026-02-25");
    let (status, case) = s.apply(&entry, given(&corrected));
    assert_eq!(status, 200, "{case}");
    let second = case["id"].as_str().unwrap().to_owned();
    s.on("2026-02-27");
    let (status, approved) = s.decide(&second, &s.regulator, "approved", "已补报并公示");
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["state"]["publication_ends"], "2026-02-27");

    // The entry leaves the list that day: a new version with its removal, and no restriction.
    assert!(s.check("bidding").is_empty());
    let stored = server
        .store()
        .record(&entry.parse().unwrap())
        .unwrap()
        .unwrap();
    let item = gongxin_core::catalog::Catalog::embedded().unwrap();
    let roles = &item.item("abnormal_operation").unwrap().roles;
    assert_eq!(
        stored.record.field(roles.ended_on.as_deref().unwrap()),
        Some("2026-02-27")
    );
    assert!(
        stored
            .record
            .field(roles.removal_reason.as_deref().unwrap())
            .unwrap()
            .contains(&second)
    );
    assert_eq!(stored.repaired_on, Some(date("2026-02-27")));
    let (_, history) = server.get_json(
        &format!("/api/v1/records/{entry}/history?purpose=review"),
        Some(&s.regulator),
    );
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["record_submitted", "record_corrected"]);
    server.assert_intact();
}
