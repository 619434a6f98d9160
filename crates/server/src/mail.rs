//! E-mail (邮件通知): the inbox's case notices, mailed through an SMTP relay to the parties
//! that gave an address (`PUT /api/v1/inbox/email`).
//!
//! The mailer follows the event log from a position kept in the store, like the webhook
//! dispatcher (`dispatch`). For each case event it takes the notice the inbox shows
//! (`inbox::notice`) and plans a mail to the case's subject and to the unit that must act
//! (`inbox::responsible_unit`), and for a newly filed objection also to the credit office —
//! each only if that party has an address — in the same transaction that moves the position,
//! so that no event is planned twice or skipped across restarts. On its first run the
//! position starts at the log head: nothing from before e-mail was switched on is mailed.
//!
//! Mails go out one at a time on a blocking thread, through a small SMTP client over a
//! plain TCP connection (no TLS, no AUTH: the relay is on the platform's own network). The
//! address is read at each attempt, never kept with the mail, and the message is built
//! afresh from the log: a UTF-8 plain-text message, base64 in transfer, with the title as an
//! RFC 2047 encoded-word in the Subject header. A failed attempt (no connection, no answer
//! in time, a 4xx or 5xx reply) is retried after `push_retry_base_ms`, doubling, until
//! `smtp_max_attempts`; then the mail stays failed with the error, which the credit office
//! reads at `GET /api/v1/inbox/mail`. A crash between the relay's acceptance and the record
//! of it sends that one mail again on restart: delivery is at least once, as SMTP's is.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use gongxin_core::event::{EventKind, case_of_payload};
use gongxin_core::push::{AfterFailure, after_failure};
use gongxin_store::{Attempt, Mail, MailQuery, NewMail, Party, Store};

use crate::api::now_us;
use crate::error::ApiError;
use crate::inbox::{Notice, notice, responsible_unit};
use crate::state::AppState;

/// Events planned per step.
const EVENTS_PER_STEP: usize = 1_000;
/// Due mails taken per tick.
const DUE_PER_TICK: usize = 50;
/// Longest reply line read from the relay, and most lines in one reply.
const MAX_REPLY_LINE: u64 = 2_048;
const MAX_REPLY_LINES: usize = 100;
/// A session, from connecting to `QUIT`, is given at most this many times `smtp_timeout_ms`.
const SESSION_TIMEOUTS: u32 = 6;
/// How the sender is named.
const SENDER_NAME: &str = "公信 gongxin";

/// An e-mail address the platform accepts: `local@domain`, ASCII (an internationalised
/// domain in its `xn--` form), a dot-atom local part, a domain of at least two labels.
/// Returns the address trimmed, or why not, `(中文, English)`.
pub fn checked_address(text: &str) -> Result<String, (String, String)> {
    let address = text.trim();
    let refuse = |zh: &str, en: &str| Err((zh.to_owned(), en.to_owned()));
    if address.is_empty() {
        return refuse("地址为空", "the address is empty");
    }
    if address.len() > 254 {
        return refuse(
            "地址超过 254 个字符",
            "the address is longer than 254 characters",
        );
    }
    if !address.is_ascii() {
        return refuse(
            "地址只能含 ASCII 字符（中文域名请写作 xn-- 形式）",
            "the address must be ASCII (write an internationalised domain in its xn-- form)",
        );
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return refuse("缺少 @", "there is no @");
    };
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";
    let atext = |c: char| c.is_ascii_alphanumeric() || SPECIALS.contains(c);
    if local.is_empty() || local.len() > 64 {
        return refuse(
            "@ 前的部分应为 1 至 64 个字符",
            "the part before @ must be 1 to 64 characters",
        );
    }
    if local
        .split('.')
        .any(|atom| atom.is_empty() || !atom.chars().all(atext))
    {
        return refuse(
            "@ 前的部分含有不允许的字符或多余的点",
            "the part before @ holds a character that is not allowed, or a stray dot",
        );
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return refuse(
            "@ 后应为域名，如 example.cn",
            "the part after @ must be a domain name such as example.cn",
        );
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return refuse(
            "@ 后应为域名，而非 IP 地址",
            "the part after @ must be a domain name, not an IP address",
        );
    }
    Ok(address.to_owned())
}

/// Prepares the mailer before the server takes requests: on its first run the position is
/// set to the log head, so that the events of those first requests are not passed over.
pub async fn start(state: &AppState) -> Result<(), ApiError> {
    state
        .write(|_, store| {
            if store.mail_position()?.is_none() {
                let head = store.log_head()?;
                store.enqueue_mails(&[], head)?;
            }
            Ok(())
        })
        .await
}

/// Runs the mailer every `push_interval_ms` until the server stops. Started only when
/// `smtp_relay` is set.
pub async fn follow(state: AppState) {
    let Some(relay) = state.config.smtp_relay.clone() else {
        return;
    };
    let interval = Duration::from_millis(state.config.push_interval_ms.max(10));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = plan(&state).await {
            tracing::warn!(?error, "planning mails failed; retrying");
        }
        if let Err(error) = send_due(&state, &relay).await {
            tracing::warn!(?error, "sending mails failed; retrying");
        }
    }
}

/// Enqueues the mails of new case events.
async fn plan(state: &AppState) -> Result<(), ApiError> {
    loop {
        let planned = state
            .read(|state, store| plan_events(state, store, now_us()))
            .await?;
        let Some((mails, position, more)) = planned else {
            return Ok(());
        };
        let count = mails.len();
        state
            .write(move |_, store| Ok(store.enqueue_mails(&mails, position)?))
            .await?;
        tracing::debug!(mails = count, seq = position, "planned mails");
        if !more {
            return Ok(());
        }
    }
}

/// The mails of the events after the mailer's position: the mails, the position after them,
/// and whether more events follow. `None` when there is nothing to do.
fn plan_events(
    state: &AppState,
    store: &dyn Store,
    now_us: i64,
) -> Result<Option<(Vec<NewMail>, u64, bool)>, ApiError> {
    let head = store.log_head()?;
    let position = store.mail_position()?.unwrap_or(head);
    if position >= head {
        return Ok(None);
    }
    let events = store.events_after(position, EVENTS_PER_STEP)?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(None);
    };
    let today = state.platform.clock.today();
    let mut canonical: HashMap<String, String> = HashMap::new();
    let mut has_address: HashMap<Party, bool> = HashMap::new();
    let mut mails = Vec::new();
    for event in &events {
        if event.kind.is_record_change() {
            continue;
        }
        let Some(case) = case_of_payload(&event.payload) else {
            continue;
        };
        let Some(case) = store.case(&case)? else {
            continue;
        };
        let unit = responsible_unit(store, &case)?;
        let Some(shown) = notice(event, &case, unit.clone(), today) else {
            continue;
        };
        let subject = match canonical.get(&case.subject) {
            Some(code) => code.clone(),
            None => {
                let code = store.subject_code(&case.subject)?;
                canonical.insert(case.subject.clone(), code.clone());
                code
            }
        };
        let mut parties = vec![Party::Subject(subject.clone())];
        parties.extend(unit.map(Party::Unit));
        if event.kind == EventKind::ObjectionFiled {
            parties.push(Party::CreditOffice);
        }
        for party in parties {
            let addressed = match has_address.get(&party) {
                Some(known) => *known,
                None => {
                    let known = store.contact(&party)?.is_some();
                    has_address.insert(party.clone(), known);
                    known
                }
            };
            if addressed {
                mails.push(NewMail {
                    party,
                    subject: subject.clone(),
                    seq: event.seq,
                    case: case.id.clone(),
                    due: shown.due,
                    created_at_us: now_us,
                });
            }
        }
    }
    Ok(Some((mails, last, last < head)))
}

/// A due mail, ready to go, or why it cannot go any more.
#[derive(Debug)]
struct Outgoing {
    mail: Mail,
    ready: Result<(String, String), String>,
}

/// Sends the due mails one after the other.
async fn send_due(state: &AppState, relay: &str) -> Result<(), ApiError> {
    let now = now_us();
    let outgoing = state
        .read(move |state, store| prepare_due(state, store, now))
        .await?;
    let timeout = Duration::from_millis(state.config.smtp_timeout_ms.max(1));
    let from = state.config.smtp_from.clone();
    for Outgoing { mail, ready } in outgoing {
        let sent = match ready {
            Err(why) => Err((why, false)),
            Ok((to, message)) => {
                let relay = relay.to_owned();
                let from = from.clone();
                tokio::task::spawn_blocking(move || {
                    send(&relay, &from, &to, &message, timeout)
                        .map_err(|error| (error.replace(&to, "<recipient>"), true))
                })
                .await
                .map_err(ApiError::internal)?
            }
        };
        let at_us = now_us();
        let attempt = match sent {
            Ok(()) => Attempt::Delivered { at_us },
            Err((error, retry)) => {
                tracing::warn!(mail = mail.id, case = %mail.case, %error, "a mail failed");
                let after = after_failure(
                    mail.attempts + 1,
                    state.config.smtp_max_attempts,
                    state.config.push_retry_base_ms,
                );
                let retry_at_us = match after {
                    AfterFailure::RetryAfterMs(ms) if retry => Some(at_us.saturating_add(
                        i64::try_from(ms.saturating_mul(1_000)).unwrap_or(i64::MAX),
                    )),
                    _ => None,
                };
                Attempt::Failed {
                    at_us,
                    error,
                    retry_at_us,
                }
            }
        };
        let id = mail.id;
        state
            .write(move |_, store| Ok(store.settle_mail(id, &attempt)?))
            .await?;
    }
    Ok(())
}

/// The due mails, each with its address and message, built from the log.
fn prepare_due(
    state: &AppState,
    store: &dyn Store,
    now_us: i64,
) -> Result<Vec<Outgoing>, ApiError> {
    let due = store.mails(&MailQuery {
        due_at_us: Some(now_us),
        limit: DUE_PER_TICK,
        ..MailQuery::default()
    })?;
    let today = state.platform.clock.today();
    let mut outgoing = Vec::with_capacity(due.len());
    for mail in due {
        let ready = match store.contact(&mail.party)? {
            None => Err("the party no longer has an e-mail address".to_owned()),
            Some(contact) => match told(store, &mail, today)? {
                None => Err(format!(
                    "event {} of case {} is no longer in the log",
                    mail.seq, mail.case
                )),
                Some(notice) => {
                    let message = compose(
                        &notice,
                        &mail,
                        &state.config.smtp_from,
                        &contact.address,
                        Utc::now(),
                    );
                    Ok((contact.address, message))
                }
            },
        };
        outgoing.push(Outgoing { mail, ready });
    }
    Ok(outgoing)
}

/// The notice a mail tells, with the deadline it had when the mail was planned.
fn told(
    store: &dyn Store,
    mail: &Mail,
    today: chrono::NaiveDate,
) -> Result<Option<Notice>, ApiError> {
    let Some(event) = store
        .events_after(mail.seq.saturating_sub(1), 1)?
        .into_iter()
        .find(|e| e.seq == mail.seq)
    else {
        return Ok(None);
    };
    let Some(case) = store.case(&mail.case)? else {
        return Ok(None);
    };
    let unit = responsible_unit(store, &case)?;
    Ok(notice(&event, &case, unit, today).map(|mut notice| {
        notice.due = mail.due;
        notice
    }))
}

/// Where on the portal a party reads the case: a subject its case page, a unit and the
/// credit office their inbox.
pub fn portal_path(party: &Party, case: &str) -> String {
    match party {
        Party::Subject(_) => format!("/me/case/{case}"),
        Party::Unit(_) | Party::CreditOffice => "/inbox".to_owned(),
    }
}

fn case_kind_names(kind: gongxin_store::CaseKind) -> (&'static str, &'static str) {
    match kind {
        gongxin_store::CaseKind::Listing => ("列入名单", "listing"),
        gongxin_store::CaseKind::Objection => ("异议", "objection"),
        gongxin_store::CaseKind::Repair => ("信用修复", "credit repair"),
    }
}

/// The whole message, headers and body, lines ending in CRLF (before dot-stuffing).
pub fn compose(notice: &Notice, mail: &Mail, from: &str, to: &str, now: DateTime<Utc>) -> String {
    let (kind_zh, kind_en) = case_kind_names(notice.case_kind);
    let mut body = format!(
        "{}\n{}\n\n案件 / Case: {} ({kind_zh} / {kind_en})\n主体 / Subject: {}\n",
        notice.title_zh, notice.title_en, notice.case, notice.subject
    );
    if let Some(due) = notice.due {
        body.push_str(&format!("办理期限 / Due: {due}\n"));
    }
    body.push_str(&format!(
        "在公信门户查看 / See it on the portal: {}\n\n\
         本邮件由公信平台自动发送，请勿回复；不再接收请删除邮箱地址（DELETE /api/v1/inbox/email）。\n\
         Sent by the gongxin platform; do not reply. To stop these mails, remove the address \
         (DELETE /api/v1/inbox/email).\n",
        portal_path(&mail.party, &notice.case)
    ));
    let domain = from.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let case_token: String = mail
        .case
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .collect();
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset");
    let headers = [
        format!("Date: {}", now.with_timezone(&china).to_rfc2822()),
        format!("From: {} <{from}>", encoded_words(SENDER_NAME)),
        format!("To: <{to}>"),
        format!("Subject: {}", encoded_words(&notice.title_zh)),
        format!(
            "Message-ID: <gongxin.{}.{}.{case_token}@{domain}>",
            mail.id, mail.seq
        ),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: text/plain; charset=utf-8".to_owned(),
        "Content-Transfer-Encoding: base64".to_owned(),
    ];
    let mut message = headers.join("\r\n");
    message.push_str("\r\n\r\n");
    let encoded = base64(body.replace("\r\n", "\n").replace('\n', "\r\n").as_bytes());
    for line in encoded.as_bytes().chunks(76) {
        message.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        message.push_str("\r\n");
    }
    message
}

/// Standard base64 (RFC 4648) with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Most bytes of text in one encoded-word: 39 bytes are 52 base64 characters, a word of 64,
/// so that `Subject: ` and a word stay within 76 characters a line (RFC 2047, section 2).
const WORD_BYTES: usize = 39;

/// `text` as RFC 2047 encoded-words (`=?UTF-8?B?…?=`), never splitting a character, folded
/// onto continuation lines (CRLF and a space, which a reader drops between two words).
pub fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + WORD_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        words.push(format!(
            "=?UTF-8?B?{}?=",
            base64(&text.as_bytes()[start..end])
        ));
        start = end;
    }
    words.join("\r\n ")
}

/// The message as `DATA` sends it: every line ended by CRLF (a bare LF made one), a line
/// that starts with a dot given a second one (RFC 5321, section 4.5.2), and the closing
/// line of a single dot.
pub fn dot_stuffed(message: &str) -> String {
    let mut data = String::with_capacity(message.len() + 8);
    let text = message
        .strip_suffix("\r\n")
        .or_else(|| message.strip_suffix('\n'));
    for line in text.unwrap_or(message).split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    data
}

/// One SMTP conversation with the relay.
struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    timeout: Duration,
    deadline: Instant,
}

impl Session {
    fn connect(relay: &str, timeout: Duration) -> Result<Session, String> {
        let deadline = Instant::now() + timeout * SESSION_TIMEOUTS;
        let addresses: Vec<SocketAddr> = relay
            .to_socket_addrs()
            .map_err(|e| format!("resolving the relay {relay}: {e}"))?
            .collect();
        let mut last = format!("the relay {relay} has no address");
        for address in addresses {
            match TcpStream::connect_timeout(&address, timeout) {
                Ok(stream) => {
                    let writer = stream
                        .try_clone()
                        .map_err(|e| format!("connecting to {address}: {e}"))?;
                    return Ok(Session {
                        reader: BufReader::new(stream),
                        writer,
                        timeout,
                        deadline,
                    });
                }
                Err(e) => last = format!("connecting to the relay {address}: {e}"),
            }
        }
        Err(last)
    }

    /// Waits for one reply, which may run over several lines (`250-…` up to `250 …`): its
    /// code and its text.
    fn reply(&mut self) -> Result<(u16, String), String> {
        let mut text = Vec::new();
        for _ in 0..MAX_REPLY_LINES {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("the relay took too long over the session".to_owned());
            }
            self.reader
                .get_ref()
                .set_read_timeout(Some(left.min(self.timeout)))
                .map_err(|e| e.to_string())?;
            let mut line = Vec::new();
            let read = self
                .reader
                .by_ref()
                .take(MAX_REPLY_LINE)
                .read_until(b'\n', &mut line)
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                        "the relay did not answer in time".to_owned()
                    }
                    _ => format!("reading the relay's answer: {e}"),
                })?;
            if read == 0 {
                return Err("the relay closed the connection".to_owned());
            }
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            let code = line
                .get(..3)
                .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| {
                    format!("the relay answered something that is not SMTP: {line:?}")
                })?;
            text.push(line.get(4..).unwrap_or("").to_owned());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, text.join(" ")));
            }
        }
        Err("the relay's answer had too many lines".to_owned())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.writer
            .set_write_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        self.writer
            .write_all(bytes)
            .and_then(|()| self.writer.flush())
            .map_err(|e| format!("writing to the relay: {e}"))
    }

    /// Sends `command` and wants one of `expected` back.
    fn command(&mut self, command: &str, expected: &[u16], what: &str) -> Result<u16, String> {
        self.write(format!("{command}\r\n").as_bytes())?;
        self.expect(expected, what)
    }

    fn expect(&mut self, expected: &[u16], what: &str) -> Result<u16, String> {
        let (code, text) = self.reply()?;
        if expected.contains(&code) {
            Ok(code)
        } else {
            Err(format!("{what}: {code} {text}"))
        }
    }

    /// The name the client gives in `EHLO`: its own address, as a literal.
    fn client_name(&self) -> String {
        match self.writer.local_addr() {
            Ok(SocketAddr::V4(address)) => format!("[{}]", address.ip()),
            Ok(SocketAddr::V6(address)) => format!("[IPv6:{}]", address.ip()),
            Err(_) => "[127.0.0.1]".to_owned(),
        }
    }
}

/// Hands one message to the relay: `EHLO` (or `HELO`), `MAIL FROM`, `RCPT TO`, `DATA`,
/// `QUIT`. Any reply but the expected one, or none within `timeout`, is an error naming
/// the step and the relay's reply.
pub fn send(
    relay: &str,
    from: &str,
    to: &str,
    message: &str,
    timeout: Duration,
) -> Result<(), String> {
    let mut session = Session::connect(relay, timeout)?;
    let result = converse(&mut session, from, to, message);
    if result.is_err() {
        // Best effort, so that the relay is not left waiting.
        let _ = session.write(b"QUIT\r\n");
    }
    result
}

fn converse(session: &mut Session, from: &str, to: &str, message: &str) -> Result<(), String> {
    session.expect(&[220], "the relay refused the connection")?;
    let name = session.client_name();
    session.write(format!("EHLO {name}\r\n").as_bytes())?;
    let (code, text) = session.reply()?;
    if code != 250 {
        // A relay that does not know EHLO may still know HELO (RFC 5321, section 3.2).
        if !(500..=504).contains(&code) {
            return Err(format!("EHLO refused: {code} {text}"));
        }
        session.command(&format!("HELO {name}"), &[250], "HELO refused")?;
    }
    session.command(&format!("MAIL FROM:<{from}>"), &[250], "MAIL FROM refused")?;
    session.command(&format!("RCPT TO:<{to}>"), &[250, 251], "RCPT TO refused")?;
    session.command("DATA", &[354], "DATA refused")?;
    session.write(dot_stuffed(message).as_bytes())?;
    session.expect(&[250], "the message was refused")?;
    // The relay has the message; a lost goodbye changes nothing.
    let _ = session.command("QUIT", &[221], "QUIT");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_follows_rfc_4648() {
        // RFC 4648, section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
        assert_eq!(base64("公信".as_bytes()), "5YWs5L+h");
    }

    #[test]
    fn a_subject_is_encoded_words_that_split_no_character() {
        assert_eq!(encoded_words("公信"), "=?UTF-8?B?5YWs5L+h?=");
        assert_eq!(encoded_words(""), "");
        let title = "异议已登记：记录标注为“异议处理中”，联合惩戒暂停；2025-06-04 前转交，2025-06-09 前办结";
        let folded = encoded_words(title);
        let words: Vec<&str> = folded.split("\r\n ").collect();
        assert!(words.len() > 1, "{folded}");
        let mut decoded = Vec::new();
        for word in &words {
            assert!(
                word.len() <= 75,
                "an encoded-word is at most 75 characters: {word}"
            );
            assert!(
                "Subject: ".len() + word.len() <= 76,
                "a line with a word stays within 76 characters"
            );
            let inner = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .expect("an encoded-word");
            let bytes = decode_base64(inner);
            assert!(
                std::str::from_utf8(&bytes).is_ok(),
                "each word is whole characters: {word}"
            );
            decoded.extend(bytes);
        }
        assert_eq!(String::from_utf8(decoded).unwrap(), title);
    }

    #[test]
    fn data_is_dot_stuffed_and_closed() {
        assert_eq!(
            dot_stuffed("Subject: x\r\n\r\n.hidden\r\nplain\n..two\r\n."),
            "Subject: x\r\n\r\n..hidden\r\nplain\r\n...two\r\n..\r\n.\r\n"
        );
        assert_eq!(dot_stuffed("a\r\n"), "a\r\n.\r\n");
        assert_eq!(dot_stuffed("a.b\r\n.\r\n"), "a.b\r\n..\r\n.\r\n");
    }

    #[test]
    fn addresses_are_checked() {
        for good in [
            "shop@example.cn",
            "  xinyong.ban+notices@scjg.xm.gov.cn ",
            "o'brien@xn--fiqs8s.cn",
        ] {
            assert_eq!(checked_address(good), Ok(good.trim().to_owned()), "{good}");
        }
        for bad in [
            "",
            "shop",
            "shop@",
            "@example.cn",
            "shop@example",
            "shop@localhost",
            "sh op@example.cn",
            "shop..x@example.cn",
            ".shop@example.cn",
            "shop@exa_mple.cn",
            "shop@-example.cn",
            "shop@1.2.3.4",
            "shop@example.cn\r\nRCPT TO:<x@evil.cn>",
            "a@b@example.cn",
            "<shop@example.cn>",
            "店铺@example.cn",
            "shop@公信.cn",
        ] {
            let refused = checked_address(bad);
            assert!(refused.is_err(), "{bad:?} was accepted");
            let (zh, en) = refused.unwrap_err();
            assert!(!zh.is_empty() && !en.is_empty());
        }
        assert!(checked_address(&format!("{}@example.cn", "a".repeat(65))).is_err());
    }

    /// Decodes standard base64, apart from the encoder above.
    fn decode_base64(text: &str) -> Vec<u8> {
        let value = |c: u8| match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        };
        let mut out = Vec::new();
        for quad in text.as_bytes().chunks(4) {
            let digits: Vec<u8> = quad
                .iter()
                .filter(|&&c| c != b'=')
                .map(|&c| value(c))
                .collect();
            let n = digits
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
            for i in 0..digits.len().saturating_sub(1) {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        out
    }
}
