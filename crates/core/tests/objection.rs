//! Objection deadlines in working days: forward, decide, extend within the total; overdue.

use chrono::NaiveDate;
use gongxin_core::calendar::WorkCalendar;
use gongxin_core::objection::{Deadlines, Objection, Outcome};
use gongxin_core::record::RecordId;

fn date(iso: &str) -> NaiveDate {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap()
}

fn filed(on: &str) -> Objection {
    Objection::file(
        WorkCalendar::embedded(),
        &Deadlines::default(),
        "obj_1".to_owned(),
        RecordId([7; 16]),
        "91350200MA2Y0000XX".to_owned(),
        "subject".to_owned(),
        date(on),
        "处罚已被复议撤销",
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
