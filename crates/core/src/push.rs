//! Push of joint reward and discipline (联合奖惩信息推送): who is told when a list entry or a
//! measure-relevant record takes effect, changes or ends, and when a failed delivery is
//! tried again.
//!
//! A department subscribes with the business scenarios it checks applicants in. It is told
//! about a change when
//!
//! - the change is about a record whose item can change the answer of a check in one of its
//!   scenarios ([`Discipline::items_relevant_to`]): it must act on it in that scenario; or
//! - the unit checked the subject within a number of days before: it may have granted
//!   something on the strength of an answer that no longer holds.
//!
//! Expiry needs no event in the log: an entry stops being in force the day after its last
//! day whatever anyone does ([`EntryTerm`]). [`Expiry`] says on which day an entry ended by
//! running out, so that a daily pass can tell the same subscribers as an event would
//! (`entry_expired` notices, kept with the deliveries rather than in the hash chain: they add
//! no fact to the log, they follow from it and the calendar).
//!
//! Pure rules: the caller reads the events, the check log and the clock.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::discipline::{Discipline, EntryTerm};
use crate::event::{Event, case_state};
use crate::listing::Listing;
use crate::record::{Record, RecordStatus};

/// The kind of the notice that an entry's term ran out. Not an event kind: it has no place in
/// the log.
pub const ENTRY_EXPIRED: &str = "entry_expired";

/// A webhook subscription, as targeting sees it.
#[derive(Debug, Clone, Copy)]
pub struct Subscriber<'a> {
    /// The unit (source-unit code) the subscription belongs to.
    pub unit: &'a str,
    /// The scenarios it checks applicants in; may be empty (told only about subjects it
    /// checked).
    pub scenarios: &'a [String],
}

/// One check of the subject from the check log: by which unit, on which day (UTC+8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSeen<'a> {
    pub unit: &'a str,
    pub on: NaiveDate,
}

/// What a notice is about, as targeting needs it.
#[derive(Debug, Clone, Copy)]
pub struct Topic<'a> {
    /// The catalog item of the record concerned, when known.
    pub item: Option<&'a str>,
    /// The day the notice speaks of: the day of the event, or the day an entry ended.
    pub on: NaiveDate,
    /// For a step of a case: the unit that must act on it.
    pub responsible: Option<&'a str>,
}

/// Why a subscriber is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Reason {
    /// The record's item can change the answer of a check in this scenario.
    Scenario { scenario: String },
    /// The unit checked the subject on this day (its latest check within the window).
    Checked { on: NaiveDate },
    /// The unit must act on the case this step belongs to (an objection to its record, a
    /// repair it decides, a listing it proposed).
    Responsible,
}

/// The reasons `subscriber` has to be told about `topic`; empty if it has none.
///
/// `checks` are checks of the topic's subject (by any unit, in any order); a check counts
/// when it was made on one of the `checked_within_days` days before `topic.on`, or on that
/// day itself.
pub fn reasons(
    discipline: &Discipline,
    subscriber: Subscriber<'_>,
    topic: Topic<'_>,
    checks: &[CheckSeen<'_>],
    checked_within_days: u32,
) -> Vec<Reason> {
    let mut reasons: Vec<Reason> = match topic.item {
        Some(item) => subscriber
            .scenarios
            .iter()
            .filter(|scenario| discipline.items_relevant_to(scenario).contains(&item))
            .map(|scenario| Reason::Scenario {
                scenario: scenario.clone(),
            })
            .collect(),
        None => Vec::new(),
    };
    let earliest = topic
        .on
        .checked_sub_days(Days::new(u64::from(checked_within_days)))
        .unwrap_or(NaiveDate::MIN);
    let latest = checks
        .iter()
        .filter(|check| check.unit == subscriber.unit)
        .map(|check| check.on)
        .filter(|on| earliest <= *on && *on <= topic.on)
        .max();
    if let Some(on) = latest {
        reasons.push(Reason::Checked { on });
    }
    if topic.responsible == Some(subscriber.unit) {
        reasons.push(Reason::Responsible);
    }
    reasons
}

/// The catalog item a log event is about, when its payload says: a record change carries the
/// record, a listing case names its list (whose entries are records of one item). `None` for
/// other case events (an objection names only its record id: look the record up).
pub fn item_of_event(discipline: &Discipline, event: &Event) -> Option<String> {
    if event.kind.is_record_change() {
        return Record::from_payload(&event.payload)
            .ok()
            .map(|record| record.key.item);
    }
    let listing = case_state::<Listing>(&event.payload)?;
    discipline.list(&listing.list).map(|list| list.item.clone())
}

/// How a list entry ended by running out: its list, its last day in force and the day it
/// ended (the day after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expiry {
    pub list: String,
    pub last_day: NaiveDate,
    pub ended_on: NaiveDate,
}

impl Expiry {
    /// The expiry of `record`, if it is an entry of a list that was (or will be) still in
    /// force on its last day. A revoked entry never expires (it was never in force), and an
    /// entry removed on or before its last day ended by its removal, which was an event.
    pub fn of(
        discipline: &Discipline,
        catalog: &Catalog,
        record: &Record,
        status: RecordStatus,
    ) -> Option<Expiry> {
        if status != RecordStatus::Normal {
            return None;
        }
        let list = discipline.list_of_item(&record.key.item)?;
        let item = catalog.item(&list.item)?;
        let term = EntryTerm::of(list, item, record);
        if term.until < term.from || term.removed_on.is_some_and(|removed| removed <= term.until) {
            return None;
        }
        Some(Expiry {
            list: list.id.clone(),
            last_day: term.until,
            ended_on: term.until.succ_opt()?,
        })
    }

    /// Whether it ended after `after` and on or before `through`: what a pass that last ran
    /// for `after` tells when it runs for `through`.
    pub fn ended_within(&self, after: NaiveDate, through: NaiveDate) -> bool {
        after < self.ended_on && self.ended_on <= through
    }
}

/// The day (China Standard Time, as the platform counts days) of a timestamp in microseconds
/// since the Unix epoch.
pub fn china_day(at_us: i64) -> NaiveDate {
    const DAY_US: i64 = 86_400_000_000;
    const OFFSET_US: i64 = 8 * 3_600_000_000;
    let days = (at_us + OFFSET_US).div_euclid(DAY_US);
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| {
            if days >= 0 {
                epoch.checked_add_days(Days::new(days as u64))
            } else {
                epoch.checked_sub_days(Days::new(days.unsigned_abs()))
            }
        })
        .unwrap_or(NaiveDate::MIN)
}

/// What happens after a failed delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this many milliseconds.
    RetryAfterMs(u64),
    /// Give up: the delivery goes to the dead-letter view.
    Dead,
}

/// Exponential back-off: after the `attempts`-th failed attempt (1 for the first), wait
/// `base_ms · 2^(attempts − 1)`; after `max_attempts` attempts, give up.
pub fn after_failure(attempts: u32, max_attempts: u32, base_ms: u64) -> AfterFailure {
    if attempts >= max_attempts.max(1) {
        return AfterFailure::Dead;
    }
    let doublings = attempts.saturating_sub(1).min(40);
    AfterFailure::RetryAfterMs(base_ms.saturating_mul(1 << doublings))
}

/// The first thing in `text` that looks like a resident identity number (GB 11643: 17 digits
/// and a check character that fits, with a real birth date), as found. Texts the platform
/// publishes as editorial content (the typical-case register) must not carry one.
pub fn find_identity_number(text: &str) -> Option<String> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let chars: Vec<char> = text.chars().collect();
    let is_part = |c: char| c.is_ascii_digit() || c == 'X' || c == 'x';
    let mut start = 0;
    while start < chars.len() {
        if !is_part(chars[start]) {
            start += 1;
            continue;
        }
        let end = (start..chars.len())
            .find(|&i| !is_part(chars[i]))
            .unwrap_or(chars.len());
        let run: String = chars[start..end].iter().collect::<String>().to_uppercase();
        let bytes = run.as_bytes();
        if bytes.len() == 18 && bytes[..17].iter().all(u8::is_ascii_digit) {
            let sum: u32 = bytes[..17]
                .iter()
                .zip(WEIGHTS)
                .map(|(b, w)| u32::from(b - b'0') * w)
                .sum();
            let birth = NaiveDate::parse_from_str(&run[6..14], "%Y%m%d").ok();
            if bytes[17] == CHECKS[(sum % 11) as usize]
                && birth.is_some_and(|d| d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d))
            {
                return Some(run);
            }
        }
        start = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventDraft, EventKind, Hash, case_payload};
    use crate::record::{NaturalKey, SubjectId};
    use gongxin_codes::{Uscc, uscc_check_char};

    fn date(iso: &str) -> NaiveDate {
        NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap()
    }

    fn rules() -> (Catalog, Discipline) {
        let catalog = Catalog::embedded().unwrap();
        let discipline = Discipline::embedded(&catalog).unwrap();
        (catalog, discipline)
    }

    fn entry(item: &str, decided: &str, fields: &[(&str, &str)]) -> Record {
        let first17 = "91350200123456789";
        let uscc = Uscc::parse(&format!("{first17}{}", uscc_check_char(first17).unwrap())).unwrap();
        Record {
            key: NaturalKey {
                source_unit: "11350200MB0000000X".to_owned(),
                item: item.to_owned(),
                document_no: "厦市监信〔2025〕1号".to_owned(),
            },
            subject: SubjectId::Uscc(uscc),
            subject_name: "厦门市示例贸易有限公司".to_owned(),
            decision_date: date(decided),
            status: RecordStatus::Normal,
            catalog_version: "test".to_owned(),
            fields: fields
                .iter()
                .map(|(c, v)| ((*c).to_owned(), (*v).to_owned()))
                .collect(),
            old_codes: Vec::new(),
        }
    }

    fn role(
        catalog: &Catalog,
        item: &str,
        pick: fn(&crate::catalog::Item) -> Option<&String>,
    ) -> String {
        pick(catalog.item(item).unwrap()).unwrap().clone()
    }

    #[test]
    fn a_scenario_subscriber_is_told_about_items_that_change_its_checks() {
        let (_, discipline) = rules();
        let bidding = ["bidding".to_owned()];
        let subscriber = Subscriber {
            unit: "A",
            scenarios: &bidding,
        };
        let on = date("2025-10-15");
        let told = |item| {
            reasons(
                &discipline,
                subscriber,
                Topic {
                    item: Some(item),
                    on,
                    responsible: None,
                },
                &[],
                30,
            )
        };
        assert_eq!(
            told("serious_dishonesty"),
            [Reason::Scenario {
                scenario: "bidding".to_owned()
            }]
        );
        // Licences change no check: nobody with scenarios alone hears of them.
        assert!(told("admin_license").is_empty());
        // Black lists count in every scenario, the attention list only where a measure
        // follows it.
        let supervision = ["supervision".to_owned()];
        let watcher = Subscriber {
            unit: "A",
            scenarios: &supervision,
        };
        let key_attention = Topic {
            item: Some("key_attention"),
            on,
            responsible: None,
        };
        assert_eq!(
            reasons(&discipline, watcher, key_attention, &[], 30).len(),
            1
        );
        assert!(reasons(&discipline, subscriber, key_attention, &[], 30).is_empty());
    }

    #[test]
    fn a_unit_that_checked_the_subject_recently_is_told_whatever_the_item() {
        let (_, discipline) = rules();
        let none: [String; 0] = [];
        let subscriber = Subscriber {
            unit: "A",
            scenarios: &none,
        };
        let topic = Topic {
            item: Some("admin_license"),
            on: date("2025-10-31"),
            responsible: None,
        };
        let checks = [
            CheckSeen {
                unit: "B",
                on: date("2025-10-30"),
            },
            CheckSeen {
                unit: "A",
                on: date("2025-10-01"),
            },
            CheckSeen {
                unit: "A",
                on: date("2025-09-30"),
            },
        ];
        // Thirty days back from 31 October is 1 October, which counts; 30 September does not.
        assert_eq!(
            reasons(&discipline, subscriber, topic, &checks, 30),
            [Reason::Checked {
                on: date("2025-10-01")
            }]
        );
        assert!(reasons(&discipline, subscriber, topic, &checks, 29).is_empty());
        // A check after the day spoken of is not a reason.
        let later = [CheckSeen {
            unit: "A",
            on: date("2025-11-01"),
        }];
        assert!(reasons(&discipline, subscriber, topic, &later, 30).is_empty());
    }

    #[test]
    fn the_item_of_an_event_comes_from_its_payload() {
        let (catalog, discipline) = rules();
        let record = entry("serious_dishonesty", "2025-10-15", &[]);
        let seal = |kind, payload: String| {
            EventDraft {
                kind,
                subject: record.subject.to_string(),
                record: record.id().to_string(),
                recorded_at_us: 0,
                actor: "test".to_owned(),
                payload,
            }
            .seal(1, Hash::GENESIS)
        };
        let submitted = seal(EventKind::RecordSubmitted, record.to_payload());
        assert_eq!(
            item_of_event(&discipline, &submitted).as_deref(),
            Some("serious_dishonesty")
        );
        let list = discipline.list("key_attention").unwrap();
        let (listing, step) = Listing::propose(
            list,
            crate::calendar::WorkCalendar::embedded(),
            record.id(),
            crate::listing::Proposal {
                subject: record.subject.to_string(),
                subject_name: record.subject_name.clone(),
                unit: "A".to_owned(),
                document_no: "1".to_owned(),
                reasons: "r".to_owned(),
                basis: "b".to_owned(),
                fields: Vec::new(),
            },
            date("2025-10-15"),
        )
        .unwrap();
        let proposed = seal(
            EventKind::ListingProposed,
            case_payload("lst_1", &step, &listing),
        );
        assert_eq!(
            item_of_event(&discipline, &proposed).as_deref(),
            Some("key_attention")
        );
        let objection = seal(
            EventKind::ObjectionFiled,
            case_payload("obj_1", &"filed", &"state"),
        );
        assert_eq!(item_of_event(&discipline, &objection), None);
        let _ = catalog;
    }

    #[test]
    fn an_entry_expires_the_day_after_its_last_day_unless_it_ended_otherwise() {
        let (catalog, discipline) = rules();
        let valid_to = role(&catalog, "serious_dishonesty", |i| {
            i.roles.valid_to.as_ref()
        });
        let ended_on = role(&catalog, "serious_dishonesty", |i| {
            i.roles.ended_on.as_ref()
        });
        let record = entry(
            "serious_dishonesty",
            "2025-10-15",
            &[(valid_to.as_str(), "2026-10-14")],
        );
        let expiry = Expiry::of(&discipline, &catalog, &record, RecordStatus::Normal).unwrap();
        assert_eq!(
            expiry,
            Expiry {
                list: "serious_dishonesty".to_owned(),
                last_day: date("2026-10-14"),
                ended_on: date("2026-10-15"),
            }
        );
        assert!(!expiry.ended_within(date("2026-10-13"), date("2026-10-14")));
        assert!(expiry.ended_within(date("2026-10-14"), date("2026-10-15")));
        assert!(expiry.ended_within(date("2025-10-15"), date("2027-01-01")));
        assert!(!expiry.ended_within(date("2026-10-15"), date("2026-10-16")));

        // Without an end date, the list's maximum (three years).
        let open = entry("serious_dishonesty", "2025-10-15", &[]);
        assert_eq!(
            Expiry::of(&discipline, &catalog, &open, RecordStatus::Normal)
                .unwrap()
                .ended_on,
            date("2028-10-15")
        );
        // Removed before its end: the removal told them; revoked: never in force.
        let removed = entry(
            "serious_dishonesty",
            "2025-10-15",
            &[
                (valid_to.as_str(), "2026-10-14"),
                (ended_on.as_str(), "2026-03-01"),
            ],
        );
        assert_eq!(
            Expiry::of(&discipline, &catalog, &removed, RecordStatus::Normal),
            None
        );
        assert_eq!(
            Expiry::of(&discipline, &catalog, &record, RecordStatus::Revoked),
            None
        );
        // Not a list entry.
        let penalty = entry("admin_penalty", "2025-10-15", &[]);
        assert_eq!(
            Expiry::of(&discipline, &catalog, &penalty, RecordStatus::Normal),
            None
        );
    }

    #[test]
    fn days_are_counted_in_china_standard_time() {
        // 2024-03-01T00:00Z is 08:00 in Beijing; 16:00Z the next day's midnight there.
        assert_eq!(china_day(1_709_251_200_000_000), date("2024-03-01"));
        assert_eq!(
            china_day(1_709_251_200_000_000 + 16 * 3_600_000_000),
            date("2024-03-02")
        );
        assert_eq!(
            china_day(1_709_251_200_000_000 + 16 * 3_600_000_000 - 1),
            date("2024-03-01")
        );
        assert_eq!(china_day(-8 * 3_600_000_000 - 1), date("1969-12-31"));
    }

    #[test]
    fn back_off_doubles_until_the_last_attempt() {
        let delays: Vec<AfterFailure> = (1..=4).map(|n| after_failure(n, 4, 100)).collect();
        assert_eq!(
            delays,
            [
                AfterFailure::RetryAfterMs(100),
                AfterFailure::RetryAfterMs(200),
                AfterFailure::RetryAfterMs(400),
                AfterFailure::Dead,
            ]
        );
        assert_eq!(after_failure(1, 1, 100), AfterFailure::Dead);
        assert_eq!(after_failure(1, 0, 100), AfterFailure::Dead);
        assert_eq!(
            after_failure(80, 100, u64::MAX),
            AfterFailure::RetryAfterMs(u64::MAX)
        );
    }

    #[test]
    fn identity_numbers_are_found_in_text_but_not_codes_and_dates() {
        assert_eq!(
            find_identity_number("法定代表人王某（350203198001011235）拒不履行"),
            Some("350203198001011235".to_owned())
        );
        assert_eq!(
            find_identity_number("身份证号11010519491231002x。").as_deref(),
            Some("11010519491231002X")
        );
        // A wrong check character, a USCC, a document number and a date are not.
        assert_eq!(find_identity_number("350203198001011234"), None);
        assert_eq!(
            find_identity_number("统一社会信用代码 91350200MA2XXXXX1K"),
            None
        );
        assert_eq!(
            find_identity_number("厦市监罚〔2025〕123号，2025-10-15"),
            None
        );
        assert_eq!(find_identity_number(""), None);
    }
}
