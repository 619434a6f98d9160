//! Objection deadlines in working days: forward, decide, extend within the total; overdue.
//! Who may object: the subject, or anyone else who states their standing.

use chrono::NaiveDate;
use gongxin_core::calendar::WorkCalendar;
use gongxin_core::objection::{
    Deadlines, FiledAs, FilerDetails, Filing, Objection, Outcome, Reader,
};
use gongxin_core::personal::PersonalDataKey;
use gongxin_core::record::RecordId;

fn date(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap()
}

fn key() -> PersonalDataKey {
    PersonalDataKey::from_master(&[9; 32])
}

fn filing<'a>(on: &str, filed_as: FiledAs, filer: Option<FilerDetails<'a>>) -> Filing<'a> {
    Filing {
        id: "obj_1".to_owned(),
        record: RecordId([7; 16]),
        subject: "91350200MA2Y0000XX".to_owned(),
        filed_by: "subject".to_owned(),
        filed_as,
        on: date(on),
        grounds: "处罚已被复议撤销",
        filer,
        attachments: Vec::new(),
    }
}

fn filed(on: &str) -> Objection {
    Objection::file(
        WorkCalendar::embedded(),
        &Deadlines::default(),
        filing(on, FiledAs::Subject, None),
        &key(),
    )
    .unwrap()
    .0
}

#[test]
fn deadlines_count_working_days_across_national_day() {
    // Filed on 30 September 2025: 1–8 October are holidays, Saturday 11 October works.
    let objection = filed("2025-09-30");
    assert_eq!(objection.forward_by, date("2025-10-10"));
    assert_eq!(objection.decide_by, date("2025-10-14"));
    assert!(!objection.is_overdue(date("2025-10-14")));
    assert!(objection.is_overdue(date("2025-10-15")));
    // Twenty working days at most, extensions included.
    let calendar = WorkCalendar::embedded();
    assert_eq!(
        objection.decide_by_at_most,
        calendar.add_working_days(date("2025-09-30"), 20).value
    );
}

#[test]
fn an_extension_needs_a_reason_and_stays_within_the_total() {
    let objection = filed("2025-03-03");
    assert_eq!(objection.decide_by, date("2025-03-10"));
    let at_most = objection.decide_by_at_most;
    let refused =
        |until: NaiveDate, reason: &str| objection.extend(date("2025-03-07"), reason, until);
    assert_eq!(
        refused(date("2025-03-14"), " ").unwrap_err().code,
        "reason_required"
    );
    assert_eq!(
        refused(at_most.succ_opt().unwrap(), "需向外省核实")
            .unwrap_err()
            .code,
        "extension_out_of_range"
    );
    assert_eq!(
        refused(date("2025-03-10"), "需向外省核实")
            .unwrap_err()
            .code,
        "extension_out_of_range"
    );
    let (extended, _) = objection
        .extend(date("2025-03-07"), "需向外省核实", date("2025-03-21"))
        .unwrap();
    assert_eq!(extended.decide_by, date("2025-03-21"));
    assert!(!extended.is_overdue(date("2025-03-14")));
    assert_eq!(extended.extensions.len(), 1);

    // Forwarded once; decided once; nothing after.
    let (forwarded, _) = extended.forward(date("2025-03-04")).unwrap();
    assert_eq!(
        forwarded.forward(date("2025-03-05")).unwrap_err().code,
        "already_forwarded"
    );
    let (decided, _) = forwarded
        .decide(date("2025-03-20"), Outcome::Keep, "维持原记录")
        .unwrap();
    assert!(!decided.is_open() && !decided.is_overdue(date("2025-12-31")));
    assert_eq!(
        decided
            .extend(date("2025-03-20"), "x", date("2025-03-25"))
            .unwrap_err()
            .code,
        "wrong_state"
    );
}

#[test]
fn anyone_else_must_state_their_standing_and_their_number_is_sealed() {
    let file = |filed_as, filer| {
        Objection::file(
            WorkCalendar::embedded(),
            &Deadlines::default(),
            filing("2025-03-03", filed_as, filer),
            &key(),
        )
    };
    let person = |standing: &'static str, id_number: Option<&'static str>| FilerDetails {
        name: "陈某",
        contact: "13800000000",
        standing,
        id_number,
    };
    // A third party without particulars, or with an empty standing, is refused.
    assert_eq!(
        file(FiledAs::ThirdParty, None).unwrap_err().code,
        "standing_required"
    );
    assert_eq!(
        file(FiledAs::ThirdParty, Some(person("  ", None)))
            .unwrap_err()
            .code,
        "standing_required"
    );
    let nameless = FilerDetails {
        name: " ",
        ..person("该处罚记录所列当事人为本人", None)
    };
    assert_eq!(
        file(FiledAs::ThirdParty, Some(nameless)).unwrap_err().code,
        "filer_incomplete"
    );
    assert_eq!(
        file(
            FiledAs::ThirdParty,
            Some(person("本人为该记录所列负责人", Some("3502<script>")))
        )
        .unwrap_err()
        .code,
        "bad_id_number"
    );
    // The subject needs none of it.
    assert!(file(FiledAs::Subject, None).is_ok());
    assert!(file(FiledAs::Subject, Some(person("", None))).is_ok());

    // With standing: filed, the number sealed (never in clear, in the state or the step).
    let (objection, step) = file(
        FiledAs::ThirdParty,
        Some(person(
            " 本人为该记录所列法定代表人，已于2024年离任 ",
            Some("35020319800101123x"),
        )),
    )
    .unwrap();
    assert_eq!(objection.filed_as, FiledAs::ThirdParty);
    let filer = objection.filer.clone().unwrap();
    assert_eq!(filer.standing, "本人为该记录所列法定代表人，已于2024年离任");
    let sealed = filer.id_number.clone().unwrap();
    assert!(gongxin_core::personal::is_sealed(&sealed));
    assert_eq!(key().unseal(&sealed).unwrap(), "35020319800101123X");
    let logged =
        serde_json::to_string(&step).unwrap() + &serde_json::to_string(&objection).unwrap();
    assert!(!logged.contains("35020319800101123"), "{logged}");
    // Those who handle it see the number masked and the contact; the subject neither.
    let handler = objection.shown_to(Reader::Handler, &key()).filer.unwrap();
    assert_eq!(handler.id_number.as_deref(), Some("350203********123X"));
    assert_eq!(handler.contact, "13800000000");
    let other = objection.shown_to(Reader::Other, &key()).filer.unwrap();
    assert_eq!(other.name, "陈某");
    assert_eq!((other.contact.as_str(), other.id_number), ("", None));

    // An objection logged before any of this reads as the subject's own, without a filer.
    let mut old: serde_json::Value = serde_json::to_value(filed("2025-03-03")).unwrap();
    for field in ["filed_as", "filer", "attachments"] {
        old.as_object_mut().unwrap().remove(field);
    }
    let old: Objection = serde_json::from_value(old).unwrap();
    assert_eq!(old.filed_as, FiledAs::Subject);
    assert!(old.filer.is_none() && old.attachments.is_empty());
}
