//! Listing with due process (国办发〔2020〕49号 第（八）项): a unit proposes a listing with
//! reasons, basis and document number; the subject is told (告知) and may object within the
//! list's window of working days; the unit decides, answering any objection; the entry is in
//! force from a date to an end no later than the list's maximum; it leaves the list on expiry,
//! repair, revocation or a court's decision.
//!
//! A [`Listing`] is the state of one such case; each step is a pure function from one state to
//! the next, so the rules live here and the store only keeps the steps, in the event log, in
//! order. The entry itself, once decided, is an ordinary record of the list's item: checks,
//! publication and the feed treat proposed-then-decided and imported entries alike.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::discipline::{Discipline, ListType};
use crate::record::RecordId;

/// Where a listing case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// Notice served; the objection window is open or the unit has yet to decide.
    Proposed,
    /// Decided: the entry is a record of the list's item.
    Listed,
    /// Decided not to list.
    Dropped,
    /// Left the list before its end (repair, revocation, court).
    Removed,
}

/// Why an entry left the list early. Expiry needs no step: an entry is out the day after its
/// last day, whatever anyone does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// 信用修复: only for lists that allow it.
    Repair,
    /// The listing unit revoked its decision (e.g. the underlying decision was set aside).
    Revocation,
    /// A court's judgment.
    Court,
}

impl RemovalReason {
    pub fn name_zh(self) -> &'static str {
        match self {
            RemovalReason::Repair => "信用修复",
            RemovalReason::Revocation => "认定单位撤销",
            RemovalReason::Court => "人民法院裁判",
        }
    }
}

/// The subject's objection within the notice window, and the unit's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeObjection {
    pub filed_on: NaiveDate,
    pub grounds: String,
    /// The unit's written answer, given with its decision.
    pub answer: Option<String>,
}

/// What the unit proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub subject: String,
    pub subject_name: String,
    pub unit: String,
    pub document_no: String,
    pub reasons: String,
    pub basis: String,
    /// The entry's row (field code → text) as the unit gave it; the platform fills the
    /// dates when it decides.
    pub fields: Vec<(String, String)>,
}

/// One listing case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The id of the entry's record (natural key: unit, list item, document number), which
    /// is also the case's id: one decision, one case.
    pub record: RecordId,
    pub list: String,
    pub proposal: Proposal,
    pub status: ListingStatus,
    /// The day notice was served.
    pub notified_on: NaiveDate,
    /// The last day the subject may object.
    pub objection_due: NaiveDate,
    pub objection: Option<NoticeObjection>,
    pub decided_on: Option<NaiveDate>,
    pub decision_note: Option<String>,
    pub in_force_from: Option<NaiveDate>,
    /// Last day on the list (inclusive).
    pub until: Option<NaiveDate>,
    pub removed_on: Option<NaiveDate>,
    pub removal_reason: Option<RemovalReason>,
    pub removal_note: Option<String>,
}

/// What the unit decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    List {
        from: NaiveDate,
        /// Last day on the list; `None` for the list's maximum.
        until: Option<NaiveDate>,
        note: Option<String>,
        /// Required when the subject objected: why the objection does not stand.
        answer: Option<String>,
    },
    Drop {
        note: String,
        answer: Option<String>,
    },
}

/// One step of a case, as written in the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ListingStep {
    Proposed {
        list: String,
        proposal: Proposal,
        notified_on: NaiveDate,
    },
    Objected {
        on: NaiveDate,
        grounds: String,
    },
    Decided {
        on: NaiveDate,
        #[serde(flatten)]
        decision: Decision,
    },
    Removed {
        on: NaiveDate,
        reason: RemovalReason,
        note: String,
    },
}

/// A step the rules do not allow, with the reason in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct ListingError {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

fn refuse(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ListingError {
    ListingError {
        code,
        zh: zh.into(),
        en: en.into(),
    }
}

impl Listing {
    /// Whether listings on `list` go through the platform's procedure at all: lists decided
    /// elsewhere (courts) only arrive here as entries.
    pub fn may_propose(list: &ListType) -> Result<(), ListingError> {
        if list.prior_notice_working_days == 0 {
            return Err(refuse(
                "not_listed_here",
                format!("{}由其他机关认定，本平台只接收其名单信息", list.name_zh),
                format!(
                    "{} is decided elsewhere; the platform only receives it",
                    list.name_en
                ),
            ));
        }
        Ok(())
    }

    /// Opens a case: notice is served on `on`, and the subject may object for the list's
    /// window of working days after it.
    pub fn propose(
        list: &ListType,
        calendar: &WorkCalendar,
        record: RecordId,
        proposal: Proposal,
        on: NaiveDate,
    ) -> Result<(Listing, ListingStep), ListingError> {
        Self::may_propose(list)?;
        for (value, zh, en) in [
            (&proposal.reasons, "列入事由", "reasons"),
            (&proposal.basis, "认定依据", "basis"),
            (&proposal.document_no, "决定文书号", "document number"),
        ] {
            if value.trim().is_empty() {
                return Err(refuse(
                    "incomplete_proposal",
                    format!("拟列入须载明{zh}"),
                    format!("a proposal must state its {en}"),
                ));
            }
        }
        let due = calendar
            .add_working_days(on, list.prior_notice_working_days)
            .value;
        let step = ListingStep::Proposed {
            list: list.id.clone(),
            proposal: proposal.clone(),
            notified_on: on,
        };
        let listing = Listing {
            record,
            list: list.id.clone(),
            proposal,
            status: ListingStatus::Proposed,
            notified_on: on,
            objection_due: due,
            objection: None,
            decided_on: None,
            decision_note: None,
            in_force_from: None,
            until: None,
            removed_on: None,
            removal_reason: None,
            removal_note: None,
        };
        Ok((listing, step))
    }

    /// The subject objects to the proposal: only while notice is pending, by the due day,
    /// once.
    pub fn object(
        &self,
        on: NaiveDate,
        grounds: &str,
    ) -> Result<(Listing, ListingStep), ListingError> {
        self.expect(ListingStatus::Proposed)?;
        if grounds.trim().is_empty() {
            return Err(refuse(
                "grounds_required",
                "异议须说明理由",
                "an objection must give its grounds",
            ));
        }
        if on > self.objection_due {
            return Err(refuse(
                "objection_window_closed",
                format!("异议期已于 {} 届满", self.objection_due),
                format!("the objection window closed on {}", self.objection_due),
            ));
        }
        if self.objection.is_some() {
            return Err(refuse(
                "already_objected",
                "已提出异议，正在核实",
                "an objection is already being verified",
            ));
        }
        let mut next = self.clone();
        next.objection = Some(NoticeObjection {
            filed_on: on,
            grounds: grounds.trim().to_owned(),
            answer: None,
        });
        Ok((
            next,
            ListingStep::Objected {
                on,
                grounds: grounds.trim().to_owned(),
            },
        ))
    }

    /// The unit decides: not before the objection window has closed (the subject keeps its
    /// full window), answering an objection if there was one, and never for longer than the
    /// list allows.
    pub fn decide(
        &self,
        list: &ListType,
        on: NaiveDate,
        decision: Decision,
    ) -> Result<(Listing, ListingStep), ListingError> {
        self.expect(ListingStatus::Proposed)?;
        if on <= self.objection_due {
            return Err(refuse(
                "objection_window_open",
                format!("异议期至 {} 届满，届满后方可决定", self.objection_due),
                format!(
                    "the objection window runs to {}; decide after it",
                    self.objection_due
                ),
            ));
        }
        let answer = match &decision {
            Decision::List { answer, .. } | Decision::Drop { answer, .. } => answer,
        };
        let answer = answer.as_deref().map(str::trim).filter(|a| !a.is_empty());
        if self.objection.is_some() && answer.is_none() {
            return Err(refuse(
                "objection_unanswered",
                "当事人提出了异议，决定须书面答复核实结果",
                "the subject objected; the decision must answer the objection in writing",
            ));
        }
        let mut next = self.clone();
        next.decided_on = Some(on);
        if let Some(objection) = &mut next.objection {
            objection.answer = answer.map(str::to_owned);
        }
        match &decision {
            Decision::List {
                from, until, note, ..
            } => {
                if from < &on {
                    return Err(refuse(
                        "backdated",
                        "列入日期不得早于决定日期",
                        "an entry cannot be in force before it is decided",
                    ));
                }
                let longest = list.max_duration.last_day_from(*from);
                let until = until.unwrap_or(longest);
                if until < *from || until > longest {
                    return Err(refuse(
                        "too_long",
                        format!("{}的有效期最长至 {longest}", list.name_zh),
                        format!("{} entries may last until {longest} at most", list.name_en),
                    ));
                }
                next.status = ListingStatus::Listed;
                next.in_force_from = Some(*from);
                next.until = Some(until);
                next.decision_note = note.clone();
            }
            Decision::Drop { note, .. } => {
                next.status = ListingStatus::Dropped;
                next.decision_note = Some(note.clone());
            }
        }
        Ok((next, ListingStep::Decided { on, decision }))
    }

    /// The entry leaves the list before its end.
    pub fn remove(
        &self,
        list: &ListType,
        on: NaiveDate,
        reason: RemovalReason,
        note: &str,
    ) -> Result<(Listing, ListingStep), ListingError> {
        self.expect(ListingStatus::Listed)?;
        if reason == RemovalReason::Repair && !list.repairable {
            return Err(refuse(
                "not_repairable",
                format!("{}不适用信用修复", list.name_zh),
                format!("{} entries cannot be repaired", list.name_en),
            ));
        }
        if self.until.is_some_and(|until| on > until) {
            return Err(refuse(
                "already_expired",
                "该名单记录已届满移出",
                "the entry has already expired",
            ));
        }
        if note.trim().is_empty() {
            return Err(refuse(
                "reason_required",
                "移出须说明理由",
                "a removal must give its reasons",
            ));
        }
        let mut next = self.clone();
        next.status = ListingStatus::Removed;
        next.removed_on = Some(on.max(self.in_force_from.unwrap_or(on)));
        next.removal_reason = Some(reason);
        next.removal_note = Some(note.trim().to_owned());
        Ok((
            next,
            ListingStep::Removed {
                on,
                reason,
                note: note.trim().to_owned(),
            },
        ))
    }

    /// Replays steps from the log; `None` if they do not form a valid case (a log that the
    /// rules would not have produced).
    pub fn replay(
        discipline: &Discipline,
        calendar: &WorkCalendar,
        record: RecordId,
        steps: &[ListingStep],
    ) -> Option<Listing> {
        let (first, rest) = steps.split_first()?;
        let ListingStep::Proposed {
            list,
            proposal,
            notified_on,
        } = first
        else {
            return None;
        };
        let list = discipline.list(list)?;
        let (mut listing, _) =
            Listing::propose(list, calendar, record, proposal.clone(), *notified_on).ok()?;
        for step in rest {
            let next = match step {
                ListingStep::Proposed { .. } => return None,
                ListingStep::Objected { on, grounds } => listing.object(*on, grounds),
                ListingStep::Decided { on, decision } => {
                    listing.decide(list, *on, decision.clone())
                }
                ListingStep::Removed { on, reason, note } => {
                    listing.remove(list, *on, *reason, note)
                }
            };
            listing = next.ok()?.0;
        }
        Some(listing)
    }

    fn expect(&self, status: ListingStatus) -> Result<(), ListingError> {
        if self.status == status {
            return Ok(());
        }
        Err(refuse(
            "wrong_state",
            format!("该案件当前状态为 {:?}，不能进行此操作", self.status),
            format!("the case is {:?}; this step does not apply", self.status),
        ))
    }
}
