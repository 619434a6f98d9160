//! Objections (异议) to a record already in force: while one is verified, joint discipline on
//! the record is suspended — shown in checks, not enforced (国发〔2016〕33号 第（二十二）项).
//!
//! The source unit decides: keep, correct or revoke, each with a written reason. The deadline
//! comes from the jurisdiction's configuration in working days (STANDARDS.md §4: decide
//! within 5 by default).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::listing::ListingError;
use crate::record::RecordId;

/// Working days the source unit has to decide, by default.
pub const DEFAULT_DECIDE_WORKING_DAYS: u32 = 5;

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
    /// The last day for the source unit's decision.
    pub decide_by: NaiveDate,
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

    #[allow(clippy::too_many_arguments)]
    pub fn file(
        calendar: &WorkCalendar,
        decide_working_days: u32,
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
            decide_by: calendar.add_working_days(on, decide_working_days).value,
            outcome: None,
            decided_on: None,
            reason: None,
        };
        let step = ObjectionStep::Filed {
            objection: objection.clone(),
        };
        Ok((objection, step))
    }

    pub fn decide(
        &self,
        on: NaiveDate,
        outcome: Outcome,
        reason: &str,
    ) -> Result<(Objection, ObjectionStep), ListingError> {
        if !self.is_open() {
            return Err(ListingError {
                code: "wrong_state",
                zh: "该异议已办结".into(),
                en: "the objection has been decided".into(),
            });
        }
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
