//! E-mail notification over a real SMTP conversation: the parties set their addresses, a
//! subject objects to one of its records, and an SMTP sink listening on a loopback port
//! inside the test receives the notices — each party once, in UTF-8 with an encoded-word
//! subject — across restarts; a relay that refuses leads to retries and a failed mail the
//! credit office sees; without a relay nothing is sent or queued. Each test but the last on
//! SQLite and on PostgreSQL (a schema of its own).

mod common;

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Engine, Options, TestServer, agent, date, error_of, on_both_engines, unit_code};
use gongxin_core::access::Principal;
use gongxin_server::config::ServerConfig;
use gongxin_store::MailQuery;
use serde_json::{Value, json};

const SENDER: &str = "noreply@credit.xm.gov.cn";
const SUBJECT_ADDRESS: &str = "shop.owner@example.cn";
const UNIT_ADDRESS: &str = "xinyong@scjg.xm.gov.cn";
const OFFICE_ADDRESS: &str = "xyb@fgw.xm.gov.cn";

thread_local! {
    /// The relay the next server of this test's thread is configured with: `configure` is a
    /// plain function, and each test starts its servers on its own thread.
    static RELAY: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn relay_to(relay: Option<&str>) {
    RELAY.with(|r| *r.borrow_mut() = relay.map(str::to_owned));
}

/// Mail timings in milliseconds, and the relay of this thread (if any).
fn mail_settings(config: &mut ServerConfig) {
    config.push_interval_ms = 20;
    config.push_retry_base_ms = 60;
    config.smtp_max_attempts = 3;
    config.smtp_timeout_ms = 2_000;
    config.smtp_from = SENDER.to_owned();
    config.smtp_relay = RELAY.with(|r| r.borrow().clone());
}

fn server(engine: Engine) -> TestServer {
    TestServer::start_with(Options {
        today: Some(date("2025-06-03")),
        engine,
        configure: mail_settings,
        ..Options::default()
    })
}

/// Polls `done` until it holds or `within` passes; whether it held.
fn wait_for(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// An SMTP sink: speaks enough SMTP on a loopback port to take mail, and records each
// envelope and its data; or refuses every recipient with a 5xx.

#[derive(Debug, Clone)]
struct Envelope {
    helo: String,
    from: String,
    to: Vec<String>,
    /// The data as sent, dot-stuffing undone, without the closing dot.
    data: String,
}

struct Sink {
    relay: String,
    envelopes: Arc<Mutex<Vec<Envelope>>>,
    refuse: Arc<AtomicBool>,
    /// Recipients asked for, refused or not.
    rcpts: Arc<AtomicUsize>,
}

impl Sink {
    fn start(refuse: bool) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let relay = listener.local_addr().unwrap().to_string();
        let sink = Sink {
            relay,
            envelopes: Arc::default(),
            refuse: Arc::new(AtomicBool::new(refuse)),
            rcpts: Arc::default(),
        };
        let (envelopes, refuse, rcpts) = (
            Arc::clone(&sink.envelopes),
            Arc::clone(&sink.refuse),
            Arc::clone(&sink.rcpts),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (envelopes, refuse, rcpts) = (
                    Arc::clone(&envelopes),
                    Arc::clone(&refuse),
                    Arc::clone(&rcpts),
                );
                std::thread::spawn(move || converse(stream, &envelopes, &refuse, &rcpts));
            }
        });
        sink
    }

    fn envelopes(&self) -> Vec<Envelope> {
        self.envelopes.lock().unwrap().clone()
    }

    /// The messages sent to `address`.
    fn to(&self, address: &str) -> Vec<Message> {
        self.envelopes()
            .into_iter()
            .filter(|e| e.to == [address])
            .map(|e| Message::parse(&e))
            .collect()
    }
}

fn converse(
    stream: TcpStream,
    envelopes: &Mutex<Vec<Envelope>>,
    refuse: &AtomicBool,
    rcpts: &AtomicUsize,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().expect("a second handle"));
    let mut out = stream;
    let mut say = |text: &str| out.write_all(text.as_bytes()).is_ok();
    if !say("220 sink.test ESMTP ready\r\n") {
        return;
    }
    let mut envelope = Envelope {
        helo: String::new(),
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let verb = line
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" | "HELO" => {
                envelope.helo = line[4..].trim().to_owned();
                // A reply of several lines, as real relays give to EHLO.
                "250-sink.test greets you\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n".to_owned()
            }
            "MAIL" => {
                envelope.from = angle(line);
                "250 2.1.0 sender ok\r\n".to_owned()
            }
            "RCPT" => {
                rcpts.fetch_add(1, Ordering::SeqCst);
                let to = angle(line);
                if refuse.load(Ordering::SeqCst) {
                    format!("550 5.7.1 <{to}>: relaying denied\r\n")
                } else {
                    envelope.to.push(to);
                    "250 2.1.5 recipient ok\r\n".to_owned()
                }
            }
            "DATA" => {
                if !say("354 end data with <CR><LF>.<CR><LF>\r\n") {
                    return;
                }
                let mut data = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    let line = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(line);
                }
                envelope.data = data;
                envelopes.lock().unwrap().push(envelope.clone());
                "250 2.0.0 queued\r\n".to_owned()
            }
            "QUIT" => {
                say("221 2.0.0 bye\r\n");
                return;
            }
            "RSET" | "NOOP" => "250 ok\r\n".to_owned(),
            _ => "500 5.5.1 unknown command\r\n".to_owned(),
        };
        if !say(&reply) {
            return;
        }
    }
}

/// What is between `<` and `>`.
fn angle(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line.rfind('>').unwrap_or(line.len());
    line[start..end].to_owned()
}

/// A received message, read back apart from the server's code.
#[derive(Debug)]
struct Message {
    /// Header lines, unfolded.
    headers: Vec<(String, String)>,
    /// The Subject header decoded.
    subject: String,
    /// The body decoded from base64.
    body: String,
}

impl Message {
    fn parse(envelope: &Envelope) -> Message {
        let (head, body) = envelope
            .data
            .split_once("\r\n\r\n")
            .expect("headers, a blank line, a body");
        let unfolded = head.replace("\r\n ", " ");
        let headers: Vec<(String, String)> = unfolded
            .split("\r\n")
            .map(|line| {
                let (name, value) = line.split_once(": ").expect("a header");
                (name.to_owned(), value.to_owned())
            })
            .collect();
        let raw_subject = headers
            .iter()
            .find(|(name, _)| name == "Subject")
            .map(|(_, value)| value.clone())
            .expect("a Subject header");
        assert!(raw_subject.is_ascii(), "{raw_subject}");
        let mut subject = Vec::new();
        for word in raw_subject.split(' ') {
            let encoded = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .unwrap_or_else(|| panic!("an RFC 2047 encoded-word: {word}"));
            subject.extend(STANDARD.decode(encoded).expect("base64"));
        }
        for line in body.split("\r\n") {
            assert!(line.len() <= 76, "a body line of {} characters", line.len());
        }
        let body = STANDARD
            .decode(body.replace("\r\n", ""))
            .expect("a base64 body");
        Message {
            headers,
            subject: String::from_utf8(subject).expect("a UTF-8 subject"),
            body: String::from_utf8(body).expect("a UTF-8 body"),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

// ---------------------------------------------------------------------------------------
// Requests.

fn put_email(server: &TestServer, key: Option<&str>, address: &str) -> (u16, Value) {
    let mut request = agent().put(server.url("/api/v1/inbox/email"));
    if let Some(key) = key {
        request = request.header("Authorization", &format!("Bearer {key}"));
    }
    let mut response = request
        .send_json(json!({ "address": address }))
        .expect("the server answers");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn delete_email(server: &TestServer, key: &str) -> (u16, Value) {
    let mut response = agent()
        .delete(server.url("/api/v1/inbox/email"))
        .header("Authorization", &format!("Bearer {key}"))
        .call()
        .expect("the server answers");
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

/// A record of the test subject from the department's unit, to object to.
fn contested_record(server: &TestServer) -> String {
    server
        .store()
        .records_of(&server.subject_code)
        .unwrap()
        .into_iter()
        .find(|r| {
            r.record.key.source_unit == server.department_unit
                && r.status == gongxin_core::record::RecordStatus::Normal
        })
        .expect("a record of the subject from the department's unit")
        .id
        .to_string()
}

/// The subject objects: the case id and its decision deadline.
fn object(server: &TestServer, record: &str) -> (String, String) {
    let (status, filed) = server.post_json(
        "/api/v1/objections",
        Some(&server.subject),
        &json!({"record": record, "grounds": "处罚决定已被行政复议撤销，请予更正"}),
    );
    assert_eq!(status, 200, "{filed}");
    (
        filed["id"].as_str().unwrap().to_owned(),
        filed["state"]["decide_by"].as_str().unwrap().to_owned(),
    )
}

fn mail_list(server: &TestServer, query: &str) -> Value {
    let (status, page) =
        server.get_json(&format!("/api/v1/inbox/mail{query}"), Some(&server.admin));
    assert_eq!(status, 200, "{page}");
    page
}

// ---------------------------------------------------------------------------------------

on_both_engines!(
    case_notices_are_mailed_once_to_each_party_with_an_address_across_restarts,
    a_relay_that_refuses_is_retried_then_the_mail_is_left_failed_with_the_error,
    without_a_relay_nothing_is_sent_or_queued,
);

fn case_notices_are_mailed_once_to_each_party_with_an_address_across_restarts(engine: Engine) {
    let sink = Sink::start(false);
    relay_to(Some(&sink.relay));
    let mut server = server(engine);

    // Addresses: every key holder sets its own party's.
    let (status, set) = put_email(
        &server,
        Some(&server.subject),
        &format!(" {SUBJECT_ADDRESS} "),
    );
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["address"], SUBJECT_ADDRESS);
    assert_eq!(
        set["party"],
        json!({"kind": "subject", "code": server.subject_code})
    );
    assert_eq!(set["sending"], true);
    let (status, set) = put_email(&server, Some(&server.department), "old@scjg.xm.gov.cn");
    assert_eq!(status, 200, "{set}");
    let (status, set) = put_email(&server, Some(&server.department), UNIT_ADDRESS);
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        set["party"],
        json!({"kind": "unit", "code": server.department_unit})
    );
    assert_eq!(
        set["address"], UNIT_ADDRESS,
        "the second address replaces the first"
    );
    let (status, set) = put_email(&server, Some(&server.admin), OFFICE_ADDRESS);
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["party"], json!({"kind": "credit_office"}));

    // Refused: not an address (bilingual), no key, a role without an inbox.
    for bad in [
        "shop",
        "shop@example",
        "店铺@example.cn",
        "a@example.cn\r\nRCPT TO:<b@evil.cn>",
    ] {
        let (status, refused) = put_email(&server, Some(&server.subject), bad);
        assert_eq!(status, 400, "{bad:?}: {refused}");
        assert_eq!(refused["error"]["code"], "bad_request");
        assert!(
            refused["error"]["message_zh"]
                .as_str()
                .unwrap()
                .starts_with("电子邮件地址无效"),
            "{refused}"
        );
        assert!(
            refused["error"]["message_en"]
                .as_str()
                .unwrap()
                .starts_with("not a valid e-mail address"),
            "{refused}"
        );
    }
    assert_eq!(error_of(put_email(&server, None, "x@example.cn")).0, 401);
    assert_eq!(
        error_of(put_email(&server, Some(&server.auditor), "x@example.cn")),
        (403, "forbidden".to_owned())
    );

    // The inbox shows each key its own party's address, and nobody else's.
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&server.subject));
    assert_eq!(inbox["email"]["address"], SUBJECT_ADDRESS);
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&server.department));
    assert_eq!(inbox["email"]["address"], UNIT_ADDRESS);
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&server.admin));
    assert_eq!(inbox["email"]["address"], OFFICE_ADDRESS);
    let other_subject = server
        .store()
        .subjects_after("", 2)
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .find(|code| *code != server.subject_code)
        .expect("another subject");
    let other = server.key_for(Principal::Subject {
        code: other_subject,
    });
    let bystander = server.key_for(Principal::Department {
        unit: unit_code(2),
        items: Vec::new(),
    });
    for key in [&other, &bystander] {
        let (status, inbox) = server.get_json("/api/v1/inbox", Some(key));
        assert_eq!(status, 200);
        assert_eq!(inbox["email"], Value::Null, "{inbox}");
        assert!(!inbox.to_string().contains(SUBJECT_ADDRESS));
    }
    assert!(
        sink.envelopes().is_empty(),
        "setting addresses mails nothing"
    );

    // The subject objects: the subject, the source unit and the credit office are mailed.
    let record = contested_record(&server);
    let (case, decide_by) = object(&server, &record);
    assert!(
        wait_for(Duration::from_secs(10), || sink.envelopes().len() >= 3),
        "three mails arrive: {:?}",
        sink.envelopes()
    );
    let envelopes = sink.envelopes();
    for envelope in &envelopes {
        assert_eq!(envelope.from, SENDER);
        assert!(envelope.helo.starts_with('['), "{}", envelope.helo);
    }
    let to_subject = sink.to(SUBJECT_ADDRESS);
    assert_eq!(to_subject.len(), 1, "{envelopes:?}");
    let mail = &to_subject[0];
    assert!(mail.subject.contains("异议已登记"), "{}", mail.subject);
    assert!(mail.subject.contains(&decide_by), "{}", mail.subject);
    for part in [
        "异议已登记",
        "Objection filed",
        case.as_str(),
        decide_by.as_str(),
        &format!("/me/case/{case}"),
    ] {
        assert!(mail.body.contains(part), "{part} not in {}", mail.body);
    }
    assert_eq!(mail.header("Content-Type"), "text/plain; charset=utf-8");
    assert_eq!(mail.header("Content-Transfer-Encoding"), "base64");
    assert_eq!(mail.header("MIME-Version"), "1.0");
    assert_eq!(mail.header("To"), format!("<{SUBJECT_ADDRESS}>"));
    assert!(
        mail.header("From").ends_with(&format!("<{SENDER}>")),
        "{}",
        mail.header("From")
    );
    assert!(
        chrono::DateTime::parse_from_rfc2822(mail.header("Date")).is_ok(),
        "{}",
        mail.header("Date")
    );
    let message_id = mail.header("Message-ID");
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@credit.xm.gov.cn>"),
        "{message_id}"
    );

    let to_unit = sink.to(UNIT_ADDRESS);
    assert_eq!(to_unit.len(), 1, "{envelopes:?}");
    assert!(to_unit[0].subject.contains("异议已登记"));
    assert!(to_unit[0].body.contains(&decide_by));
    assert!(to_unit[0].body.contains("/inbox"));
    assert!(!to_unit[0].body.contains("/me/case/"));
    let to_office = sink.to(OFFICE_ADDRESS);
    assert_eq!(to_office.len(), 1, "{envelopes:?}");
    assert!(to_office[0].subject.contains("异议已登记"));
    assert!(sink.to("old@scjg.xm.gov.cn").is_empty());

    // The credit office sees them sent, by party, without an address.
    assert!(wait_for(Duration::from_secs(5), || {
        mail_list(&server, "?status=sent")["mails"]
            .as_array()
            .unwrap()
            .len()
            == 3
    }));
    let page = mail_list(&server, "");
    assert_eq!(page["sending"], true);
    let mails = page["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 3, "{page}");
    for mail in mails {
        assert_eq!(mail["case"], case.as_str());
        assert_eq!(mail["status"], "sent");
        assert_eq!(mail["attempts"], 1);
        assert_eq!(mail["due"], decide_by.as_str());
        assert_eq!(mail["subject"], server.subject_code.as_str());
    }
    let text = page.to_string();
    for address in [SUBJECT_ADDRESS, UNIT_ADDRESS, OFFICE_ADDRESS] {
        assert!(!text.contains(address), "the list shows no address: {text}");
    }
    assert_eq!(
        error_of(server.get_json("/api/v1/inbox/mail", Some(&server.department))),
        (403, "forbidden".to_owned())
    );
    assert_eq!(
        error_of(server.get_json("/api/v1/inbox/mail", Some(&server.subject))).0,
        403
    );
    let planned_at = server.store().mail_position().unwrap().unwrap();
    assert_eq!(planned_at, server.store().log_head().unwrap());

    // Restarted: nothing is mailed again.
    server.restart();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        sink.envelopes().len(),
        3,
        "nothing is sent twice after a restart"
    );
    assert_eq!(mail_list(&server, "")["mails"].as_array().unwrap().len(), 3);

    // The subject stops its mail; then, while the server runs without a relay, the credit
    // office forwards the objection: nothing is sent or planned.
    let (status, removed) = delete_email(&server, &server.subject);
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["removed"], true);
    assert_eq!(delete_email(&server, &server.subject).1["removed"], false);
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&server.subject));
    assert_eq!(inbox["email"], Value::Null);
    relay_to(None);
    server.restart();
    let (status, forwarded) = server.post_json(
        &format!("/api/v1/objections/{case}/forward"),
        Some(&server.admin),
        &json!({}),
    );
    assert_eq!(status, 200, "{forwarded}");
    std::thread::sleep(Duration::from_millis(300));
    let page = mail_list(&server, "");
    assert_eq!(page["sending"], false);
    assert_eq!(page["mails"].as_array().unwrap().len(), 3);
    assert_eq!(server.store().mail_position().unwrap(), Some(planned_at));

    // With the relay back, the mailer resumes where it stood: the forwarding, skipped by
    // nobody, goes to the unit — not to the subject, which has no address any more, nor to
    // the credit office, which is told of filings only.
    relay_to(Some(&sink.relay));
    server.restart();
    assert!(
        wait_for(Duration::from_secs(10), || sink.envelopes().len() >= 4),
        "the forwarding is mailed: {:?}",
        sink.envelopes()
    );
    std::thread::sleep(Duration::from_millis(300));
    let to_unit = sink.to(UNIT_ADDRESS);
    assert_eq!(to_unit.len(), 2, "{:?}", sink.envelopes());
    assert!(
        to_unit[1].subject.contains("异议已转交"),
        "{}",
        to_unit[1].subject
    );
    assert!(to_unit[1].body.contains(&decide_by));
    assert_eq!(sink.to(SUBJECT_ADDRESS).len(), 1);
    assert_eq!(sink.to(OFFICE_ADDRESS).len(), 1);
    assert_eq!(sink.envelopes().len(), 4);
    let store = server.store();
    assert_eq!(
        store.mail_position().unwrap(),
        Some(store.log_head().unwrap())
    );
    let stored = store
        .mails(&MailQuery {
            limit: 100,
            ..MailQuery::default()
        })
        .unwrap();
    assert_eq!(stored.len(), 4);
    assert!(
        stored
            .iter()
            .all(|m| m.status == gongxin_store::MailStatus::Sent)
    );
    server.assert_intact();
}

fn a_relay_that_refuses_is_retried_then_the_mail_is_left_failed_with_the_error(engine: Engine) {
    let sink = Sink::start(true);
    relay_to(Some(&sink.relay));
    let server = server(engine);
    assert_eq!(
        put_email(&server, Some(&server.subject), SUBJECT_ADDRESS).0,
        200
    );
    let record = contested_record(&server);
    let (case, _) = object(&server, &record);

    // Only the subject has an address: one mail, tried three times, then failed.
    assert!(
        wait_for(Duration::from_secs(10), || {
            mail_list(&server, "?status=failed")["mails"]
                .as_array()
                .unwrap()
                .len()
                == 1
        }),
        "{}",
        mail_list(&server, "")
    );
    let page = mail_list(&server, "");
    let mails = page["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{page}");
    let failed = &mails[0];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 3);
    assert_eq!(failed["case"], case.as_str());
    assert_eq!(
        failed["party"],
        json!({"kind": "subject", "code": server.subject_code})
    );
    assert!(failed.get("next_attempt_at").is_none(), "{failed}");
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.starts_with("RCPT TO refused: 550 5.7.1"), "{error}");
    assert!(error.contains("relaying denied"), "{error}");
    assert!(
        !error.contains(SUBJECT_ADDRESS),
        "the error names no address: {error}"
    );
    assert_eq!(sink.rcpts.load(Ordering::SeqCst), 3, "three attempts");
    assert!(sink.envelopes().is_empty());

    // A failed mail stays failed: the relay accepting again sends nothing.
    sink.refuse.store(false, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sink.rcpts.load(Ordering::SeqCst), 3);
    assert!(sink.envelopes().is_empty());
    assert_eq!(mail_list(&server, "?status=pending")["mails"], json!([]));
    assert_eq!(
        error_of(server.get_json("/api/v1/inbox/mail?status=dead", Some(&server.admin))),
        (400, "bad_request".to_owned())
    );
}

fn without_a_relay_nothing_is_sent_or_queued(engine: Engine) {
    let sink = Sink::start(false);
    relay_to(None);
    let server = server(engine);
    // Addresses can be set ahead of a relay; the answer says nothing is sent yet.
    let (status, set) = put_email(&server, Some(&server.subject), SUBJECT_ADDRESS);
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["sending"], false);
    assert_eq!(
        put_email(&server, Some(&server.department), UNIT_ADDRESS).0,
        200
    );
    assert_eq!(
        put_email(&server, Some(&server.admin), OFFICE_ADDRESS).0,
        200
    );
    let record = contested_record(&server);
    object(&server, &record);
    std::thread::sleep(Duration::from_millis(500));

    assert!(sink.envelopes().is_empty());
    assert_eq!(sink.rcpts.load(Ordering::SeqCst), 0);
    let store = server.store();
    assert_eq!(store.mail_position().unwrap(), None, "the mailer never ran");
    assert!(
        store
            .mails(&MailQuery {
                limit: 10,
                ..MailQuery::default()
            })
            .unwrap()
            .is_empty()
    );
    let page = mail_list(&server, "");
    assert_eq!(page, json!({"sending": false, "mails": [], "next": 0}));
    let (_, inbox) = server.get_json("/api/v1/inbox", Some(&server.subject));
    assert_eq!(inbox["email"]["address"], SUBJECT_ADDRESS);
    assert_eq!(inbox["email"]["sending"], false);
    assert!(
        inbox["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["event"] == "objection_filed"),
        "the inbox has the notice all the same: {inbox}"
    );
}

#[test]
fn mail_is_documented() {
    let spec: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let paths = &spec["paths"];
    for (path, method) in [
        ("/api/v1/inbox/email", "put"),
        ("/api/v1/inbox/email", "delete"),
        ("/api/v1/inbox/mail", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    let schemas = &spec["components"]["schemas"];
    assert!(schemas["Inbox"]["properties"]["email"].is_object());
    for (schema, fields) in [
        ("EmailRequest", &["address"][..]),
        (
            "EmailAddress",
            &["party", "address", "set_at", "sending"][..],
        ),
        (
            "Mail",
            &[
                "id",
                "party",
                "case",
                "seq",
                "status",
                "attempts",
                "last_error",
            ][..],
        ),
        ("MailPage", &["sending", "mails", "next"][..]),
    ] {
        for field in fields {
            assert!(
                schemas[schema]["properties"].get(*field).is_some(),
                "{schema}.{field}"
            );
        }
    }
}
