//! Objections (异议) to a record already in force: while one is verified, joint discipline on
//! the record is suspended — shown in checks, not enforced (国发〔2016〕33号 第（二十二）项).
//!
//! The record is marked at once, on filing. The credit office forwards the objection to the
//! source unit, which decides: keep, correct or revoke, each with a written reason. The
//! deadlines are the jurisdiction's, in working days counted from filing (STANDARDS.md §4:
//! forward within 2, decide within 5, extended with a reason up to 20 in all).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::listing::ListingError;
use crate::record::RecordId;

/// A jurisdiction's objection deadlines, in working days from filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// For the credit office to forward it to the source unit.
    pub forward: u32,
    /// For the source unit to decide.
    pub decide: u32,
    /// The latest an extension may reach.
    pub extended_total: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            forward: 2,
            decide: 5,
            extended_total: 20,
        }
    }
}

/// An extension of the decision deadline, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub on: NaiveDate,
    pub reason: String,
    pub until: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The record stands.
    Keep,
    /// The source unit corrects the record (a new version follows through submission).
    Correct,
    /// The record is revoked.
    Revoke,
}

/// One objection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    pub id: String,
    pub record: RecordId,
    pub subject: String,
    /// Who filed it: a key id, or `subject` for the entity itself.
    pub filed_by: String,
    pub filed_on: NaiveDate,
    pub grounds: String,
    /// The last day to forward it to the source unit.
    pub forward_by: NaiveDate,
    pub forwarded_on: Option<NaiveDate>,
    /// The last day for the source unit's decision (the latest extension's, if any).
    pub decide_by: NaiveDate,
    /// The latest day any extension may reach.
    pub decide_by_at_most: NaiveDate,
    #[serde(default)]
    pub extensions: Vec<Extension>,
    pub outcome: Option<Outcome>,
    pub decided_on: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// One step of an objection, as written in the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ObjectionStep {
    Filed {
        objection: Objection,
    },
    Forwarded {
        on: NaiveDate,
    },
    Extended {
        on: NaiveDate,
        reason: String,
        until: NaiveDate,
    },
    Decided {
        on: NaiveDate,
        outcome: Outcome,
        reason: String,
    },
}

impl Objection {
    /// Whether it is still being verified (and discipline on its record suspended).
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// Open and undecided after its deadline.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_open() && today > self.decide_by
    }

    #[allow(clippy::too_many_arguments)]
    pub fn file(
        calendar: &WorkCalendar,
        deadlines: &Deadlines,
        id: String,
        record: RecordId,
        subject: String,
        filed_by: String,
        on: NaiveDate,
        grounds: &str,
    ) -> Result<(Objection, ObjectionStep), ListingError> {
        if grounds.trim().is_empty() {
            return Err(ListingError {
                code: "grounds_required",
                zh: "异议须说明理由".into(),
                en: "an objection must give its grounds".into(),
            });
        }
        let objection = Objection {
            id,
            record,
            subject,
            filed_by,
            filed_on: on,
            grounds: grounds.trim().to_owned(),
            forward_by: calendar.add_working_days(on, deadlines.forward).value,
            forwarded_on: None,
            decide_by: calendar.add_working_days(on, deadlines.decide).value,
            decide_by_at_most: calendar
                .add_working_days(on, deadlines.extended_total)
                .value,
            extensions: Vec::new(),
            outcome: None,
            decided_on: None,
            reason: None,
        };
        let step = ObjectionStep::Filed {
            objection: objection.clone(),
        };
        Ok((objection, step))
    }

    /// The credit office forwards it to the source unit.
    pub fn forward(&self, on: NaiveDate) -> Result<(Objection, ObjectionStep), ListingError> {
        self.expect_open()?;
        if self.forwarded_on.is_some() {
            return Err(ListingError {
                code: "already_forwarded",
                zh: "该异议已转交信息提供单位".into(),
                en: "the objection has been forwarded already".into(),
            });
        }
        let mut next = self.clone();
        next.forwarded_on = Some(on);
        Ok((next, ObjectionStep::Forwarded { on }))
    }

    /// The decision deadline moves to `until`, with a reason, never past the jurisdiction's
    /// total.
    pub fn extend(
        &self,
        on: NaiveDate,
        reason: &str,
        until: NaiveDate,
    ) -> Result<(Objection, ObjectionStep), ListingError> {
        self.expect_open()?;
        if reason.trim().is_empty() {
            return Err(ListingError {
                code: "reason_required",
                zh: "延期须说明理由".into(),
                en: "an extension must give its reason".into(),
            });
        }
        if until <= self.decide_by || until > self.decide_by_at_most {
            return Err(ListingError {
                code: "extension_out_of_range",
                zh: format!(
                    "延期须晚于 {} 且不晚于 {}",
                    self.decide_by, self.decide_by_at_most
                ),
                en: format!(
                    "an extension must end after {} and no later than {}",
                    self.decide_by, self.decide_by_at_most
                ),
            });
        }
        let mut next = self.clone();
        next.decide_by = until;
        next.extensions.push(Extension {
            on,
            reason: reason.trim().to_owned(),
            until,
        });
        Ok((
            next,
            ObjectionStep::Extended {
                on,
                reason: reason.trim().to_owned(),
                until,
            },
        ))
    }

    fn expect_open(&self) -> Result<(), ListingError> {
        if self.is_open() {
            return Ok(());
        }
        Err(ListingError {
            code: "wrong_state",
            zh: "该异议已办结".into(),
            en: "the objection has been decided".into(),
        })
    }

    pub fn decide(
        &self,
        on: NaiveDate,
        outcome: Outcome,
        reason: &str,
    ) -> Result<(Objection, ObjectionStep), ListingError> {
        self.expect_open()?;
        if reason.trim().is_empty() {
            return Err(ListingError {
                code: "reason_required",
                zh: "异议处理结果须书面说明理由".into(),
                en: "a decision on an objection must give its reasons".into(),
            });
        }
        let mut next = self.clone();
        next.outcome = Some(outcome);
        next.decided_on = Some(on);
        next.reason = Some(reason.trim().to_owned());
        Ok((
            next,
            ObjectionStep::Decided {
                on,
                outcome,
                reason: reason.trim().to_owned(),
            },
        ))
    }
}
