//! The portal's self-service pages against a real server on a fixed clock: sign-in with an
//! API key into a session cookie and sign-out, public pages and the API that ignore the
//! cookie, cross-site posts refused, the objection and repair forms with their refusals (and
//! nothing given lost), case pages and the inbox over plain HTTP; then a subject's walk
//! through them in a real headless Chromium (`common::browser`): sign-in, an objection with a
//! PDF chosen in the file input, a credit-repair application approved by the source unit.
//!
//! The browser tests say "skipped: chromium not installed" without Chromium and chromedriver,
//! unless `GONGXIN_REQUIRE_BROWSER=1` is set; `GONGXIN_SCREENSHOTS=1` saves screenshots of
//! `/me` and the forms to `docs/screenshots/`.

mod common;

use common::browser::{Browser, browser_installed};
use common::{
    AT_US, Engine, Options, TestServer, company_code, date, encode, on_both_engines, unit_code,
};
use gongxin_core::access::Principal;
use gongxin_store::{AuditQuery, CaseKind};
use serde_json::json;

const TODAY: &str = "2025-09-30";

/// Enough of a PDF: the platform reads its signature.
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const REPORT_PDF: &[u8] =
    b"%PDF-1.7\n% rectification report\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

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

const GROUNDS: &str = "处罚决定书已被复议机关撤销（厦府复〔2025〕12号），<请>更正。";
const STATEMENT: &str = "罚款已全额缴纳，已停业整顿并通过复查，产品标识已全部更正。";

// The pages over plain HTTP on both engines; the walks in Chromium on SQLite.
on_both_engines!(
    a_key_signs_in_to_a_session_cookie_and_signing_out_or_revoking_ends_it,
    public_pages_and_the_api_ignore_the_session_cookie,
    form_posts_from_other_sites_are_refused,
    the_objection_form_files_an_objection_and_keeps_what_was_given_when_refused,
    the_repair_form_tells_eligibility_up_front_and_shows_the_refusals,
    the_inbox_shows_each_party_its_notices_and_marks_the_overdue,
);

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A server on the fixed day, with attachments of at most 1 MiB, a regulator that imposes
/// penalties and a company with its own key.
struct World {
    server: TestServer,
    regulator: String,
    regulator_unit: String,
    company: String,
    company_key: String,
}

fn world(company: u32, engine: Engine) -> World {
    let server = TestServer::start_with(Options {
        engine,
        subjects: 20,
        records: 200,
        today: Some(date(TODAY)),
        configure: |config| config.max_attachment_mib = 1,
        ..Options::default()
    });
    let regulator_unit = unit_code(1);
    let regulator = server.key_for(Principal::Department {
        unit: regulator_unit.clone(),
        items: vec!["admin_penalty".to_owned()],
    });
    let company = company_code(company);
    let company_key = server.key_for(Principal::Subject {
        code: company.clone(),
    });
    World {
        server,
        regulator,
        regulator_unit,
        company,
        company_key,
    }
}

impl World {
    fn on(&self, day: &str) {
        self.server.clock.set(date(day));
    }

    /// Submits a penalty against the company on the day it was decided (as the regulator
    /// would), then comes back to `TODAY`; answers the record's id.
    fn penalty(&self, document_no: &str, decided: &str, offence: &str, basis: &str) -> String {
        self.on(decided);
        let unit = &self.regulator_unit;
        let row = json!({
            "CF_XDR_MC": "厦门市自助示例贸易有限公司", "CF_XDR_LB": "法人及非法人组织",
            "CF_XDR_SHXYM": self.company, "CF_FRDB": "李四", "CF_WSH": document_no,
            "CF_WFXW": offence, "CF_SY": "经查，当事人", "CF_YJ": basis,
            "CF_CFLB": "责令停产停业;罚款", "CF_NR": "责令停产停业整顿，并处罚款", "CF_NR_FK": "5",
            "CF_JDRQ": decided, "CF_CFJG": "厦门市市场监督管理局", "CF_CFJGDM": unit,
            "CF_SJLY": "厦门市市场监督管理局", "CF_SJLYDM": unit
        });
        let (status, report) = self.server.post_json(
            "/api/v1/records",
            Some(&self.regulator),
            &json!({"item": "admin_penalty", "records": [row]}),
        );
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["accepted"], 1, "{report}");
        self.on(TODAY);
        self.server
            .store()
            .records_of(&self.company)
            .unwrap()
            .iter()
            .find(|r| r.record.key.document_no == document_no)
            .map(|r| r.id.to_string())
            .expect("the submitted record")
    }

    /// The penalty that can be repaired from 2025-09-04 (three months after its decision).
    fn repairable(&self) -> String {
        self.penalty(
            "厦市监罚〔2025〕88号",
            "2025-06-03",
            "生产销售不合格产品",
            "《中华人民共和国产品质量法》第五十条",
        )
    }

    /// An earlier penalty for other conduct, to object to.
    fn contested(&self) -> String {
        self.penalty(
            "厦市监罚〔2025〕61号",
            "2025-05-06",
            "未按规定公示年度报告",
            "《企业信息公示暂行条例》第十八条",
        )
    }

    fn company_visitor(&self) -> Visitor<'_> {
        Visitor::sign_in(&self.server, &self.company_key)
    }
}

// ---------------------------------------------------------------------------------------
// A browser over plain HTTP: one cookie, no redirects followed.

struct Reply {
    status: u16,
    location: String,
    set_cookie: Vec<String>,
    content_type: String,
    cache_control: String,
    body: String,
}

fn no_redirects() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("the server answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (location, content_type, cache_control) = (
        header("location"),
        header("content-type"),
        header("cache-control"),
    );
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    Reply {
        status: response.status().as_u16(),
        location,
        set_cookie,
        content_type,
        cache_control,
        body: response.body_mut().read_to_string().expect("a text body"),
    }
}

/// One part of a `multipart/form-data` body.
enum Part<'a> {
    Text(&'a str, &'a str),
    File {
        name: &'a str,
        filename: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

const BOUNDARY: &str = "----gongxin-test-boundary-7MA4YWxkTrZu0gW";

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
            Part::File {
                name,
                filename,
                content_type,
                bytes,
            } => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn pdf<'a>(name: &'a str, filename: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part::File {
        name,
        filename,
        content_type: "application/pdf",
        bytes,
    }
}

/// The session token a `Set-Cookie` sets, if it sets one.
fn session_of(reply: &Reply) -> Option<String> {
    reply
        .set_cookie
        .iter()
        .filter_map(|c| c.strip_prefix("gx_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
        .find(|token| !token.is_empty())
}

struct Visitor<'a> {
    server: &'a TestServer,
    cookie: Option<String>,
}

impl<'a> Visitor<'a> {
    fn anonymous(server: &'a TestServer) -> Self {
        Visitor {
            server,
            cookie: None,
        }
    }

    /// Signs in with `key` through the form; fails the test unless a session results.
    fn sign_in(server: &'a TestServer, key: &str) -> Self {
        let mut visitor = Visitor::anonymous(server);
        let answer = visitor.post_form("/login", &[("key", key), ("next", "")], &[]);
        assert_eq!(answer.status, 303, "{}", answer.body);
        visitor.cookie = Some(session_of(&answer).expect("a session cookie"));
        visitor
    }

    fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        let mut request = no_redirects().post(self.server.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", &format!("gx_session={cookie}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
    }

    fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[])
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = no_redirects().get(self.server.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("Cookie", &format!("gx_session={cookie}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.call())
    }

    fn post_form(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        reply(
            self.post(path, headers)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .send(body.join("&").as_bytes()),
        )
    }

    fn post_multipart(&self, path: &str, parts: &[Part<'_>], headers: &[(&str, &str)]) -> Reply {
        reply(
            self.post(path, headers)
                .header(
                    "Content-Type",
                    &format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .send(&multipart(parts)[..]),
        )
    }
}

fn assert_page(reply: &Reply, status: u16, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
    assert_eq!(reply.content_type, "text/html; charset=utf-8", "{what}");
    assert!(reply.body.starts_with("<!doctype html>"), "{what}");
    assert!(reply.body.contains("<main id=\"main\""), "{what}");
    assert!(!reply.body.contains("<script"), "{what}: no script");
}

/// A self-service page: never cached, and it names who is signed in.
fn assert_private(reply: &Reply, what: &str) {
    assert_eq!(reply.cache_control, "private, no-store", "{what}");
    assert!(
        reply.body.contains("action=\"/logout"),
        "{what}: a sign-out button"
    );
}

fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Waits until a search finds `code`: the index follows the log a moment behind.
fn wait_indexed(server: &TestServer, code: &str) {
    let started = std::time::Instant::now();
    loop {
        let (_, hits) = server.get_json(&format!("/api/v1/subjects?q={code}"), None);
        if hits["total"].as_u64().unwrap_or(0) > 0 {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{code} never indexed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn cases_of(server: &TestServer, code: &str) -> usize {
    server.store().cases_of(code, None).unwrap().len()
}

// ---------------------------------------------------------------------------------------
// Sign-in and sign-out.

fn a_key_signs_in_to_a_session_cookie_and_signing_out_or_revoking_ends_it(engine: Engine) {
    let w = world(11, engine);
    let server = &w.server;
    w.contested();
    let anonymous = Visitor::anonymous(server);

    // The self-service pages send a visitor without a session to the form, and back after.
    let me = anonymous.get("/me");
    assert_eq!(me.status, 303);
    assert_eq!(me.location, "/login?next=%2Fme");
    let english = anonymous.get("/inbox?lang=en");
    assert_eq!(english.location, "/login?next=%2Finbox%3Flang%3Den&lang=en");
    // A form posted without a session cannot be replayed by a redirect: back to `/me`.
    let lost = anonymous.post_multipart("/me/objection", &[Part::Text("grounds", GROUNDS)], &[]);
    assert_eq!(lost.status, 303);
    assert_eq!(lost.location, "/login?next=%2Fme");
    let form = anonymous.get("/login?next=%2Fme");
    assert_page(&form, 200, "the sign-in form");
    assert_eq!(form.cache_control, "private, no-store");
    assert!(form.body.contains("<html lang=\"zh-CN\">"));
    assert!(form.body.contains("<label for=\"key\">API 密钥</label>"));
    assert!(form.body.contains("type=\"password\""));
    assert!(form.body.contains("name=\"next\" value=\"/me\""));

    // Refused keys: the form again with why, in the page's language, and no cookie.
    for (key, status, message) in [
        ("gx_0000", 401, "API 密钥无效或已吊销"),
        ("not a key", 401, "API 密钥无效或已吊销"),
        (server.auditor.as_str(), 403, "审计人员请使用开放接口"),
    ] {
        let refused = anonymous.post_form("/login", &[("key", key), ("next", "/me")], &[]);
        assert_page(&refused, status, key);
        assert!(refused.body.contains(message), "{key}: {}", refused.body);
        assert!(refused.body.contains("name=\"next\" value=\"/me\""));
        assert!(refused.set_cookie.is_empty(), "{key}");
    }
    let refused = anonymous.post_form("/login?lang=en", &[("key", "gx_0000")], &[]);
    assert_page(&refused, 401, "a refused key in English");
    assert!(refused.body.contains("<html lang=\"en\">"));
    assert!(refused.body.contains("the API key is unknown or revoked"));

    // A subject's key: a session cookie that scripts cannot read and other sites do not send.
    let signed = anonymous.post_form(
        "/login",
        &[("key", &w.company_key), ("next", "/me?lang=en")],
        &[],
    );
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.location, "/me?lang=en");
    assert_eq!(signed.set_cookie.len(), 1);
    let cookie = &signed.set_cookie[0];
    assert!(cookie.starts_with("gx_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains(&w.company_key),
        "the cookie is not the key"
    );
    let visitor = Visitor {
        server,
        cookie: session_of(&signed),
    };
    let page = visitor.get("/me");
    assert_page(&page, 200, "/me");
    assert_private(&page, "/me");
    assert!(page.body.contains(&w.company), "{}", page.body);
    assert!(page.body.contains("厦门市自助示例贸易有限公司"));
    // Never back to another site, nor to the sign-in page itself.
    for next in ["//evil.example/", "https://evil.example/", "/login"] {
        let answer = anonymous.post_form("/login", &[("key", &w.company_key), ("next", next)], &[]);
        assert_eq!(answer.status, 303);
        assert_eq!(answer.location, "/me", "{next}");
    }

    // Signing out ends the session on the server, not only in the browser.
    let out = visitor.post_form("/logout", &[], &[]);
    assert_eq!(out.status, 303);
    assert_eq!(out.location, "/login?signed_out=1");
    assert!(
        out.set_cookie
            .iter()
            .any(|c| c.starts_with("gx_session=;") && c.contains("Max-Age=0")),
        "{:?}",
        out.set_cookie
    );
    let after = visitor.get("/me");
    assert_eq!(after.status, 303, "the old cookie opens nothing");
    assert!(after.location.starts_with("/login"));
    assert!(after.set_cookie.iter().any(|c| c.contains("Max-Age=0")));
    let farewell = anonymous.get("/login?signed_out=1");
    assert!(farewell.body.contains("您已退出登录"));
    let button = anonymous.get("/logout");
    assert_page(&button, 200, "the sign-out page");
    assert!(button.body.contains("method=\"post\" action=\"/logout\""));

    // Revoking the key ends its sessions at the next request.
    let visitor = w.company_visitor();
    assert_eq!(visitor.get("/me").status, 200);
    let key_id = server
        .store()
        .keys()
        .unwrap()
        .into_iter()
        .find(|k| {
            k.principal
                == Principal::Subject {
                    code: w.company.clone(),
                }
        })
        .expect("the company's key")
        .id;
    assert!(server.store().revoke_key(&key_id, AT_US + 1).unwrap());
    let revoked = visitor.get("/me");
    assert_eq!(revoked.status, 303);
    assert!(revoked.location.starts_with("/login"));

    // A unit's key goes to its inbox; `/me` is a subject's page.
    let signed = anonymous.post_form("/login", &[("key", &w.regulator)], &[]);
    assert_eq!(signed.location, "/inbox");
    let unit = Visitor::sign_in(server, &w.regulator);
    let inbox = unit.get("/inbox");
    assert_page(&inbox, 200, "a unit's inbox");
    assert_private(&inbox, "a unit's inbox");
    assert!(inbox.body.contains(&w.regulator_unit));
    assert_eq!(unit.get("/me").location, "/inbox");
    let form = unit.get(&format!("/me/objection?record={}", "0".repeat(32)));
    assert_page(&form, 403, "a unit on a subject's form");
    let admin = Visitor::sign_in(server, &server.admin);
    assert_page(
        &admin.get("/inbox?lang=en"),
        200,
        "the credit office's inbox",
    );
}

fn public_pages_and_the_api_ignore_the_session_cookie(engine: Engine) {
    let w = world(12, engine);
    let server = &w.server;
    let public = w.repairable();
    // Decided in 2020 and shown for a year: held, but no longer public.
    let old = w.penalty(
        "厦市监罚〔2020〕7号",
        "2020-03-02",
        "虚假宣传",
        "《中华人民共和国反不正当竞争法》第二十条",
    );
    let visitor = w.company_visitor();
    let anonymous = Visitor::anonymous(server);
    // The home page counts the indexed subjects: let the index take in the company first.
    wait_indexed(server, &w.company);

    for path in [
        "/".to_owned(),
        "/?lang=en".to_owned(),
        format!("/search?q={}", server.subject_code),
        format!("/entity/{}", w.company),
        format!("/record/{public}"),
        format!("/record/{old}"),
        format!("/record/{old}?lang=en"),
    ] {
        let with = visitor.get(&path);
        let without = anonymous.get(&path);
        assert_eq!(with.status, without.status, "{path}");
        assert_eq!(
            with.body, without.body,
            "{path}: the same page with or without a session"
        );
        assert!(with.set_cookie.is_empty(), "{path}");
        assert!(!with.body.contains("action=\"/logout"), "{path}");
        assert_ne!(with.cache_control, "private, no-store", "{path}");
    }
    assert_eq!(anonymous.get(&format!("/record/{old}")).status, 404);
    let entity = visitor.get(&format!("/entity/{}", w.company));
    assert!(entity.body.contains("厦市监罚〔2025〕88号"));
    assert!(
        !entity.body.contains("厦市监罚〔2020〕7号"),
        "a non-public record"
    );
    // The subject sees it on its own page, marked as not public.
    let own = visitor.get("/me");
    assert!(own.body.contains("厦市监罚〔2020〕7号"));
    assert!(
        own.body.contains("不公示（公示已于 2023-03-02 结束）"),
        "{}",
        own.body
    );
    assert!(own.body.contains("公示至 2028-06-03"));

    // The API reads only the Authorization header: a cookie is nobody.
    let api = visitor.get("/api/v1/me");
    assert_eq!(api.status, 401, "{}", api.body);
    assert!(api.content_type.starts_with("application/json"));
    let record = visitor.get(&format!("/api/v1/records/{old}"));
    assert_eq!(record.status, 404, "the public view for a cookie");
    // And public pages read with a session are not reads beyond the public view.
    let audited = server
        .store()
        .audit(&AuditQuery {
            subject: Some(w.company.clone()),
            ..AuditQuery::default()
        })
        .unwrap();
    assert!(
        audited.iter().all(|e| !e.action.starts_with("read_")),
        "{audited:?}"
    );
}

fn form_posts_from_other_sites_are_refused(engine: Engine) {
    let w = world(13, engine);
    let server = &w.server;
    let record = w.contested();
    let anonymous = Visitor::anonymous(server);
    let evil = [("Origin", "http://evil.example")];

    // Sign-in: refused from another origin, or when the browser says cross-site.
    for headers in [
        &evil[..],
        &[("Origin", "null")][..],
        &[("Sec-Fetch-Site", "cross-site")][..],
        &[("Origin", &*server.base.replace("127.0.0.1", "localhost"))][..],
    ] {
        let refused = anonymous.post_form("/login", &[("key", &w.company_key)], headers);
        assert_page(&refused, 403, &format!("{headers:?}"));
        assert!(refused.body.contains("拒绝来自其他网站的表单提交"));
        assert!(refused.set_cookie.is_empty(), "{headers:?}");
    }
    // From the site itself: accepted.
    let same = anonymous.post_form(
        "/login",
        &[("key", &w.company_key)],
        &[("Origin", &server.base), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(same.status, 303, "{}", same.body);
    let visitor = Visitor {
        server,
        cookie: session_of(&same),
    };

    // An objection posted from another site files nothing, even with the session.
    let parts = [
        Part::Text("record", &record),
        Part::Text("grounds", GROUNDS),
        pdf("evidence", "proof.pdf", PDF),
    ];
    let refused = visitor.post_multipart("/me/objection", &parts, &evil);
    assert_page(&refused, 403, "a cross-site objection");
    let refused = visitor.post_multipart("/me/repair", &parts, &[("Sec-Fetch-Site", "same-site")]);
    assert_page(&refused, 403, "a same-site repair");
    assert_eq!(cases_of(server, &w.company), 0);
    // Nor does another site sign anyone out.
    assert_eq!(visitor.post_form("/logout", &[], &evil).status, 403);
    assert_eq!(visitor.get("/me").status, 200);
    // The same objection from the site's own page is filed.
    let filed = visitor.post_multipart("/me/objection", &parts, &[("Origin", &server.base)]);
    assert_eq!(filed.status, 303, "{}", filed.body);
    assert_eq!(cases_of(server, &w.company), 1);
}

// ---------------------------------------------------------------------------------------
// The forms.

fn the_objection_form_files_an_objection_and_keeps_what_was_given_when_refused(engine: Engine) {
    let w = world(14, engine);
    let server = &w.server;
    let record = w.contested();
    let visitor = w.company_visitor();

    let form = visitor.get(&format!("/me/objection?record={record}"));
    assert_page(&form, 200, "the objection form");
    assert_private(&form, "the objection form");
    for needle in [
        "enctype=\"multipart/form-data\" action=\"/me/objection\"",
        &format!("name=\"record\" value=\"{record}\""),
        "<label for=\"grounds\">",
        "<textarea id=\"grounds\" name=\"grounds\"",
        "<label for=\"evidence-1\">",
        "id=\"evidence-1\" name=\"evidence\" type=\"file\"",
        "厦市监罚〔2025〕61号",
        "5 个工作日",
    ] {
        assert!(form.body.contains(needle), "{needle}: {}", form.body);
    }
    let english = visitor.get(&format!("/me/objection?record={record}&lang=en"));
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(english.body.contains("action=\"/me/objection?lang=en\""));
    assert!(english.body.contains("Grounds (required)"));

    // No grounds: refused by the objection rules; the file is kept, stored once.
    let refused = visitor.post_multipart(
        "/me/objection",
        &[
            Part::Text("record", &record),
            Part::Text("grounds", "  "),
            pdf("evidence", "复议决定书.pdf", PDF),
            Part::File {
                name: "evidence",
                filename: "",
                content_type: "application/octet-stream",
                bytes: b"",
            },
        ],
        &[],
    );
    assert_page(&refused, 422, "no grounds");
    assert!(refused.body.contains("异议须说明理由"), "{}", refused.body);
    let kept_pdf = format!("value=\"{}:复议决定书.pdf\" checked", sha256_hex(PDF));
    assert!(refused.body.contains(&kept_pdf), "{}", refused.body);
    assert!(refused.body.contains("action=\"/me/objection\""));
    assert!(
        refused
            .body
            .contains(&format!("name=\"record\" value=\"{record}\""))
    );

    // A file that is no PDF, JPEG or PNG: the grounds are kept, word for word.
    let refused = visitor.post_multipart(
        "/me/objection",
        &[
            Part::Text("record", &record),
            Part::Text("grounds", GROUNDS),
            Part::Text("kept", &format!("{}:复议决定书.pdf", sha256_hex(PDF))),
            pdf("evidence", "scan.pdf", EXE),
        ],
        &[],
    );
    assert_page(&refused, 415, "an executable");
    assert!(
        refused
            .body
            .contains("文件“scan.pdf”：附件内容不是 PDF、JPEG、PNG 文件"),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(&format!(">{}</textarea>", html_escaped(GROUNDS)))
    );
    assert!(
        refused.body.contains(&kept_pdf),
        "the earlier file is still offered"
    );
    let refused_en = visitor.post_multipart(
        "/me/objection?lang=en",
        &[
            Part::Text("record", &record),
            Part::Text("grounds", GROUNDS),
            pdf("evidence", "scan.pdf", EXE),
        ],
        &[],
    );
    assert_page(&refused_en, 415, "an executable, in English");
    assert!(refused_en.body.contains("<html lang=\"en\">"));
    assert!(
        refused_en
            .body
            .contains("File “scan.pdf”: the content is not a PDF, JPEG or PNG file")
    );

    // Too big (the limit is 1 MiB here).
    let mut big = PDF.to_vec();
    big.resize(1024 * 1024 + 512 * 1024, b' ');
    let refused = visitor.post_multipart(
        "/me/objection",
        &[
            Part::Text("record", &record),
            Part::Text("grounds", GROUNDS),
            pdf("evidence", "big.pdf", &big),
        ],
        &[],
    );
    assert_page(&refused, 413, "a file too big");
    assert!(
        refused.body.contains("附件不得超过 1 MiB"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&html_escaped(GROUNDS)));
    assert_eq!(cases_of(server, &w.company), 0, "nothing filed so far");

    // Filed: the kept PDF and a new PNG, then the case page.
    let filed = visitor.post_multipart(
        "/me/objection",
        &[
            Part::Text("record", &record),
            Part::Text("grounds", GROUNDS),
            Part::Text("kept", &format!("{}:复议决定书.pdf", sha256_hex(PDF))),
            Part::File {
                name: "evidence",
                filename: "照片.png",
                content_type: "image/png",
                bytes: PNG,
            },
        ],
        &[],
    );
    assert_eq!(filed.status, 303, "{}", filed.body);
    let id = filed
        .location
        .strip_prefix("/me/case/")
        .expect("the case page")
        .to_owned();
    assert!(id.starts_with("obj_"), "{id}");
    let (status, case) = server.get_json(&format!("/api/v1/objections/{id}"), Some(&w.company_key));
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["record"], record.as_str());
    assert_eq!(case["state"]["grounds"], GROUNDS);
    assert_eq!(
        case["state"]["attachments"],
        json!([sha256_hex(PDF), sha256_hex(PNG)])
    );
    let decide_by = case["state"]["decide_by"].as_str().unwrap().to_owned();
    let page = visitor.get(&filed.location);
    assert_page(&page, 200, "the case page");
    assert_private(&page, "the case page");
    assert!(page.body.contains("异议处理中"), "{}", page.body);
    assert!(page.body.contains(&format!("办理期限：{decide_by}")));
    assert!(page.body.contains("2 份"));
    assert!(page.body.contains("提出异议"), "the filing step");
    assert!(page.body.contains(&html_escaped(GROUNDS)));

    // `/me` marks the record and lists the case; the inbox has the notice.
    let me = visitor.get("/me");
    assert!(
        me.body
            .contains(&format!("href=\"/me/case/{id}\">异议处理中</a>")),
        "{}",
        me.body
    );
    assert!(me.body.contains("异议已登记"));
    assert!(me.body.contains(&decide_by));

    // Not the subject's record, an unknown one, a malformed one.
    let other = server
        .store()
        .records_of(&server.subject_code)
        .unwrap()
        .remove(0)
        .id
        .to_string();
    assert_page(
        &visitor.get(&format!("/me/objection?record={other}")),
        404,
        "another's record",
    );
    assert_page(
        &visitor.get(&format!("/me/objection?record={}", "0".repeat(32))),
        404,
        "unknown",
    );
    assert_page(
        &visitor.get("/me/objection?record=nonsense"),
        400,
        "malformed",
    );
    assert_page(&visitor.get("/me/objection"), 400, "no record");
    let stolen = visitor.post_multipart(
        "/me/objection",
        &[Part::Text("record", &other), Part::Text("grounds", GROUNDS)],
        &[],
    );
    assert_page(&stolen, 404, "an objection to another's record");
    let bare = visitor.post_form("/me/objection", &[("record", &record)], &[]);
    assert_page(&bare, 400, "not multipart");
    server.assert_intact();
}

fn the_repair_form_tells_eligibility_up_front_and_shows_the_refusals(engine: Engine) {
    let w = world(15, engine);
    let server = &w.server;
    let record = w.repairable();
    let visitor = w.company_visitor();
    let path = format!("/me/repair?record={record}");

    // Too early: told from when, that it is free, who decides and in how long; no form.
    w.on("2025-09-03");
    let early = visitor.get(&path);
    assert_page(&early, 200, "too early");
    assert_private(&early, "too early");
    for needle in [
        "自 2025-09-04 起",
        "自 2025-09-04 起可申请信用修复",
        "不收取任何费用",
        &format!(
            "由数据来源单位 {} 审核，自受理之日起 10 个工作日内作出决定",
            w.regulator_unit
        ),
        "信用修复承诺书",
        "国办发〔2020〕49号",
    ] {
        assert!(early.body.contains(needle), "{needle}: {}", early.body);
    }
    assert!(!early.body.contains("name=\"statement\""), "no form yet");
    // A stale form posted anyway: the refusal, with the statement kept.
    let refused = visitor.post_multipart(
        "/me/repair",
        &[
            Part::Text("record", &record),
            Part::Text("statement", STATEMENT),
            Part::Text("signed", "commitment"),
        ],
        &[],
    );
    assert_page(&refused, 422, "too early");
    assert!(
        refused
            .body
            .contains("不能申请信用修复：自 2025-09-04 起可申请信用修复"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&format!(">{STATEMENT}</textarea>")));

    // Open: the form, a file input per evidence condition, the commitment to tick.
    w.on(TODAY);
    let form = visitor.get(&path);
    assert_page(&form, 200, "open");
    for needle in [
        "该记录现在可以申请信用修复",
        "enctype=\"multipart/form-data\" action=\"/me/repair\"",
        "<label for=\"statement\">",
        "<label for=\"evidence-obligations_fulfilled\"",
        "name=\"evidence.obligations_fulfilled\" type=\"file\"",
        "name=\"evidence.effects_removed\" type=\"file\"",
        "<input type=\"checkbox\" id=\"signed-commitment\" name=\"signed\" value=\"commitment\"",
        "<label for=\"signed-commitment\">",
        "本单位承诺所提交材料真实有效",
        "公示至 2025-09-29 止",
    ] {
        assert!(form.body.contains(needle), "{needle}: {}", form.body);
    }

    // The commitment not ticked: refused by the repair rules, the files kept under their
    // conditions.
    let refused = visitor.post_multipart(
        "/me/repair",
        &[
            Part::Text("record", &record),
            Part::Text("statement", STATEMENT),
            pdf("evidence.obligations_fulfilled", "缴款凭证.pdf", PDF),
            pdf("evidence.effects_removed", "整改报告.pdf", REPORT_PDF),
        ],
        &[],
    );
    assert_page(&refused, 422, "unsigned");
    assert!(
        refused.body.contains("修复条件“信用修复承诺书”须签署"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&format!(">{STATEMENT}</textarea>")));
    let receipt = format!("{}:缴款凭证.pdf", sha256_hex(PDF));
    let report = format!("{}:整改报告.pdf", sha256_hex(REPORT_PDF));
    assert!(refused.body.contains(&format!(
        "name=\"kept.obligations_fulfilled\" value=\"{receipt}\" checked"
    )));
    assert!(refused.body.contains(&format!(
        "name=\"kept.effects_removed\" value=\"{report}\" checked"
    )));
    // A bad file among good ones: nothing filed, the good one kept.
    let refused = visitor.post_multipart(
        "/me/repair",
        &[
            Part::Text("record", &record),
            Part::Text("statement", STATEMENT),
            Part::Text("signed", "commitment"),
            Part::Text("kept.obligations_fulfilled", &receipt),
            pdf("evidence.effects_removed", "report.exe", EXE),
        ],
        &[],
    );
    assert_page(&refused, 415, "an executable");
    assert!(refused.body.contains("文件“report.exe”"));
    assert!(
        refused
            .body
            .contains("id=\"signed-commitment\" name=\"signed\" value=\"commitment\" checked")
    );
    assert_eq!(cases_of(server, &w.company), 0);

    // Everything: filed, and the case page has the review deadline.
    let filed = visitor.post_multipart(
        "/me/repair",
        &[
            Part::Text("record", &record),
            Part::Text("statement", STATEMENT),
            Part::Text("kept.obligations_fulfilled", &receipt),
            Part::Text("kept.effects_removed", &report),
            Part::Text("signed", "commitment"),
        ],
        &[],
    );
    assert_eq!(filed.status, 303, "{}", filed.body);
    let id = filed.location.strip_prefix("/me/case/").unwrap().to_owned();
    assert!(id.starts_with("rep_"));
    let (_, case) = server.get_json(&format!("/api/v1/repairs/{id}"), Some(&w.company_key));
    assert_eq!(case["state"]["review_by"], "2025-10-21", "{case}");
    assert_eq!(
        case["state"]["given"],
        json!([
            {"condition": "obligations_fulfilled", "attachments": [sha256_hex(PDF)], "signed": false},
            {"condition": "effects_removed", "attachments": [sha256_hex(REPORT_PDF)], "signed": false},
            {"condition": "commitment", "attachments": [], "signed": true},
        ])
    );
    let page = visitor.get(&filed.location);
    assert_page(&page, 200, "the repair case");
    assert!(page.body.contains("修复申请审核中"));
    assert!(page.body.contains("办理期限：2025-10-21"));
    assert!(page.body.contains("<dt>审核期限</dt><dd>2025-10-21</dd>"));

    // Pending: the page says so, and a second application is refused in the page.
    let pending = visitor.get(&path);
    assert!(pending.body.contains("已有修复申请正在审核"));
    let again = visitor.post_multipart(
        "/me/repair",
        &[
            Part::Text("record", &record),
            Part::Text("statement", STATEMENT),
            Part::Text("kept.obligations_fulfilled", &receipt),
            Part::Text("kept.effects_removed", &report),
            Part::Text("signed", "commitment"),
        ],
        &[],
    );
    assert_page(&again, 422, "pending");
    assert!(again.body.contains("已有修复申请正在审核"));
    assert_eq!(
        server
            .store()
            .cases_of(&w.company, Some(CaseKind::Repair))
            .unwrap()
            .len(),
        1
    );

    // Approved by the regulator: repaired, and off publication.
    let (status, decided) = server.post_json(
        &format!("/api/v1/repairs/{id}/decision"),
        Some(&w.regulator),
        &json!({"outcome": "approved", "reason": "材料齐全，符合修复条件"}),
    );
    assert_eq!(status, 200, "{decided}");
    let me = visitor.get("/me");
    assert!(me.body.contains("已修复 2025-09-30"), "{}", me.body);
    assert!(me.body.contains("不公示（公示已于 2025-09-29 结束）"));
    let case = visitor.get(&filed.location);
    assert!(case.body.contains("已批准：已修复"));
    assert!(case.body.contains("材料齐全，符合修复条件"));
    assert_eq!(
        Visitor::anonymous(server)
            .get(&format!("/record/{record}"))
            .status,
        404
    );
    let repaired = visitor.get(&path);
    assert!(repaired.body.contains("该记录已于 2025-09-30 完成信用修复"));
    server.assert_intact();
}

fn the_inbox_shows_each_party_its_notices_and_marks_the_overdue(engine: Engine) {
    let w = world(16, engine);
    let server = &w.server;
    let record = w.contested();
    let (status, filed) = server.post_json(
        "/api/v1/objections",
        Some(&w.company_key),
        &json!({"record": record, "grounds": GROUNDS}),
    );
    assert_eq!(status, 200, "{filed}");
    let id = filed["id"].as_str().unwrap().to_owned();
    let decide_by = filed["state"]["decide_by"].as_str().unwrap().to_owned();
    let link = format!("href=\"/me/case/{id}\"");

    let subject = w.company_visitor();
    let regulator = Visitor::sign_in(server, &w.regulator);
    let admin = Visitor::sign_in(server, &server.admin);
    let bystander = Visitor::sign_in(
        server,
        &server.key_for(Principal::Department {
            unit: unit_code(2),
            items: Vec::new(),
        }),
    );
    for (visitor, who) in [
        (&subject, "subject"),
        (&regulator, "source unit"),
        (&admin, "credit office"),
    ] {
        let inbox = visitor.get("/inbox");
        assert_page(&inbox, 200, who);
        assert_private(&inbox, who);
        assert!(inbox.body.contains("<h1>消息</h1>"), "{who}");
        assert!(inbox.body.contains("异议已登记"), "{who}: {}", inbox.body);
        assert!(inbox.body.contains(&link), "{who}");
        assert!(inbox.body.contains(&decide_by), "{who}");
        assert!(!inbox.body.contains("已超期"), "{who}");
        assert_page(&visitor.get(&format!("/me/case/{id}")), 200, who);
    }
    let theirs = bystander.get("/inbox");
    assert!(theirs.body.contains("暂无消息"), "{}", theirs.body);
    assert_page(
        &bystander.get(&format!("/me/case/{id}")),
        403,
        "a unit not party to it",
    );
    assert_page(
        &subject.get("/me/case/obj_nonsense"),
        404,
        "an unknown case",
    );

    // Past the deadline, the unit and the credit office see it flagged.
    let late = date(&decide_by).succ_opt().unwrap();
    server.clock.set(late);
    for (visitor, who) in [(&regulator, "source unit"), (&admin, "credit office")] {
        let inbox = visitor.get("/inbox");
        assert!(
            inbox
                .body
                .contains("<span class=\"tag warn\">已超期</span>"),
            "{who}: {}",
            inbox.body
        );
        assert!(inbox.body.contains("其中 1 件案件已超过办理期限"), "{who}");
        let english = visitor.get("/inbox?lang=en");
        assert!(english.body.contains("Overdue"), "{who}");
        assert!(english.body.contains("Objection filed"), "{who}");
    }
    let case = regulator.get(&format!("/me/case/{id}"));
    assert!(case.body.contains("已超期"));
    let me = subject.get("/me");
    assert!(
        me.body.contains("已超期"),
        "the subject's case list flags it too"
    );
}

// ---------------------------------------------------------------------------------------
// In Chromium.

/// Signs in through the form in the browser; answers once `/me` is shown.
fn sign_in_in_browser(browser: &Browser, server: &TestServer, key: &str) {
    browser.goto(&server.url("/me"));
    browser.wait_for_url("/login?next=");
    let input = browser.find("input#key");
    browser.type_into(&input, key);
    let button = browser.find("form.form button[type=submit]");
    browser.click(&button);
    browser.wait_for_url("/me");
    browser.find("h2#records");
    let cookies = browser.cookies();
    let session = cookies
        .iter()
        .find(|c| c["name"] == "gx_session")
        .unwrap_or_else(|| panic!("a session cookie in {cookies:?}"));
    assert_eq!(session["httpOnly"], true, "{session}");
    assert_eq!(session["sameSite"], "Strict", "{session}");
    assert_eq!(session["path"], "/", "{session}");
}

fn write_file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_subject_signs_in_and_objects_with_a_pdf_in_chromium() {
    if !browser_installed() {
        return;
    }
    let w = world(21, Engine::Sqlite);
    let server = &w.server;
    let record = w.contested();
    w.repairable();
    let files = tempfile::tempdir().unwrap();
    let proof = write_file(files.path(), "复议决定书.pdf", PDF);
    let browser = Browser::start();
    browser.window(1280, 1000);
    sign_in_in_browser(&browser, server, &w.company_key);

    // `/me`: basic information, every record with its window and its two links.
    let body = browser.body_text();
    assert!(body.contains(&w.company), "{body}");
    assert!(body.contains("厦市监罚〔2025〕61号"));
    assert!(body.contains("公示至 2028-06-03"), "{body}");
    assert!(body.contains("核查记录") && body.contains("查阅记录") && body.contains("消息"));
    browser.screenshot("me");
    browser.window(390, 844);
    browser.find("h1");
    browser.screenshot("me-phone");
    browser.window(1280, 1000);

    // Object to the earlier penalty, with a PDF chosen in the file input.
    let link = browser.find(&format!("tr#r-{record} a[href^=\"/me/objection\"]"));
    browser.click(&link);
    browser.wait_for_url(&format!("/me/objection?record={record}"));
    let grounds = browser.find("textarea#grounds");
    browser.type_into(&grounds, GROUNDS);
    let input = browser.find("input#evidence-1[type=file]");
    browser.choose_file(&input, &proof);
    assert!(
        browser.value(&input).ends_with("复议决定书.pdf"),
        "{}",
        browser.value(&input)
    );
    browser.screenshot("objection");
    let submit = browser.find("form.form button[type=submit]");
    browser.click(&submit);

    // The case page: under objection, with its due date.
    browser.wait_for_url("/me/case/obj_");
    let state = browser.find("strong.case-state");
    assert_eq!(browser.text(&state), "异议处理中");
    let id = browser.url().rsplit('/').next().unwrap().to_owned();
    let (status, case) = server.get_json(&format!("/api/v1/objections/{id}"), Some(&w.company_key));
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"]["attachments"], json!([sha256_hex(PDF)]));
    assert_eq!(case["state"]["grounds"], GROUNDS);
    let due = browser.find("span.due");
    assert_eq!(
        browser.text(&due),
        format!("办理期限：{}", case["state"]["decide_by"].as_str().unwrap())
    );

    // Back on `/me`, the record is marked.
    browser.goto(&server.url("/me"));
    let row = browser.find(&format!("tr#r-{record}"));
    assert!(browser.text(&row).contains("异议处理中"));

    // Signing out in the browser ends it: `/me` asks for the key again.
    let out = browser.find("header form.inline button");
    browser.click(&out);
    browser.wait_for_url("/login?signed_out=1");
    browser.goto(&server.url("/me"));
    browser.wait_for_url("/login?next=");
}

#[test]
fn a_subject_applies_for_credit_repair_and_sees_it_approved_in_chromium() {
    if !browser_installed() {
        return;
    }
    let w = world(22, Engine::Sqlite);
    let server = &w.server;
    let record = w.repairable();
    let files = tempfile::tempdir().unwrap();
    let receipt = write_file(files.path(), "缴款凭证.pdf", PDF);
    let report = write_file(files.path(), "整改报告.pdf", REPORT_PDF);
    let photo = write_file(files.path(), "现场照片.png", PNG);
    let browser = Browser::start();
    browser.window(1280, 1000);
    sign_in_in_browser(&browser, server, &w.company_key);

    let link = browser.find(&format!("tr#r-{record} a[href^=\"/me/repair\"]"));
    browser.click(&link);
    browser.wait_for_url(&format!("/me/repair?record={record}"));
    let body = browser.body_text();
    assert!(body.contains("该记录现在可以申请信用修复"), "{body}");
    assert!(body.contains("自 2025-09-04 起"));
    assert!(body.contains("不收取任何费用"));
    assert!(body.contains("10 个工作日内作出决定"));

    let statement = browser.find("textarea#statement");
    browser.type_into(&statement, STATEMENT);
    let obligations = browser.find("input#evidence-obligations_fulfilled");
    browser.choose_file(&obligations, &receipt);
    let effects = browser.find("input#evidence-effects_removed");
    browser.choose_file(&effects, &report);
    browser.choose_file(&effects, &photo);
    let commitment = browser.find("input#signed-commitment");
    assert!(!browser.is_selected(&commitment));
    browser.click(&commitment);
    assert!(browser.is_selected(&commitment));
    browser.window(1280, 2200);
    browser.find("form.form");
    browser.screenshot("repair");
    browser.window(1280, 1000);
    let submit = browser.find("form.form button[type=submit]");
    browser.click(&submit);

    // The case: under review, with its deadline in working days.
    browser.wait_for_url("/me/case/rep_");
    let state = browser.find("strong.case-state");
    assert_eq!(browser.text(&state), "修复申请审核中");
    let due = browser.find("span.due");
    assert_eq!(browser.text(&due), "办理期限：2025-10-21");
    let id = browser.url().rsplit('/').next().unwrap().to_owned();
    let (_, case) = server.get_json(&format!("/api/v1/repairs/{id}"), Some(&w.company_key));
    assert_eq!(case["state"]["review_by"], "2025-10-21");
    let given = &case["state"]["given"];
    assert_eq!(given[0]["attachments"], json!([sha256_hex(PDF)]), "{case}");
    assert_eq!(
        given[1]["attachments"],
        json!([sha256_hex(REPORT_PDF), sha256_hex(PNG)]),
        "{case}"
    );
    assert_eq!(given[2]["signed"], true);
    browser.screenshot("repair-case");

    // The regulator approves through the API; `/me` shows the record repaired, not public.
    let (status, decided) = server.post_json(
        &format!("/api/v1/repairs/{id}/decision"),
        Some(&w.regulator),
        &json!({"outcome": "approved", "reason": "材料齐全，符合修复条件"}),
    );
    assert_eq!(status, 200, "{decided}");
    browser.goto(&server.url("/me"));
    let row = browser.find(&format!("tr#r-{record}"));
    let text = browser.text(&row);
    assert!(text.contains("已修复 2025-09-30"), "{text}");
    assert!(text.contains("不公示"), "{text}");
    assert!(!text.contains("公示至 2028"), "{text}");
    let (_, own) = server.get_json(&format!("/api/v1/records/{record}"), Some(&w.company_key));
    assert_eq!(own["public"], false, "{own}");
    assert_eq!(own["repaired_on"], "2025-09-30");
}

#[test]
fn the_self_service_pages_work_in_english_in_chromium() {
    if !browser_installed() {
        return;
    }
    let w = world(23, Engine::Sqlite);
    let server = &w.server;
    let record = w.repairable();
    let browser = Browser::start();
    browser.window(1280, 1000);
    browser.goto(&server.url("/me?lang=en"));
    browser.wait_for_url("/login?next=");
    let html = browser.find("html");
    assert_eq!(browser.attribute(&html, "lang"), "en");
    let input = browser.find("input#key");
    browser.type_into(&input, &w.company_key);
    let button = browser.find("form.form button[type=submit]");
    browser.click(&button);
    browser.wait_for_url("/me?lang=en");
    let body = browser.body_text();
    assert!(body.contains("Basic information"), "{body}");
    assert!(body.contains("Shown until 2028-06-03"), "{body}");
    let link = browser.find(&format!("tr#r-{record} a[href^=\"/me/repair\"]"));
    assert!(browser.attribute(&link, "href").ends_with("lang=en"));
    browser.click(&link);
    browser.wait_for_url("/me/repair?");
    let body = browser.body_text();
    assert!(body.contains("Credit repair is free of charge"), "{body}");
    assert!(body.contains("decides within 10 working days"), "{body}");
    assert_eq!(browser.attribute(&browser.find("html"), "lang"), "en");
}
