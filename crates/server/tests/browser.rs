//! The public portal against a real server with generated data: its pages over plain HTTP,
//! and a walk through it in a real headless Chromium driven over the W3C WebDriver protocol
//! (the driver is `common::browser`).
//!
//! Without Chromium and chromedriver the browser test says "skipped: chromium not installed"
//! and passes, unless `GONGXIN_REQUIRE_BROWSER=1` is set. With `GONGXIN_SCREENSHOTS=1` it
//! saves screenshots of the pages to `docs/screenshots/`. `GONGXIN_CHROMIUM` and
//! `GONGXIN_CHROMEDRIVER` override `/usr/bin/chromium` and `/usr/bin/chromedriver`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::browser::{Browser, ELEMENT, browser_installed};
use common::{TestServer, agent, encode};
use gongxin_store::AuditQuery;
use serde_json::{Value, json};

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

fn get_with(server: &TestServer, path: &str, authorization: Option<&str>) -> Answer {
    let mut request = agent().get(server.url(path));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let mut response = request.call().expect("the server answers");
    Answer {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: response.body_mut().read_to_string().expect("a text body"),
    }
}

fn get(server: &TestServer, path: &str) -> Answer {
    get_with(server, path, None)
}

fn get_json(server: &TestServer, path: &str) -> Value {
    let answer = get(server, path);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    serde_json::from_str(&answer.body).expect("JSON")
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// A subject with records the public sees, and four consecutive Chinese characters of its
/// name that find it on the first page of results.
struct Known {
    code: String,
    name: String,
    fragment: String,
}

fn known_subject(server: &TestServer) -> Known {
    let mut best: Option<(usize, Known)> = None;
    for subject in server.store().subjects_after("", 1_000).unwrap() {
        if subject.code.len() != 18 || subject.code.starts_with("00000") {
            continue;
        }
        let profile = get_json(server, &format!("/api/v1/subjects/{}", subject.code));
        let groups = profile["groups"].as_array().map_or(0, Vec::len);
        if groups == 0 || best.as_ref().is_some_and(|(g, _)| *g >= groups) {
            continue;
        }
        // The piece of the name with the fewest hits that still finds it on the first page.
        let chars: Vec<char> = subject.name.chars().collect();
        let mut fragment: Option<(u64, String)> = None;
        for window in chars.windows(4) {
            if !window.iter().all(|c| is_han(*c)) {
                continue;
            }
            let text: String = window.iter().collect();
            let hits = get_json(
                server,
                &format!("/api/v1/subjects?q={}&limit=20", encode(&text)),
            );
            let found = hits["hits"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["code"] == subject.code.as_str());
            let total = hits["total"].as_u64().unwrap();
            if found && fragment.as_ref().is_none_or(|(t, _)| total < *t) {
                fragment = Some((total, text));
            }
        }
        if let Some((_, fragment)) = fragment {
            let known = Known {
                code: subject.code,
                name: subject.name,
                fragment,
            };
            best = Some((groups, known));
        }
    }
    best.map(|(_, known)| known)
        .expect("a generated subject with public records is found by a part of its name")
}

fn first_record_id(server: &TestServer, code: &str) -> String {
    let profile = get_json(server, &format!("/api/v1/subjects/{code}"));
    profile["groups"][0]["records"][0]["id"]
        .as_str()
        .expect("a record")
        .to_owned()
}

fn assert_html(answer: &Answer, status: u16, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    assert_eq!(
        answer.content_type, "text/html; charset=utf-8",
        "{what}: the content type"
    );
    assert!(answer.body.starts_with("<!doctype html>"), "{what}");
    for landmark in [
        "<header",
        "<nav",
        "<main id=\"main\"",
        "<footer",
        "href=\"#main\"",
    ] {
        assert!(answer.body.contains(landmark), "{what}: {landmark}");
    }
    assert!(
        answer.body.contains("name=\"viewport\""),
        "{what}: viewport"
    );
    assert!(!answer.body.contains("<script"), "{what}: no script");
}

#[test]
fn the_portal_pages_answer_html_in_both_languages() {
    let server = TestServer::start();
    let known = known_subject(&server);

    let home = get(&server, "/");
    assert_html(&home, 200, "home");
    assert!(home.body.contains("<html lang=\"zh-CN\">"));
    assert!(home.body.contains("公信"));
    assert!(home.body.contains("<label for=\"q\">"));
    assert!(home.body.contains("action=\"/search\""));
    assert!(
        home.body.contains("href=\"/?lang=en\""),
        "the switch to English"
    );
    let home_en = get(&server, "/?lang=en");
    assert_html(&home_en, 200, "home in English");
    assert!(home_en.body.contains("<html lang=\"en\">"));
    assert!(home_en.body.contains("Search"));
    assert!(
        home_en
            .body
            .contains("<input type=\"hidden\" name=\"lang\" value=\"en\">"),
        "the English form keeps the language"
    );

    // Results: the subject, linked; every link keeps the language.
    let path = format!("/search?q={}", encode(&known.fragment));
    let results = get(&server, &path);
    assert_html(&results, 200, "results");
    let entity_link = format!("href=\"/entity/{}\"", known.code);
    assert!(results.body.contains(&entity_link), "{}", results.body);
    assert!(
        results
            .body
            .contains(&format!("<mark>{}</mark>", known.fragment))
    );
    let results_en = get(&server, &format!("{path}&lang=en"));
    assert_html(&results_en, 200, "results in English");
    assert!(
        results_en
            .body
            .contains(&format!("href=\"/entity/{}?lang=en\"", known.code))
    );
    assert!(results_en.body.contains("subjects found for"));

    // Paging by offset and limit.
    let page_two = get(
        &server,
        &format!("/search?q={}&limit=1&offset=1", encode(&known.fragment)),
    );
    assert_html(&page_two, 200, "a second page");
    assert!(page_two.body.contains("rel=\"prev\""), "{}", page_two.body);

    // Empty, bad and hostile queries.
    let empty = get(&server, "/search?q=");
    assert_html(&empty, 200, "no query");
    assert!(empty.body.contains("请输入"));
    let short = get(&server, "/search?q=%E6%9D%AD");
    assert_html(&short, 400, "a one-character query");
    assert!(short.body.contains("查询条件有误"), "{}", short.body);
    let short_en = get(&server, "/search?q=%E6%9D%AD&lang=en");
    assert_html(&short_en, 400, "a one-character query in English");
    assert!(
        short_en.body.contains("bad search query"),
        "{}",
        short_en.body
    );
    let bad_type = get(&server, "/search?q=%E7%A7%91%E6%8A%80&type=%3F%3F%3F");
    assert_html(&bad_type, 400, "a bad type filter");
    let hostile = get(
        &server,
        "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27",
    );
    assert_html(&hostile, 200, "markup in the query");
    assert!(
        hostile
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;")
    );

    // The entity page.
    let entity = get(&server, &format!("/entity/{}", known.code));
    assert_html(&entity, 200, "entity");
    assert!(entity.body.contains(&known.name));
    assert!(entity.body.contains(&known.code));
    assert!(entity.body.contains("<th scope=\"col\">公示截止</th>"));
    assert!(entity.body.contains("href=\"/record/"));
    let entity_en = get(&server, &format!("/entity/{}?lang=en", known.code));
    assert_html(&entity_en, 200, "entity in English");
    assert!(
        entity_en
            .body
            .contains("<th scope=\"col\">Shown until</th>")
    );
    assert!(entity_en.body.contains("?lang=en\""));
    assert!(!entity_en.body.contains("公示截止"));

    // The record page.
    let id = first_record_id(&server, &known.code);
    let record = get(&server, &format!("/record/{id}"));
    assert_html(&record, 200, "record");
    assert!(
        record.body.contains("本信息公示至") || record.body.contains("本信息在效期间持续公示"),
        "{}",
        record.body
    );
    assert!(record.body.contains("变更历史"));
    assert!(record.body.contains("报送"));
    let record_en = get(&server, &format!("/record/{id}?lang=en"));
    assert_html(&record_en, 200, "record in English");
    assert!(
        record_en.body.contains("Shown until") || record_en.body.contains("Shown while in force")
    );
    assert!(record_en.body.contains("submitted"));

    // Not found, malformed: HTML pages with the message in both languages.
    let missing = get(&server, "/entity/91110000MA00000000");
    assert_html(&missing, 404, "an unknown subject");
    assert!(missing.body.contains("未找到代码为"));
    assert!(missing.body.contains("no subject with code"));
    let missing_record = get(&server, &format!("/record/{}", "0".repeat(32)));
    assert_html(&missing_record, 404, "an unknown record");
    let bad_id = get(&server, "/record/not-an-id?lang=en");
    assert_html(&bad_id, 400, "a malformed record id");
    assert!(bad_id.body.contains("<html lang=\"en\">"));
    assert!(bad_id.body.contains("a record id is 32 hex digits"));

    // The portal is the public view whatever key comes with the request.
    let with_key = get_with(
        &server,
        &format!("/entity/{}", known.code),
        Some(&format!("Bearer {}", server.admin)),
    );
    assert_html(&with_key, 200, "entity with an admin key");
    assert_eq!(with_key.body, entity.body);
    let bogus = get_with(&server, "/", Some("Bearer gx_nonsense"));
    assert_html(&bogus, 200, "home with an invalid key");
    let audited = server
        .store()
        .audit(&AuditQuery {
            subject: None,
            key_id: None,
            from_us: None,
            to_us: None,
            after_seq: 0,
            limit: 1_000,
        })
        .unwrap();
    assert!(
        audited.is_empty(),
        "portal reads are public and never audited: {audited:?}"
    );
}

#[test]
fn portal_requests_with_or_without_a_key_are_rate_limited_with_a_page() {
    let server = TestServer::start_with(common::Options {
        subjects: 5,
        records: 20,
        public_requests_per_minute: 1,
        ..common::Options::default()
    });
    let mut statuses = Vec::new();
    for n in 0..12 {
        let key = (n % 2 == 0).then_some("Bearer gx_anything");
        let answer = get_with(&server, "/search?q=abc", key);
        statuses.push(answer.status);
        if answer.status == 429 {
            assert_eq!(answer.content_type, "text/html; charset=utf-8");
            assert!(answer.body.contains("请求过于频繁"));
        }
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn unknown_addresses_answer_a_page_for_people_and_json_for_programs() {
    let server = TestServer::start();
    let page = get(&server, "/no/such/page?lang=en");
    assert_html(&page, 404, "an unknown portal address");
    let api = get(&server, "/api/v1/no/such/thing");
    assert_eq!(api.status, 404);
    assert!(
        api.content_type.starts_with("application/json"),
        "{}",
        api.content_type
    );
}

/// Every 18-character identity number in the generated files: 17 digits and a check
/// character by GB 11643, not part of a longer run of letters and digits.
fn identity_numbers(dir: &Path) -> BTreeSet<String> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for token in bytes.split(|b| !b.is_ascii_alphanumeric()) {
            if token.len() != 18 || !token[..17].iter().all(u8::is_ascii_digit) {
                continue;
            }
            let sum: u32 = token[..17]
                .iter()
                .zip(WEIGHTS)
                .map(|(b, w)| u32::from(b - b'0') * w)
                .sum();
            if token[17].to_ascii_uppercase() == CHECKS[(sum % 11) as usize] {
                found.insert(String::from_utf8(token.to_vec()).unwrap());
            }
        }
    }
    found
}

#[test]
fn public_pages_never_show_an_identity_number() {
    let server = TestServer::start();
    let numbers = identity_numbers(&server.incoming);
    assert!(
        numbers.len() > 20,
        "the generated files hold identity numbers: {}",
        numbers.len()
    );
    let subjects = server.store().subjects_after("", 1_000).unwrap();
    let mut records = 0;
    for subject in &subjects {
        let path = format!("/entity/{}", encode(&subject.code));
        let page = get(&server, &path);
        assert_html(&page, 200, &path);
        for number in &numbers {
            assert!(
                !page.body.contains(number.as_str()),
                "{path} shows {number}"
            );
        }
        // A few record pages of each subject too.
        for stored in server
            .store()
            .records_of(&subject.code)
            .unwrap()
            .iter()
            .take(3)
        {
            let path = format!("/record/{}?lang=en", stored.id);
            let page = get(&server, &path);
            if page.status == 404 {
                continue; // not public today
            }
            assert_html(&page, 200, &path);
            records += 1;
            for number in &numbers {
                assert!(
                    !page.body.contains(number.as_str()),
                    "{path} shows {number}"
                );
            }
        }
    }
    assert!(records > 0, "record pages were checked");
}

#[test]
fn a_visitor_finds_a_subject_and_reads_its_records_in_chromium() {
    if !browser_installed() {
        return;
    }
    let server = TestServer::start();
    let known = known_subject(&server);
    let browser = Browser::start();
    browser.window(1280, 1000);

    // Home: type part of the name, submit.
    browser.goto(&server.url("/"));
    let heading = browser.find("h1");
    assert!(!browser.text(&heading).is_empty());
    let input = browser.find("input#q");
    browser.type_into(&input, &known.fragment);
    browser.screenshot("home");
    let button = browser.find("form.search button[type=submit]");
    browser.click(&button);

    // Results: the subject is listed; open it.
    browser.wait_for_url("/search?");
    browser.find("ol.hits");
    assert!(
        browser.body_text().contains(&known.name),
        "the results list {}",
        known.name
    );
    browser.screenshot("results");
    let link = browser.find(&format!("ol.hits a[href^=\"/entity/{}\"]", known.code));
    browser.click(&link);

    // Entity page: name, code, a record table.
    browser.wait_for_url(&format!("/entity/{}", known.code));
    let heading = browser.find("h1");
    assert_eq!(browser.text(&heading), known.name);
    let body = browser.body_text();
    assert!(body.contains(&known.code));
    assert!(body.contains("公示截止"));
    browser.find("table.stack tbody tr");
    browser.screenshot("entity");
    browser.window(390, 844);
    browser.find("h1");
    browser.screenshot("entity-phone");
    let table = browser.find("table.stack");
    browser.post(
        "/execute/sync",
        json!({ "script": "arguments[0].scrollIntoView()", "args": [{ ELEMENT: table }] }),
    );
    browser.screenshot("entity-phone-records");
    browser.window(1280, 1000);

    // A record page says until when it is shown.
    let record_link = browser.find("table.stack tbody a[href^=\"/record/\"]");
    browser.click(&record_link);
    browser.wait_for_url("/record/");
    browser.find("p.notice");
    let body = browser.body_text();
    assert!(
        body.contains("本信息公示至") || body.contains("本信息在效期间持续公示"),
        "{body}"
    );
    assert!(body.contains("变更历史"));
    browser.screenshot("record");

    // Switch to English: the labels follow, and links keep the language.
    let switch = browser.find("header nav a[hreflang=\"en\"]");
    browser.click(&switch);
    browser.wait_for_url("lang=en");
    let html = browser.find("html");
    assert_eq!(browser.attribute(&html, "lang"), "en");
    let body = browser.body_text();
    assert!(
        body.contains("Shown until") || body.contains("Shown while in force"),
        "{body}"
    );
    assert!(body.contains("Publication period"));
    assert!(body.contains("History"));
    browser.screenshot("record-en");
    let subject_link = browser.find("nav.crumbs a[href^=\"/entity/\"]");
    assert!(
        browser
            .attribute(&subject_link, "href")
            .ends_with("?lang=en")
    );
    browser.click(&subject_link);
    browser.wait_for_url(&format!("/entity/{}?lang=en", known.code));
    let body = browser.body_text();
    assert!(body.contains("Basic information"));
    assert!(body.contains("Shown until"));
}
