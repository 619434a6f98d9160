//! Working days and Civil Code periods against STANDARDS.md §5 and an independent source.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, Weekday};
use gongxin_core::calendar::{
    CalendarError, Period, WeekdayFallback, WorkCalendar, add_months, add_period, add_years,
};

/// The second, independent transcription of the State Council notices (LKI/chinese-calendar).
const LKI_CSV: &str = include_str!("../../../catalog/calendar/lki_chinese_calendar_2015_2026.csv");
const HOLIDAY_CN_2026: &str = include_str!("../../../catalog/calendar/holiday-cn_2026.json");

fn date(text: &str) -> NaiveDate {
    text.parse()
        .unwrap_or_else(|e| panic!("test date {text}: {e}"))
}

fn calendar() -> &'static WorkCalendar {
    WorkCalendar::embedded()
}

#[test]
fn holiday_cn_agrees_with_lki_every_day_2015_2026() {
    let mut holidays = HashSet::new();
    let mut workdays = HashSet::new();
    for (number, line) in LKI_CSV.lines().enumerate().skip(1) {
        let mut columns = line.split(',');
        let (Some(day), Some(kind)) = (columns.next(), columns.next()) else {
            panic!("LKI line {}: {line:?}", number + 1);
        };
        match kind {
            "holidays" => holidays.insert(date(day)),
            "workdays" => workdays.insert(date(day)),
            // Days in lieu are holidays too; LKI lists them a second time under this kind.
            "in_lieu_days" => holidays.insert(date(day)),
            other => panic!("LKI line {}: unknown kind {other}", number + 1),
        };
    }
    assert!(
        holidays.len() > 300 && workdays.len() > 50,
        "LKI data loaded"
    );
    assert!(holidays.is_disjoint(&workdays));

    let mut checked = 0;
    for day in date("2015-01-01")
        .iter_days()
        .take_while(|d| d.year() <= 2026)
    {
        let lki_working = if workdays.contains(&day) {
            true
        } else if holidays.contains(&day) {
            false
        } else {
            !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
        };
        assert!(calendar().covers(day), "{day} covered by a notice");
        assert_eq!(
            calendar().is_working_day(day),
            lki_working,
            "{day}: holiday-cn and LKI disagree"
        );
        checked += 1;
    }
    assert_eq!(checked, 4383, "every day of 2015–2026");
}

#[test]
fn n_working_days_after() {
    // (date, n, expected): the STANDARDS.md §5 checks first.
    let cases = [
        // National Day and Mid-Autumn 2025; 9-28 (Sun) and 10-11 (Sat) are adjusted working days.
        ("2025-09-26", 7, "2025-10-13"),
        // Spring Festival 2026 with 2-14 (Sat) and 2-28 (Sat) as working days.
        ("2026-02-13", 7, "2026-03-02"),
        // Across a year boundary and New Year's Day.
        ("2024-12-31", 7, "2025-01-10"),
        ("2025-09-26", 0, "2025-09-26"),
        ("2025-09-26", 1, "2025-09-28"),
        // Counting starts the next day: from a holiday, the first working day is day one.
        ("2025-10-01", 1, "2025-10-09"),
        // 2015-01-04 is a Sunday made a working day for New Year.
        ("2014-12-31", 1, "2015-01-04"),
    ];
    for (start, n, expected) in cases {
        let result = calendar().add_working_days(date(start), n);
        assert_eq!(result.value, date(expected), "{start} + {n} working days");
        assert!(result.is_exact(), "{start} + {n}: within published years");
        assert_eq!(
            calendar()
                .working_days_between(date(start), date(expected))
                .value,
            n,
            "working days in ({start}, {expected}]"
        );
    }
}

#[test]
fn working_days_between_measures_lateness() {
    let decided = date("2025-09-26");
    let between = |to: &str| calendar().working_days_between(decided, date(to)).value;
    assert_eq!(
        between("2025-10-13"),
        7,
        "published on the last allowed day"
    );
    assert_eq!(between("2025-10-14"), 8, "one working day late");
    assert_eq!(between("2025-10-08"), 3, "holidays do not count");
    assert_eq!(between("2025-09-26"), 0, "same day");
    assert_eq!(between("2025-09-01"), 0, "end before start");
}

#[test]
fn fallback_to_weekdays_past_the_last_published_year() {
    assert_eq!(calendar().last_published_year(), Some(2026));
    assert!(!calendar().covers(date("2027-01-01")));

    // Monday 2026-12-28 .. Friday 2027-01-01: the last day is a guess (it is New Year's Day
    // in every year so far, but no notice for 2027 is loaded).
    let result = calendar().add_working_days(date("2026-12-25"), 5);
    assert_eq!(result.value, date("2027-01-01"));
    assert_eq!(
        result.fallback,
        Some(WeekdayFallback {
            first_uncovered: date("2027-01-01")
        })
    );
    let warning = result.fallback.map(|w| (w.to_string(), w.message_zh()));
    let (en, zh) = warning.unwrap_or_default();
    assert!(en.contains("2027"), "{en}");
    assert!(zh.contains("2027年"), "{zh}");

    let inside = calendar().add_working_days(date("2026-12-25"), 4);
    assert_eq!(inside.value, date("2026-12-31"));
    assert!(inside.is_exact());

    let counted = calendar().working_days_between(date("2026-12-30"), date("2027-01-05"));
    assert_eq!(counted.value, 4, "12-31, 01-01, 01-04, 01-05");
    assert_eq!(
        counted.fallback.map(|w| w.first_uncovered),
        Some(date("2027-01-01"))
    );
}

#[test]
fn a_deployment_can_add_a_year() {
    let notice_2027 = r#"{"year": 2027, "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": true}
    ]}"#;
    let extended = WorkCalendar::from_holiday_cn_json(&[HOLIDAY_CN_2026, notice_2027])
        .unwrap_or_else(|e| panic!("{e}"));
    let result = extended.add_working_days(date("2026-12-31"), 1);
    assert_eq!(result.value, date("2027-01-04"));
    assert!(result.is_exact());
    assert_eq!(extended.last_published_year(), Some(2027));
}

#[test]
fn bad_holiday_documents_are_rejected() {
    let conflicting = r#"{"year": 2027, "days": [{"date": "2026-10-01", "isOffDay": false}]}"#;
    match WorkCalendar::from_holiday_cn_json(&[HOLIDAY_CN_2026, conflicting]) {
        Err(CalendarError::Conflict { date: day }) => assert_eq!(day, date("2026-10-01")),
        other => panic!("expected a conflict, got {other:?}"),
    }
    for (text, why) in [
        ("not json", "not JSON"),
        (r#"{"year": 2027}"#, "no days"),
        (
            r#"{"year": 2027, "days": [{"date": "2027-02-30", "isOffDay": true}]}"#,
            "impossible date",
        ),
        (
            r#"{"year": 2027, "days": [{"date": "2027-01-01"}]}"#,
            "no isOffDay",
        ),
    ] {
        match WorkCalendar::from_holiday_cn_json(&[HOLIDAY_CN_2026, text]) {
            Err(CalendarError::Syntax { index: 1, .. }) => {}
            other => panic!("{why}: expected a syntax error in document 1, got {other:?}"),
        }
    }
}

#[test]
fn civil_code_month_and_year_periods() {
    // (start, period, last day): Art. 202, same date number or the month's last day.
    let cases = [
        ("2024-01-31", Period::Months(1), "2024-02-29"),
        ("2023-01-31", Period::Months(1), "2023-02-28"),
        ("2023-03-31", Period::Months(1), "2023-04-30"),
        ("2023-11-30", Period::Months(3), "2024-02-29"),
        ("2023-01-15", Period::Months(3), "2023-04-15"),
        ("2023-05-01", Period::Months(12), "2024-05-01"),
        ("2024-02-29", Period::Years(1), "2025-02-28"),
        ("2024-02-29", Period::Years(4), "2028-02-29"),
        ("2023-05-01", Period::Years(3), "2026-05-01"),
        // Art. 201: the event day is not counted, so 10 days end on day + 10.
        ("2025-01-01", Period::Days(10), "2025-01-11"),
    ];
    for (start, period, expected) in cases {
        assert_eq!(
            add_period(date(start), period),
            date(expected),
            "{start} + {period}"
        );
    }
    assert_eq!(add_months(date("2024-01-31"), 1), date("2024-02-29"));
    assert_eq!(add_years(date("2024-02-29"), 1), date("2025-02-28"));
    assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX, "saturates");
}

#[test]
fn legal_deadlines_extend_past_non_working_days_and_windows_do_not() {
    // (start, period, add_period (publication window), period_end (legal deadline))
    let cases = [
        // Ends on National Day 2025: the deadline moves to the first working day after it.
        ("2025-09-01", Period::Months(1), "2025-10-01", "2025-10-09"),
        // Ends on a Saturday.
        ("2025-05-07", Period::Months(1), "2025-06-07", "2025-06-09"),
        // Ends on Sunday 2025-09-28, an adjusted working day: no extension.
        ("2025-08-28", Period::Months(1), "2025-09-28", "2025-09-28"),
        // Ends on an ordinary working day.
        ("2025-03-10", Period::Days(15), "2025-03-25", "2025-03-25"),
        // Ends inside Spring Festival 2026 (02-15..02-23 off).
        ("2025-02-16", Period::Years(1), "2026-02-16", "2026-02-24"),
    ];
    for (start, period, window_end, deadline) in cases {
        assert_eq!(add_period(date(start), period), date(window_end), "{start}");
        let legal = calendar().period_end(date(start), period);
        assert_eq!(legal.value, date(deadline), "{start} + {period}, Art. 203");
        assert!(legal.is_exact());
    }

    let unpublished = calendar().period_end(date("2027-05-02"), Period::Days(1));
    assert_eq!(
        unpublished.value,
        date("2027-05-03"),
        "Monday by the weekday rule"
    );
    assert!(!unpublished.is_exact());
}

#[test]
fn periods_parse_and_print() {
    for (text, period, zh) in [
        ("3 months", Period::Months(3), "3个月"),
        ("1 year", Period::Years(1), "1年"),
        ("15 days", Period::Days(15), "15日"),
    ] {
        assert_eq!(text.parse::<Period>(), Ok(period));
        assert_eq!(period.to_string(), text);
        assert_eq!(period.to_zh(), zh);
    }
    assert_eq!("1 years".parse::<Period>(), Ok(Period::Years(1)));
    for bad in [
        "",
        "3",
        "months",
        "3 weeks",
        "-1 year",
        "3 months ago",
        "三个月",
    ] {
        assert!(bad.parse::<Period>().is_err(), "{bad:?} rejected");
    }
}
