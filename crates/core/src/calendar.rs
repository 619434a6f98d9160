//! Working days and Civil Code periods (STANDARDS.md §5).
//!
//! Two different kinds of time arithmetic live here, and the difference matters:
//!
//! * **Working days** ("7个工作日内上网公开", the penalty law's 二日/三日/五日/七日, objection and
//!   repair deadlines): the State Council's yearly holiday notice overrides the Monday–Friday
//!   rule — listed holidays are off, listed adjusted weekends (调休) are working days. See
//!   [`WorkCalendar`].
//! * **Calendar periods** (Civil Code Arts. 200–204): counting starts the day after the event;
//!   a period of months or years ends on the same date number in the final month, or on that
//!   month's last day when the number does not exist there.
//!   - [`add_period`] (and [`add_months`], [`add_years`]) give that end date *without* any
//!     holiday extension. **Publication windows** use it: a penalty shown for three months
//!     stops on the date three months on, whatever day of the week that is.
//!   - [`WorkCalendar::period_end`] applies Art. 203 on top: a period whose last day is not a
//!     working day ends on the next working day. **Legal deadlines** (a time limit a party or
//!     an authority must meet) use it.
//!
//! Past the last year for which a holiday notice is loaded the calendar falls back to the
//! Monday–Friday rule, and every answer that needed such a day says so through [`Dated`]: the
//! caller decides whether to show, log or refuse a result that may move once the notice for
//! that year is published.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::Deserialize;

/// The holiday-cn files shipped with gongxin (`catalog/calendar/`), one per notice year.
const EMBEDDED_HOLIDAY_CN: [&str; 12] = [
    include_str!("../../../catalog/calendar/holiday-cn_2015.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2016.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2017.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2018.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2019.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2020.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2021.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2022.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2023.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2024.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2025.json"),
    include_str!("../../../catalog/calendar/holiday-cn_2026.json"),
];

static EMBEDDED: LazyLock<WorkCalendar> = LazyLock::new(|| {
    // The embedded files are fixed at compile time and loaded by the test suite, so a failure
    // here means the shipped data was edited without running the tests: fail loudly rather
    // than compute deadlines from a partial calendar.
    WorkCalendar::from_holiday_cn_json(&EMBEDDED_HOLIDAY_CN)
        .expect("embedded holiday-cn calendar data is valid (checked by tests/calendar.rs)")
});

/// A holiday-cn document that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// Not JSON, or not the holiday-cn layout (`year`, `days[].date`, `days[].isOffDay`).
    #[error("holiday-cn document #{index}: {source}")]
    Syntax {
        /// Position of the document in the slice passed in (0-based).
        index: usize,
        #[source]
        source: serde_json::Error,
    },
    /// Two entries disagree about a date; silently letting one win would make deadlines
    /// depend on the order the files were loaded.
    #[error("{date} is listed both as a holiday and as an adjusted working day")]
    Conflict { date: NaiveDate },
}

/// Working days for mainland China: the State Council's yearly notices over the
/// Monday–Friday rule.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    /// Dates the notices name explicitly: `true` = adjusted working day (调休),
    /// `false` = holiday.
    overrides: HashMap<NaiveDate, bool>,
    /// Years whose notice is loaded. Only inside these is an unlisted weekday known to be a
    /// working day; elsewhere the answer is a Monday–Friday guess.
    years: BTreeSet<i32>,
}

impl WorkCalendar {
    /// The calendar built from the holiday-cn files shipped with gongxin (2015–2026), built
    /// once and shared.
    pub fn embedded() -> &'static WorkCalendar {
        &EMBEDDED
    }

    /// Builds a calendar from holiday-cn JSON documents (one per year, as published by
    /// NateScarlet/holiday-cn), so a deployment can add years as notices appear without a new
    /// release. A document may list days of the neighbouring year (the 2019 notice covers
    /// 2018-12-29..31); such days are used, but only the document's own `year` counts as
    /// covered. Documents may repeat days as long as they agree.
    pub fn from_holiday_cn_json(documents: &[&str]) -> Result<Self, CalendarError> {
        let mut overrides = HashMap::new();
        let mut years = BTreeSet::new();
        for (index, text) in documents.iter().enumerate() {
            let doc: HolidayCnDocument = serde_json::from_str(text)
                .map_err(|source| CalendarError::Syntax { index, source })?;
            years.insert(doc.year);
            for day in doc.days {
                let working = !day.is_off_day;
                if let Some(previous) = overrides.insert(day.date, working)
                    && previous != working
                {
                    return Err(CalendarError::Conflict { date: day.date });
                }
            }
        }
        Ok(Self { overrides, years })
    }

    /// Whether a holiday notice for `date`'s year is loaded. Outside those years
    /// [`is_working_day`](Self::is_working_day) is the Monday–Friday rule.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    /// The last year whose holiday notice is loaded, if any.
    pub fn last_published_year(&self) -> Option<i32> {
        self.years.last().copied()
    }

    /// Whether `date` is a working day: the notice decides where it names the date, otherwise
    /// Monday–Friday. This is the bare answer; use [`covers`](Self::covers) (or the [`Dated`]
    /// results of the counting functions) to know whether it rests on a published notice.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.overrides
            .get(&date)
            .copied()
            .unwrap_or_else(|| is_weekday(date))
    }

    /// The date `n` working days after `date`: step from the day after `date` and count
    /// working days until the `n`-th (so `n = 0` is `date` itself). This is the end of a
    /// "within N working days" time limit, e.g. the last day to publish a decision under
    /// 国办发〔2015〕51号.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Dated<NaiveDate> {
        let mut probe = Probe::new(self);
        let mut day = date;
        let mut counted = 0;
        while counted < n {
            // `succ_opt` only fails at the end of chrono's range (year 262142); stopping there
            // is the only answer that exists.
            let Some(next) = day.succ_opt() else { break };
            day = next;
            if probe.is_working_day(day) {
                counted += 1;
            }
        }
        probe.finish(day)
    }

    /// The number of working days in `(from, to]` — how many working days after `from` the
    /// date `to` is, e.g. how late a publication was: a decision published on
    /// `working_days_between(decided, published) > 7` missed the 7-working-day limit. Zero
    /// when `to` is not after `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Dated<u32> {
        let mut probe = Probe::new(self);
        let mut count: u32 = 0;
        for day in from.iter_days().skip(1).take_while(|day| *day <= to) {
            if probe.is_working_day(day) {
                count = count.saturating_add(1);
            }
        }
        probe.finish(count)
    }

    /// The last day of a **legal deadline** of `period` counted from the event on `start`
    /// (Civil Code Arts. 201–203): [`add_period`], then, if that day is not a working day, the
    /// next working day. Publication windows do not extend; they use [`add_period`].
    pub fn period_end(&self, start: NaiveDate, period: Period) -> Dated<NaiveDate> {
        let mut probe = Probe::new(self);
        let mut day = add_period(start, period);
        while !probe.is_working_day(day) {
            // See `add_working_days`: only fails at the end of chrono's range.
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        probe.finish(day)
    }
}

/// A computed date (or count) together with whether it rests on a guess.
///
/// `fallback` is `Some` when at least one day consulted lies in a year with no loaded holiday
/// notice, where the Monday–Friday rule was assumed. It is a value to show next to the
/// result, not a log line: the caller knows whether a provisional deadline is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub struct Dated<T> {
    pub value: T,
    pub fallback: Option<WeekdayFallback>,
}

impl<T> Dated<T> {
    /// Whether every day consulted was covered by a published holiday notice.
    pub fn is_exact(&self) -> bool {
        self.fallback.is_none()
    }
}

/// The warning carried by a [`Dated`] result computed partly by the Monday–Friday rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdayFallback {
    /// The first consulted day that no loaded holiday notice covers.
    pub first_uncovered: NaiveDate,
}

impl WeekdayFallback {
    /// The warning in Chinese, for the same readers as the problem messages.
    pub fn message_zh(&self) -> String {
        format!(
            "{}年的节假日安排尚未载入，自{}起按周一至周五为工作日推算，结果可能变化",
            self.first_uncovered.year(),
            self.first_uncovered
        )
    }
}

impl fmt::Display for WeekdayFallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no holiday notice loaded for {}: working days from {} assumed Monday–Friday; \
             the result may change",
            self.first_uncovered.year(),
            self.first_uncovered
        )
    }
}

/// A Civil Code period (Arts. 200–204). Working-day limits are not periods of this kind;
/// they are counted with [`WorkCalendar::add_working_days`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Days(u32),
    Months(u32),
    Years(u32),
}

impl Period {
    /// The number of units; a zero period is never meaningful in a rule, so loaders reject it.
    pub fn count(self) -> u32 {
        match self {
            Period::Days(n) | Period::Months(n) | Period::Years(n) => n,
        }
    }

    /// The period written as in Chinese legal text: `3个月`, `1年`, `15日`.
    pub fn to_zh(self) -> String {
        match self {
            Period::Days(n) => format!("{n}日"),
            Period::Months(n) => format!("{n}个月"),
            Period::Years(n) => format!("{n}年"),
        }
    }
}

/// `3 months`, `1 year`, `15 days`: the form rule files use.
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = match *self {
            Period::Days(n) => (n, "day"),
            Period::Months(n) => (n, "month"),
            Period::Years(n) => (n, "year"),
        };
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "{n} {unit}{plural}")
    }
}

/// A period that is not `<number> day(s)|month(s)|year(s)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid period {0:?}: expected \"<number> days\", \"<number> months\" or \"<number> years\""
)]
pub struct PeriodParseError(pub String);

impl FromStr for Period {
    type Err = PeriodParseError;

    /// Parses the [`Display`](fmt::Display) form, singular or plural (`1 year`, `3 months`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || PeriodParseError(text.to_owned());
        let mut words = text.split_whitespace();
        let (Some(number), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(error());
        };
        let n: u32 = number.parse().map_err(|_| error())?;
        match unit {
            "day" | "days" => Ok(Period::Days(n)),
            "month" | "months" => Ok(Period::Months(n)),
            "year" | "years" => Ok(Period::Years(n)),
            _ => Err(error()),
        }
    }
}

/// The same date number `n` months later, or that month's last day when it has no such date
/// (Civil Code Art. 202): 2024-01-31 + 1 month = 2024-02-29.
///
/// Saturates at chrono's last representable date instead of failing: only dates tens of
/// thousands of years ahead are affected, and every caller wants "later than anything real".
pub fn add_months(date: NaiveDate, n: u32) -> NaiveDate {
    date.checked_add_months(Months::new(n))
        .unwrap_or(NaiveDate::MAX)
}

/// `n` years later by the same rule as [`add_months`]: 2024-02-29 + 1 year = 2025-02-28.
pub fn add_years(date: NaiveDate, n: u32) -> NaiveDate {
    add_months(date, n.saturating_mul(12))
}

/// The last day of `period` counted from the event on `start`, **without** holiday extension:
/// the day after `start` is day one (Art. 201), so `n` days end on `start + n`; months and
/// years end on the corresponding date (Art. 202). Publication windows use this; legal
/// deadlines use [`WorkCalendar::period_end`].
pub fn add_period(start: NaiveDate, period: Period) -> NaiveDate {
    match period {
        Period::Days(n) => start
            .checked_add_days(Days::new(n.into()))
            .unwrap_or(NaiveDate::MAX),
        Period::Months(n) => add_months(start, n),
        Period::Years(n) => add_years(start, n),
    }
}

fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Answers working-day questions while remembering the first day that needed the
/// Monday–Friday guess, so each counting function reports it once.
struct Probe<'a> {
    calendar: &'a WorkCalendar,
    first_uncovered: Option<NaiveDate>,
}

impl<'a> Probe<'a> {
    fn new(calendar: &'a WorkCalendar) -> Self {
        Self {
            calendar,
            first_uncovered: None,
        }
    }

    fn is_working_day(&mut self, date: NaiveDate) -> bool {
        if self.first_uncovered.is_none() && !self.calendar.covers(date) {
            self.first_uncovered = Some(date);
        }
        self.calendar.is_working_day(date)
    }

    fn finish<T>(self, value: T) -> Dated<T> {
        Dated {
            value,
            fallback: self
                .first_uncovered
                .map(|first_uncovered| WeekdayFallback { first_uncovered }),
        }
    }
}

/// The part of a holiday-cn document the calendar needs (`$schema`, `papers` and day names
/// are ignored).
#[derive(Deserialize)]
struct HolidayCnDocument {
    year: i32,
    days: Vec<HolidayCnDay>,
}

#[derive(Deserialize)]
struct HolidayCnDay {
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}
