//! Listing with due process: notice, objection window in working days, decision, removal.

use chrono::NaiveDate;
use gongxin_core::calendar::WorkCalendar;
use gongxin_core::catalog::Catalog;
use gongxin_core::discipline::Discipline;
use gongxin_core::listing::{
    Decision, Listing, ListingStatus, ListingStep, Proposal, RemovalReason,
};
use gongxin_core::record::RecordId;

fn date(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap()
}

fn proposal() -> Proposal {
    Proposal {
        subject: "91350200MA2Y0000XX".to_owned(),
        subject_name: "厦门市示例贸易有限公司".to_owned(),
        unit: "11350200MB0000000X".to_owned(),
        document_no: "厦市监信〔2025〕7号".to_owned(),
        reasons: "拒不履行生效行政处罚决定".to_owned(),
        basis: "《市场监督管理严重违法失信名单管理办法》第十条".to_owned(),
        fields: Vec::new(),
    }
}

struct Setup {
    discipline: Discipline,
    calendar: &'static WorkCalendar,
}

fn setup() -> Setup {
    let catalog = Catalog::embedded().unwrap();
    Setup {
        discipline: Discipline::embedded(&catalog).unwrap(),
        calendar: WorkCalendar::embedded(),
    }
}

fn list(setup: &Setup) -> &gongxin_core::discipline::ListType {
    setup.discipline.list("serious_dishonesty").unwrap()
}

#[test]
fn the_objection_window_counts_working_days_across_national_day() {
    let s = setup();
    // Notice on 2025-09-30; 1–8 October are holidays and Saturday 11 October is a working day:
    // the five working days are 9, 10, 11, 13 and 14 October.
    let (listing, step) = Listing::propose(
        list(&s),
        s.calendar,
        RecordId([1; 16]),
        proposal(),
        date("2025-09-30"),
    )
    .unwrap();
    assert_eq!(listing.objection_due, date("2025-10-14"));
    assert!(matches!(step, ListingStep::Proposed { .. }));

    // The subject may object on the last day, not after.
    assert!(
        listing
            .object(date("2025-10-14"), "处罚决定已履行完毕")
            .is_ok()
    );
    let late = listing
        .object(date("2025-10-15"), "处罚决定已履行完毕")
        .unwrap_err();
    assert_eq!(late.code, "objection_window_closed");

    // The unit may not decide while the subject can still object.
    let decision = Decision::List {
        from: date("2025-10-15"),
        until: Some(date("2028-10-14")),
        note: None,
        answer: None,
    };
    let early = listing
        .decide(list(&s), date("2025-10-14"), decision.clone())
        .unwrap_err();
    assert_eq!(early.code, "objection_window_open");
    let (listed, _) = listing
        .decide(list(&s), date("2025-10-15"), decision)
        .unwrap();
    assert_eq!(listed.status, ListingStatus::Listed);
    assert_eq!(listed.until, Some(date("2028-10-14")));
}

#[test]
fn an_objection_must_be_answered_and_the_term_kept_within_the_maximum() {
    let s = setup();
    let (listing, _) = Listing::propose(
        list(&s),
        s.calendar,
        RecordId([2; 16]),
        proposal(),
        date("2025-03-03"),
    )
    .unwrap();
    assert_eq!(listing.objection_due, date("2025-03-10"));
    let (objected, _) = listing.object(date("2025-03-05"), "已全部履行").unwrap();
    assert_eq!(
        objected
            .object(date("2025-03-06"), "再次异议")
            .unwrap_err()
            .code,
        "already_objected"
    );
    let unanswered = Decision::List {
        from: date("2025-03-11"),
        until: Some(date("2026-03-10")),
        note: None,
        answer: None,
    };
    assert_eq!(
        objected
            .decide(list(&s), date("2025-03-11"), unanswered)
            .unwrap_err()
            .code,
        "objection_unanswered"
    );
    let too_long = Decision::List {
        from: date("2025-03-11"),
        until: Some(date("2028-03-11")),
        note: None,
        answer: Some("经核实，履行证明不属实".to_owned()),
    };
    assert_eq!(
        objected
            .decide(list(&s), date("2025-03-11"), too_long)
            .unwrap_err()
            .code,
        "too_long"
    );
    let dropped = objected
        .decide(
            list(&s),
            date("2025-03-11"),
            Decision::Drop {
                note: "异议成立，不予列入".to_owned(),
                answer: Some("经核实已履行".to_owned()),
            },
        )
        .unwrap()
        .0;
    assert_eq!(dropped.status, ListingStatus::Dropped);
    assert_eq!(
        dropped.objection.unwrap().answer.as_deref(),
        Some("经核实已履行")
    );
}

#[test]
fn removal_follows_the_list_rules_and_replay_rebuilds_the_case() {
    let s = setup();
    let (listing, proposed) = Listing::propose(
        list(&s),
        s.calendar,
        RecordId([3; 16]),
        proposal(),
        date("2025-03-03"),
    )
    .unwrap();
    let (listed, decided) = listing
        .decide(
            list(&s),
            date("2025-03-11"),
            Decision::List {
                from: date("2025-03-11"),
                until: Some(date("2026-03-10")),
                note: None,
                answer: None,
            },
        )
        .unwrap();
    assert_eq!(
        listed
            .remove(list(&s), date("2025-09-01"), RemovalReason::Repair, " ")
            .unwrap_err()
            .code,
        "reason_required"
    );
    let (removed, step) = listed
        .remove(
            list(&s),
            date("2025-09-01"),
            RemovalReason::Repair,
            "已完成信用修复",
        )
        .unwrap();
    assert_eq!(removed.removed_on, Some(date("2025-09-01")));

    // Court lists are not repaired, nor proposed here.
    let debtors = s.discipline.list("dishonest_debtor").unwrap();
    assert_eq!(
        Listing::propose(
            debtors,
            s.calendar,
            RecordId([4; 16]),
            proposal(),
            date("2025-03-03")
        )
        .unwrap_err()
        .code,
        "not_listed_here"
    );

    let replayed = Listing::replay(
        &s.discipline,
        s.calendar,
        RecordId([3; 16]),
        &[proposed.clone(), decided.clone(), step.clone()],
    );
    assert_eq!(replayed, Some(removed));
    // A log the rules would not have produced does not replay.
    assert_eq!(
        Listing::replay(
            &s.discipline,
            s.calendar,
            RecordId([3; 16]),
            &[decided, proposed]
        ),
        None
    );
    // Steps survive the JSON of the event log.
    let json = serde_json::to_string(&step).unwrap();
    assert_eq!(serde_json::from_str::<ListingStep>(&json).unwrap(), step);
}
