//! Objections by anyone, with evidence, over HTTP: attachments uploaded by anyone (PDF, JPEG
//! and PNG by their content, within the configured size), a third party objecting in its
//! own right with its standing — which suspends discipline as the subject's objection does —
//! and the evidence served only to those who may read the case. Each test on SQLite and on
//! PostgreSQL (a schema of its own).

mod common;

use common::{Engine, Options, TestServer, agent, date, error_of, on_both_engines, unit_code};
use gongxin_core::access::Principal;
use gongxin_store::AuditQuery;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A one-page PDF, as a scanner writes it (enough of one: the platform reads the signature).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A 1x1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// The start of a Windows executable.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF\x00\x00";

const PERSON_ID: &str = "350203198001011235";
const CONTACT: &str = "13800000000，厦门市思明区某路1号";

fn server(engine: Engine, today: &str) -> TestServer {
    TestServer::start_with(Options {
        today: Some(date(today)),
        engine,
        configure: |config| config.max_attachment_mib = 1,
        ..Options::default()
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `POST /api/v1/attachments?filename=NAME` with a raw body.
fn upload(
    server: &TestServer,
    filename: &str,
    key: Option<&str>,
    content_type: Option<&str>,
    bytes: &[u8],
) -> (u16, Value) {
    let mut request = agent().post(server.url(&format!(
        "/api/v1/attachments?filename={}",
        common::encode(filename)
    )));
    if let Some(key) = key {
        request = request.header("Authorization", &format!("Bearer {key}"));
    }
    if let Some(content_type) = content_type {
        request = request.header("Content-Type", content_type);
    }
    let mut response = request.send(bytes).expect("the server answers");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

/// `GET /api/v1/attachments/{id}`: the status, the media type and the bytes.
fn download(
    server: &TestServer,
    id: &str,
    key: Option<&str>,
    purpose: Option<&str>,
) -> (u16, String, Vec<u8>) {
    let query = purpose.map_or_else(String::new, |p| format!("?purpose={}", common::encode(p)));
    let mut request = agent().get(server.url(&format!("/api/v1/attachments/{id}{query}")));
    if let Some(key) = key {
        request = request.header("Authorization", &format!("Bearer {key}"));
    }
    let mut response = request.call().expect("the server answers");
    let status = response.status().as_u16();
    let media_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        media_type,
        response.body_mut().read_to_vec().unwrap(),
    )
}

on_both_engines!(
    attachments_are_recognised_by_their_content_and_held_to_the_size_limit,
    anyone_may_object_with_standing_and_evidence_and_only_the_cases_readers_get_it,
);

fn attachments_are_recognised_by_their_content_and_held_to_the_size_limit(engine: Engine) {
    let server = server(engine, "2025-06-02");

    // Anyone may upload, the public too; the id is the SHA-256 of the content.
    let (status, pdf) = upload(&server, "缴款凭证.pdf", None, Some("application/pdf"), PDF);
    assert_eq!(status, 200, "{pdf}");
    assert_eq!(
        pdf,
        json!({"id": sha256_hex(PDF), "filename": "缴款凭证.pdf",
               "media_type": "application/pdf", "size": PDF.len()})
    );
    let (status, png) = upload(&server, "现场照片.PNG", Some(&server.department), None, PNG);
    assert_eq!(status, 200, "{png}");
    assert_eq!(png["id"], sha256_hex(PNG).as_str());
    assert_eq!(png["media_type"], "image/png");
    // The same file again is the same attachment, stored once with its first description.
    let (status, again) = upload(
        &server,
        "C:\\scans\\copy.pdf",
        Some(&server.admin),
        None,
        PDF,
    );
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], pdf["id"]);
    assert_eq!(
        again["filename"], "copy.pdf",
        "the directory part is dropped"
    );
    let stored = server
        .store()
        .attachment(pdf["id"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.filename.as_str(), stored.uploader.as_str()),
        ("缴款凭证.pdf", "public")
    );

    // Only PDF, JPEG and PNG, by their first bytes: not an executable, whatever its name or
    // declared type; a name or a declared type the content does not fit is refused too.
    for (name, content_type, bytes) in [
        ("setup.exe", None, EXE),
        ("setup.pdf", Some("application/pdf"), EXE),
        ("凭证.png", None, PDF),
        ("凭证.pdf", Some("image/png"), PDF),
    ] {
        let answer = upload(&server, name, None, content_type, bytes);
        assert_eq!(
            error_of(answer.clone()),
            (415, "unsupported_media_type".to_owned()),
            "{name}: {}",
            answer.1
        );
        assert!(answer.1["error"]["message_zh"].as_str().is_some());
    }
    assert_eq!(
        error_of(upload(&server, "empty.pdf", None, None, b"")),
        (400, "bad_request".to_owned())
    );
    assert_eq!(
        error_of(upload(&server, "", None, None, PDF)),
        (400, "bad_request".to_owned())
    );

    // Larger than the configured limit (1 MiB here): refused, whether it comes with its
    // length or in chunks without one; the client reads the refusal.
    let mut oversize = PDF.to_vec();
    oversize.resize(1024 * 1024 + 1, b' ');
    let answer = upload(&server, "big.pdf", None, None, &oversize);
    assert_eq!(
        error_of(answer.clone()),
        (413, "payload_too_large".to_owned())
    );
    assert!(
        answer.1["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("1 MiB")
    );
    let mut chunked = std::io::Cursor::new(oversize.clone());
    let mut response = agent()
        .post(server.url("/api/v1/attachments?filename=big.pdf"))
        .send(ureq::SendBody::from_reader(&mut chunked))
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 413);
    let answer: Value = response.body_mut().read_json().unwrap();
    assert_eq!(answer["error"]["code"], "payload_too_large");
    // Exactly at the limit is accepted.
    oversize.truncate(1024 * 1024);
    let (status, at_limit) = upload(&server, "big.pdf", None, None, &oversize);
    assert_eq!(status, 200, "{at_limit}");
    assert_eq!(at_limit["size"], 1024 * 1024);
    for refused in [EXE, b"".as_slice()] {
        assert!(
            server
                .store()
                .attachment(&sha256_hex(refused))
                .unwrap()
                .is_none()
        );
    }
}

fn anyone_may_object_with_standing_and_evidence_and_only_the_cases_readers_get_it(engine: Engine) {
    let server = server(engine, "2025-03-03");
    let lister_unit = unit_code(1);
    let lister = server.key_for(Principal::Department {
        unit: lister_unit.clone(),
        items: vec!["serious_dishonesty".to_owned()],
    });
    // A unit with nothing to do with the record.
    let unrelated = server.key_for(Principal::Department {
        unit: unit_code(2),
        items: Vec::new(),
    });
    let subject_name = server
        .store()
        .subject(&server.subject_code)
        .unwrap()
        .unwrap()
        .name;
    let check = || {
        let (status, answer) = server.post_json(
            "/api/v1/checks",
            Some(&unrelated),
            &json!({"subject": server.subject_code, "scenario": "bidding",
                    "purpose": "政府采购供应商资格审查"}),
        );
        assert_eq!(status, 200, "{answer}");
        answer
    };

    // A serious-dishonesty entry in force, through its procedure.
    let (status, case) = server.post_json(
        "/api/v1/listings",
        Some(&lister),
        &json!({"list": "serious_dishonesty", "subject": server.subject_code,
                "subject_name": subject_name, "document_no": "厦市监信〔2025〕3号",
                "reasons": "拒不履行生效行政处罚决定",
                "basis": "《市场监督管理严重违法失信名单管理办法》第十条",
                "fields": {"名单类型": "市场监管", "认定单位": "厦门市市场监督管理局"}}),
    );
    assert_eq!(status, 200, "{case}");
    let listing = case["id"].as_str().unwrap().to_owned();
    let record = case["record"].as_str().unwrap().to_owned();
    server.clock.set(date("2025-03-11"));
    let (status, case) = server.post_json(
        &format!("/api/v1/listings/{listing}/decision"),
        Some(&lister),
        &json!({"decision": "list", "until": "2026-03-10"}),
    );
    assert_eq!(status, 200, "{case}");
    let answer = check();
    assert_eq!(answer["hits"][0]["record"], record.as_str());
    assert_eq!(answer["hits"][0]["suspended"], false);
    assert_eq!(answer["measures"][0]["suspended"], false);

    // A member of the public, named in the entry's case, uploads evidence without a key.
    server.clock.set(date("2025-03-12"));
    let pdf = upload(&server, "复议决定书.pdf", None, None, PDF).1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let png = upload(&server, "缴款凭证.png", None, None, PNG).1["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let object =
        |key: Option<&str>, body: Value| server.post_json("/api/v1/objections", key, &body);
    let filer = |standing: &str| json!({"name": "陈某", "contact": CONTACT, "standing": standing, "id_number": PERSON_ID});

    // Without standing, refused: no particulars at all, or an empty standing.
    for body in [
        json!({"record": record, "grounds": "处罚已被复议撤销", "attachments": [pdf]}),
        json!({"record": record, "grounds": "处罚已被复议撤销", "filer": filer("  ")}),
        json!({"record": record, "grounds": "处罚已被复议撤销",
               "filer": {"name": "陈某", "contact": CONTACT}}),
    ] {
        let (status, refused) = object(None, body);
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["code"], "step_refused");
        assert!(
            refused["error"]["message_en"]
                .as_str()
                .unwrap()
                .contains("standing_required"),
            "{refused}"
        );
    }
    // An attachment nobody uploaded is named in the refusal.
    let missing = sha256_hex(b"never uploaded");
    for unknown in [missing.as_str(), "../../etc/passwd"] {
        let (status, refused) = object(
            None,
            json!({"record": record, "grounds": "处罚已被复议撤销",
                   "filer": filer("本人为该失信主体原法定代表人"),
                   "attachments": [pdf, unknown]}),
        );
        assert_eq!(status, 400, "{refused}");
        assert_eq!(refused["error"]["code"], "unknown_attachment");
        assert!(
            refused["error"]["message_en"]
                .as_str()
                .unwrap()
                .contains(unknown),
            "{refused}"
        );
    }
    assert!(
        server
            .store()
            .cases_of_record(&record.parse().unwrap())
            .unwrap()
            .iter()
            .all(|c| c.kind != gongxin_store::CaseKind::Objection),
        "nothing refused was filed"
    );

    // With standing and evidence: filed, and the public filer gets a receipt, not the case.
    let (status, receipt) = object(
        None,
        json!({"record": record, "grounds": "认定所依据的处罚决定已被复议撤销",
               "filer": filer("本人为该失信主体原法定代表人，名单信息涉及本人"),
               "attachments": [pdf, png, pdf]}),
    );
    assert_eq!(status, 200, "{receipt}");
    let keys: Vec<&str> = receipt
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "filed_on",
            "forward_by",
            "decide_by",
            "decide_by_at_most"
        ]
    );
    assert_eq!(receipt["filed_on"], "2025-03-12");
    assert_eq!(receipt["forward_by"], "2025-03-14");
    assert_eq!(receipt["decide_by"], "2025-03-19");
    let objection = receipt["id"].as_str().unwrap().to_owned();
    // No key, no case.
    assert_eq!(
        error_of(server.get_json(&format!("/api/v1/objections/{objection}"), None)),
        (403, "forbidden".to_owned())
    );

    // The record is under objection at once: discipline on it is shown but suspended.
    let answer = check();
    assert_eq!(answer["hits"][0]["record"], record.as_str());
    assert_eq!(answer["hits"][0]["suspended"], true);
    assert_eq!(answer["measures"][0]["suspended"], true);

    // The subject sees the objection among its cases, and who objected, but not how to reach
    // them nor their identity number.
    let (status, me) = server.get_json("/api/v1/me", Some(&server.subject));
    assert_eq!(status, 200, "{me}");
    let own = me["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == objection.as_str())
        .expect("the objection is among the subject's cases");
    assert_eq!(
        (&own["kind"], &own["record"], &own["open"]),
        (&json!("objection"), &json!(record), &json!(true))
    );
    let (status, seen) = server.get_json(
        &format!("/api/v1/objections/{objection}"),
        Some(&server.subject),
    );
    assert_eq!(status, 200, "{seen}");
    let state = &seen["state"];
    assert_eq!(state["filed_as"], "third_party");
    assert_eq!(state["filer"]["name"], "陈某");
    assert_eq!(
        state["filer"]["standing"],
        "本人为该失信主体原法定代表人，名单信息涉及本人"
    );
    assert_eq!(state["filed_by"], "public");
    assert_eq!(
        state["attachments"],
        json!([pdf, png]),
        "once each, in order"
    );
    let text = seen.to_string();
    for hidden in [CONTACT, "13800000000", PERSON_ID, "********1235", "enc1:"] {
        assert!(!text.contains(hidden), "the subject sees {hidden}: {text}");
    }

    // Those who handle it see the contact and the number masked, never whole.
    for key in [&lister, &server.admin] {
        let (status, handled) =
            server.get_json(&format!("/api/v1/objections/{objection}"), Some(key));
        assert_eq!(status, 200, "{handled}");
        assert_eq!(handled["state"]["filer"]["contact"], CONTACT);
        assert_eq!(handled["state"]["filer"]["id_number"], "350203********1235");
        assert!(!handled.to_string().contains(PERSON_ID));
    }
    // The log keeps the number sealed.
    let stored = server.store().case(&objection).unwrap().unwrap();
    assert!(!stored.payload.contains(PERSON_ID), "{}", stored.payload);
    assert!(stored.payload.contains("enc1:"));
    // It is routed to the record's source unit as any objection.
    let (_, open) = server.get_json("/api/v1/objections", Some(&lister));
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == objection.as_str() && o["source_unit"] == lister_unit.as_str()),
        "{open}"
    );

    // The evidence: to the source unit and the credit office (with a purpose, audited) and
    // the subject; not to an unrelated department nor to the public.
    let purpose = Some("核实异议");
    let (status, media_type, bytes) = download(&server, &pdf, Some(&lister), purpose);
    assert_eq!(
        (status, media_type.as_str(), bytes.as_slice()),
        (200, "application/pdf", PDF)
    );
    let (status, media_type, bytes) = download(&server, &png, Some(&server.admin), purpose);
    assert_eq!(
        (status, media_type.as_str(), bytes.as_slice()),
        (200, "image/png", PNG)
    );
    assert_eq!(download(&server, &pdf, Some(&server.subject), None).0, 200);
    assert_eq!(download(&server, &pdf, Some(&server.auditor), None).0, 200);
    assert_eq!(
        download(&server, &pdf, Some(&lister), None).0,
        400,
        "no purpose"
    );
    assert_eq!(download(&server, &pdf, Some(&unrelated), purpose).0, 403);
    assert_eq!(download(&server, &png, None, None).0, 403);
    assert_eq!(
        download(&server, &missing, Some(&server.admin), purpose).0,
        404
    );
    assert_eq!(
        download(&server, "not-an-id", Some(&server.admin), purpose).0,
        404
    );
    // An upload no case cites is nobody's to read.
    let (_, loose) = upload(&server, "其他.pdf", None, None, b"%PDF-1.5 loose\n%%EOF\n");
    let loose = loose["id"].as_str().unwrap();
    assert_eq!(
        download(&server, loose, Some(&server.admin), purpose).0,
        403
    );
    let reads = server
        .store()
        .audit(&AuditQuery {
            subject: Some(server.subject_code.clone()),
            limit: 1000,
            ..AuditQuery::default()
        })
        .unwrap();
    let downloads: Vec<_> = reads
        .iter()
        .filter(|e| e.action == "read_attachment")
        .collect();
    assert_eq!(downloads.len(), 4, "{downloads:?}");
    assert!(
        downloads
            .iter()
            .any(|e| e.unit.as_deref() == Some(lister_unit.as_str())
                && e.purpose.as_deref() == Some("核实异议")
                && e.target.as_deref().is_some_and(|t| t.contains(&pdf)))
    );

    // A department objecting in its own right, with standing, gets a receipt too: it is not
    // the record's source unit, so the case is not its to read.
    let (status, receipt) = server.post_json(
        "/api/v1/objections",
        Some(&unrelated),
        &json!({"record": record, "grounds": "该主体已于2025年2月结清全部采购合同款项",
                "filer": {"name": "厦门市某采购中心", "contact": "0592-0000000",
                          "standing": "本单位为该主体的交易相对人，记录影响本单位采购结果"},
                "attachments": [png]}),
    );
    assert_eq!(status, 200, "{receipt}");
    assert!(receipt.get("state").is_none(), "{receipt}");
    // Whoever the subject may be, its own objection needs no standing, as before.
    let (status, own) = server.post_json(
        "/api/v1/objections",
        Some(&server.subject),
        &json!({"record": record, "grounds": "已履行全部义务"}),
    );
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["state"]["filed_as"], "subject");
    assert!(own["state"]["filer"].is_null());

    server.assert_intact();
}
