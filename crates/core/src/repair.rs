//! Credit repair (信用修复): a subject that has corrected its conduct applies to end the
//! publication of a penalty, or its entry on a list, before the term runs out
//! (国办发〔2020〕49号 第（十一）项、第（十二）项).
//!
//! Three things decide it, all data: the targets of `catalog/repair.toml` (which records can be
//! repaired and what an application must carry), the publication rules (a penalty's minimum
//! period, and the penalties that are never repairable) and the list types (whether a list
//! allows repair). [`eligibility`] tells the subject up front whether and from which day it
//! may apply; [`Repair`] is the case that follows, with the responsible unit's review
//! deadline in working days. Approval ends publication (a penalty on the later of the
//! decision day and the end of its minimum period; a list entry by its removal) and marks the
//! record 已修复; a refusal gives its reasons and the routes of appeal with their deadlines.
//! Repair is free: nothing here, or in any configuration, can charge for it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Period, WorkCalendar, add_period};
use crate::catalog::{Catalog, CatalogError, Item, LegalBasis};
use crate::discipline::{Discipline, Duration, EntryTerm};
use crate::listing::ListingError;
use crate::publication::PublicationDecision;
use crate::record::{Record, RecordId, RecordStatus};

const EMBEDDED_REPAIR: &str = include_str!("../../../catalog/repair.toml");

/// What an application must show for one condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// At least one attachment (receipts, certificates, reports).
    Evidence,
    /// The subject's signature on the commitment text.
    Commitment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub id: String,
    pub kind: ConditionKind,
    pub name_zh: String,
    pub name_en: String,
    /// The commitment's wording, for [`ConditionKind::Commitment`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_zh: Option<String>,
}

/// A kind of record that can be repaired.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    pub item: String,
    /// Set when the records are entries of this list.
    #[serde(default)]
    pub list: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// How long an entry must have been in force before the subject may apply.
    #[serde(default)]
    pub earliest_after: Option<Duration>,
    /// Fields whose values say whether two records are the same kind of conduct.
    #[serde(default)]
    pub same_kind_fields: Vec<String>,
    pub conditions: Vec<Condition>,
    pub basis: Vec<LegalBasis>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepairFile {
    version: String,
    targets: Vec<Target>,
}

/// The repair targets, checked against the catalog and the list types.
#[derive(Debug, Clone, Serialize)]
pub struct RepairRules {
    pub version: String,
    pub targets: Vec<Target>,
}

impl RepairRules {
    pub fn embedded(catalog: &Catalog, discipline: &Discipline) -> Result<Self, CatalogError> {
        Self::from_source(EMBEDDED_REPAIR, catalog, discipline)
    }

    pub fn from_source(
        text: &str,
        catalog: &Catalog,
        discipline: &Discipline,
    ) -> Result<Self, CatalogError> {
        let file: RepairFile = toml::from_str(text).map_err(|source| CatalogError::Syntax {
            file: "repair.toml".into(),
            source,
        })?;
        let rules = RepairRules {
            version: file.version,
            targets: file.targets,
        };
        rules
            .check(catalog, discipline)
            .map_err(|message| CatalogError::Invalid {
                file: "repair.toml".into(),
                message,
            })?;
        Ok(rules)
    }

    fn check(&self, catalog: &Catalog, discipline: &Discipline) -> Result<(), String> {
        for (n, target) in self.targets.iter().enumerate() {
            let id = &target.id;
            if self.targets[..n]
                .iter()
                .any(|t| t.id == *id || t.item == target.item)
            {
                return Err(format!("target `{id}` repeats an id or an item"));
            }
            let item = catalog
                .item(&target.item)
                .ok_or_else(|| format!("target `{id}` names an unknown item `{}`", target.item))?;
            if let Some(list_id) = &target.list {
                let list = discipline
                    .list(list_id)
                    .ok_or_else(|| format!("target `{id}` names an unknown list `{list_id}`"))?;
                if list.item != target.item {
                    return Err(format!(
                        "target `{id}`: the entries of list `{list_id}` are not `{}` records",
                        target.item
                    ));
                }
                if !list.repairable {
                    return Err(format!(
                        "target `{id}`: list `{list_id}` does not allow credit repair"
                    ));
                }
                if item.roles.ended_on.is_none() {
                    return Err(format!(
                        "target `{id}`: item `{}` has no removal date to end an entry with",
                        target.item
                    ));
                }
            }
            if let Some(field) = target
                .same_kind_fields
                .iter()
                .find(|f| item.field_index(f).is_none())
            {
                return Err(format!("target `{id}`: item has no field `{field}`"));
            }
            if target.conditions.is_empty() {
                return Err(format!("target `{id}` sets no conditions"));
            }
            for condition in &target.conditions {
                let has_text = condition.text_zh.as_deref().is_some_and(|t| !t.is_empty());
                if (condition.kind == ConditionKind::Commitment) != has_text {
                    return Err(format!(
                        "target `{id}`, condition `{}`: a commitment, and only a commitment, \
                         carries its text",
                        condition.id
                    ));
                }
            }
            if target.basis.is_empty() || target.basis.iter().any(|b| b.article.is_none()) {
                return Err(format!(
                    "target `{id}`: every basis must name its article, and there must be one"
                ));
            }
        }
        Ok(())
    }

    pub fn target_of_item(&self, item: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.item == item)
    }
}

/// Why a record cannot be repaired (yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

/// Whether and from when a record can be repaired, and what an application must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    pub record: RecordId,
    /// The repair target, when the record is of a repairable kind.
    pub target: Option<String>,
    /// The first day an application is accepted; `None` when it never will be.
    pub from: Option<NaiveDate>,
    /// Whether an application is accepted on the day asked about.
    pub open: bool,
    /// What stands in the way, on that day; empty when `open`.
    pub bars: Vec<Bar>,
    pub conditions: Vec<Condition>,
    /// The last day shown if the repair were approved on the day asked about.
    pub publication_would_end: Option<NaiveDate>,
    /// Always true: repair never costs the subject anything.
    pub free: bool,
}

/// What [`eligibility`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct RepairFacts<'a> {
    pub record: &'a Record,
    pub id: RecordId,
    pub status: RecordStatus,
    pub repaired_on: Option<NaiveDate>,
    /// For a penalty: its publication decision.
    pub publication: Option<&'a PublicationDecision>,
    /// For a list entry: its term.
    pub term: Option<EntryTerm>,
    /// The subject's other records of the same item, with their status.
    pub others: &'a [(&'a Record, RecordStatus)],
    /// An application about this record is being reviewed.
    pub pending: bool,
}

/// The last day a penalty is shown when its repair is approved on `approved_on`: the day
/// before, so that it leaves publication on approval, but never before its minimum period
/// has run. `None` when repair does not shorten its publication.
pub fn last_day_shown_after_repair(
    decision: &PublicationDecision,
    approved_on: NaiveDate,
) -> Option<NaiveDate> {
    decision.end_after_repair(approved_on.pred_opt()?)
}

fn bar(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Bar {
    Bar {
        code,
        zh: zh.into(),
        en: en.into(),
    }
}

/// Whether the record in `facts` can be repaired on `today`, and from when.
pub fn eligibility(rules: &RepairRules, facts: RepairFacts<'_>, today: NaiveDate) -> Eligibility {
    let record = facts.record;
    let mut answer = Eligibility {
        record: facts.id,
        target: None,
        from: None,
        open: false,
        bars: Vec::new(),
        conditions: Vec::new(),
        publication_would_end: None,
        free: true,
    };
    let Some(target) = rules.target_of_item(&record.key.item) else {
        answer.bars.push(bar(
            "not_repairable_item",
            "该类信息不适用信用修复",
            "records of this kind cannot be repaired",
        ));
        return answer;
    };
    answer.target = Some(target.id.clone());
    answer.conditions = target.conditions.clone();
    if facts.status == RecordStatus::Revoked {
        answer.bars.push(bar(
            "revoked",
            "该记录已撤销，无需修复",
            "the record has been revoked; there is nothing to repair",
        ));
        return answer;
    }
    if let Some(on) = facts.repaired_on {
        answer.bars.push(bar(
            "already_repaired",
            format!("该记录已于 {on} 完成信用修复"),
            format!("the record was repaired on {on}"),
        ));
        return answer;
    }
    // The first day the record's own rules allow, and the last day it matters.
    let (from, last) = match (facts.publication, facts.term) {
        (Some(decision), _) => {
            if !decision.publish {
                answer.bars.push(bar(
                    "not_published",
                    "该处罚信息不予公示，无需修复",
                    "the penalty is not published; there is nothing to repair",
                ));
                return answer;
            }
            let Some(min_until) = decision.min_until.filter(|_| decision.repairable) else {
                answer.bars.push(bar(
                    "not_repairable_penalty",
                    format!("按公示规则该处罚信息不可修复：{}", decision.reason_zh),
                    format!(
                        "by the publication rules this penalty cannot be repaired: {}",
                        decision.reason_en
                    ),
                ));
                return answer;
            };
            (min_until.succ_opt().unwrap_or(min_until), decision.until)
        }
        (None, Some(term)) => {
            if term.removed_on.is_some() {
                answer.bars.push(bar(
                    "entry_ended",
                    "该名单记录已移出",
                    "the entry has left the list already",
                ));
                return answer;
            }
            let from = match target.earliest_after {
                Some(after) => after
                    .last_day_from(term.from)
                    .succ_opt()
                    .unwrap_or(term.from),
                None => term.from,
            };
            (from, term.until)
        }
        (None, None) => {
            answer.bars.push(bar(
                "not_repairable_item",
                "该类信息不适用信用修复",
                "records of this kind cannot be repaired",
            ));
            return answer;
        }
    };
    if today > last {
        answer.bars.push(bar(
            "term_over",
            format!("该记录已于 {last} 期满，自动停止公示，无需修复"),
            format!("the record's term ended on {last}; it left publication without repair"),
        ));
        return answer;
    }
    if let Some(repeat) = repeat_offence(target, facts) {
        answer.bars.push(bar(
            "repeat_offence",
            format!(
                "此后再次发生同类失信行为（{}，{}），不予修复",
                repeat.key.document_no, repeat.decision_date
            ),
            format!(
                "a later record of the same kind ({}, {}) bars repair",
                repeat.key.document_no, repeat.decision_date
            ),
        ));
        return answer;
    }
    answer.from = Some(from);
    if today < from {
        answer.bars.push(bar(
            "too_early",
            format!("自 {from} 起可申请信用修复"),
            format!("an application is accepted from {from}"),
        ));
    }
    if facts.pending {
        answer.bars.push(bar(
            "pending",
            "已有修复申请正在审核",
            "an application is already under review",
        ));
    }
    answer.open = answer.bars.is_empty();
    if answer.open {
        answer.publication_would_end = match facts.publication {
            Some(decision) => last_day_shown_after_repair(decision, today),
            None => Some(today),
        };
    }
    answer
}

/// A record of the same item and kind of conduct, in force, decided after this one.
fn repeat_offence<'a>(target: &Target, facts: RepairFacts<'a>) -> Option<&'a Record> {
    let this = facts.record;
    facts
        .others
        .iter()
        .filter(|(other, status)| {
            *status == RecordStatus::Normal
                && other.key != this.key
                && other.key.item == this.key.item
                && other.decision_date > this.decision_date
        })
        .map(|(other, _)| *other)
        .find(|other| {
            target
                .same_kind_fields
                .iter()
                .find_map(|f| Some((this.field(f)?, other.field(f)?)))
                .is_none_or(|(a, b)| a == b)
        })
}

/// A list entry as it stands once its repair is approved on `on`: removed that day, with
/// the repair as the reason. Fields keep the catalog's order, as parsing leaves them.
pub fn entry_removed_by_repair(item: &Item, entry: &Record, on: NaiveDate, case: &str) -> Record {
    let mut removed = entry.clone();
    let roles = &item.roles;
    for (code, value) in [
        (roles.ended_on.as_deref(), on.to_string()),
        (
            roles.removal_reason.as_deref(),
            format!("信用修复（{case}）"),
        ),
    ] {
        let Some(code) = code else { continue };
        removed.fields.retain(|(c, _)| c != code);
        let position = item.field_index(code).unwrap_or(usize::MAX);
        let at = removed
            .fields
            .iter()
            .position(|(c, _)| item.field_index(c).is_some_and(|p| p > position))
            .unwrap_or(removed.fields.len());
        removed.fields.insert(at, (code.to_owned(), value));
    }
    removed
}

/// What the applicant gives for one condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Given {
    pub condition: String,
    /// Attachment ids (for evidence).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Signed (for a commitment).
    #[serde(default)]
    pub signed: bool,
}

/// A jurisdiction's repair deadlines, in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairDeadlines {
    /// For the responsible unit to decide, from filing.
    pub review: u32,
    /// For the result to reach every recipient, from approval.
    pub push: u32,
}

impl Default for RepairDeadlines {
    fn default() -> Self {
        RepairDeadlines {
            review: 10,
            push: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairOutcome {
    Approved,
    Refused,
}

/// A way to challenge a refusal, and the last day for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub route_zh: String,
    pub route_en: String,
    pub by: NaiveDate,
    pub basis: LegalBasis,
}

/// The routes of appeal against a refusal on `on`: administrative reconsideration within
/// sixty days, or an administrative suit within six months, of knowing the decision.
pub fn appeals(on: NaiveDate) -> Vec<Appeal> {
    let law = |title: &str, article: &str| LegalBasis {
        title: title.to_owned(),
        document_no: None,
        article: Some(article.to_owned()),
    };
    vec![
        Appeal {
            route_zh: "行政复议：向作出决定单位的上一级主管部门或者本级人民政府申请".into(),
            route_en: "Administrative reconsideration, with the deciding unit's superior department or the government at its level".into(),
            by: add_period(on, Period::Days(60)),
            basis: law("中华人民共和国行政复议法", "第二十条"),
        },
        Appeal {
            route_zh: "行政诉讼：向人民法院提起".into(),
            route_en: "An administrative suit in a people's court".into(),
            by: add_period(on, Period::Months(6)),
            basis: law("中华人民共和国行政诉讼法", "第四十六条"),
        },
    ]
}

/// One repair application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    pub id: String,
    pub record: RecordId,
    pub subject: String,
    pub target: String,
    /// The unit that reviews it: the record's source unit.
    pub unit: String,
    pub filed_on: NaiveDate,
    pub statement: String,
    pub given: Vec<Given>,
    pub review_by: NaiveDate,
    pub outcome: Option<RepairOutcome>,
    pub decided_on: Option<NaiveDate>,
    pub reason: Option<String>,
    /// On approval: the last day the record is shown.
    pub publication_ends: Option<NaiveDate>,
    /// On approval: the last day for the result to reach every recipient.
    pub push_by: Option<NaiveDate>,
    /// On refusal: how to challenge it.
    #[serde(default)]
    pub appeals: Vec<Appeal>,
}

/// One step of a repair, as written in the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RepairStep {
    Filed {
        on: NaiveDate,
    },
    Decided {
        on: NaiveDate,
        outcome: RepairOutcome,
        reason: String,
    },
}

/// An application as the subject makes it.
#[derive(Debug, Clone)]
pub struct Application<'a> {
    pub id: String,
    pub subject: String,
    pub unit: String,
    pub statement: &'a str,
    pub given: Vec<Given>,
}

fn refused(code: &'static str, zh: String, en: String) -> ListingError {
    ListingError { code, zh, en }
}

impl Repair {
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_open() && today > self.review_by
    }

    /// Files an application on `on`, if the record is open to repair and every condition of
    /// its target is met as the target asks.
    pub fn file(
        rules: &RepairRules,
        eligibility: &Eligibility,
        calendar: &WorkCalendar,
        deadlines: &RepairDeadlines,
        application: Application<'_>,
        on: NaiveDate,
    ) -> Result<(Repair, RepairStep), ListingError> {
        if !eligibility.open {
            let zh: Vec<&str> = eligibility.bars.iter().map(|b| b.zh.as_str()).collect();
            let en: Vec<&str> = eligibility.bars.iter().map(|b| b.en.as_str()).collect();
            return Err(refused(
                eligibility
                    .bars
                    .first()
                    .map_or("not_repairable", |b| b.code),
                format!("不能申请信用修复：{}", zh.join("；")),
                format!("credit repair cannot be applied for: {}", en.join("; ")),
            ));
        }
        let target = eligibility
            .target
            .as_deref()
            .and_then(|id| rules.targets.iter().find(|t| t.id == id))
            .ok_or_else(|| {
                refused(
                    "not_repairable",
                    "该类信息不适用信用修复".into(),
                    "records of this kind cannot be repaired".into(),
                )
            })?;
        if let Some(unknown) = application
            .given
            .iter()
            .find(|g| !target.conditions.iter().any(|c| c.id == g.condition))
        {
            return Err(refused(
                "unknown_condition",
                format!("修复条件中没有 {}", unknown.condition),
                format!("`{}` is not a condition of this repair", unknown.condition),
            ));
        }
        for condition in &target.conditions {
            let given = application
                .given
                .iter()
                .find(|g| g.condition == condition.id);
            let met = match condition.kind {
                ConditionKind::Evidence => given.is_some_and(|g| !g.attachments.is_empty()),
                ConditionKind::Commitment => given.is_some_and(|g| g.signed),
            };
            if !met {
                let need = match condition.kind {
                    ConditionKind::Evidence => ("须附证明材料", "needs at least one attachment"),
                    ConditionKind::Commitment => ("须签署", "must be signed"),
                };
                return Err(refused(
                    "condition_unmet",
                    format!("修复条件“{}”{}", condition.name_zh, need.0),
                    format!("condition “{}” {}", condition.name_en, need.1),
                ));
            }
        }
        let statement = application.statement.trim();
        if statement.is_empty() {
            return Err(refused(
                "statement_required",
                "修复申请须说明纠正失信行为的情况".into(),
                "an application must say how the conduct was corrected".into(),
            ));
        }
        let repair = Repair {
            id: application.id,
            record: eligibility.record,
            subject: application.subject,
            target: target.id.clone(),
            unit: application.unit,
            filed_on: on,
            statement: statement.to_owned(),
            given: application.given,
            review_by: calendar.add_working_days(on, deadlines.review).value,
            outcome: None,
            decided_on: None,
            reason: None,
            publication_ends: None,
            push_by: None,
            appeals: Vec::new(),
        };
        Ok((repair, RepairStep::Filed { on }))
    }

    /// Approves on `on`: publication ends as `eligibility` (of that day, with this
    /// application not counted as pending) says, and every recipient must have it within the
    /// push deadline.
    pub fn approve(
        &self,
        calendar: &WorkCalendar,
        deadlines: &RepairDeadlines,
        eligibility: &Eligibility,
        on: NaiveDate,
        reason: &str,
    ) -> Result<(Repair, RepairStep), ListingError> {
        self.expect_open()?;
        if let Some(first) = eligibility.bars.first() {
            return Err(refused(
                first.code,
                format!("不能批准：{}", first.zh),
                format!("cannot approve: {}", first.en),
            ));
        }
        let reason = Self::reason(reason)?;
        let mut next = self.clone();
        next.outcome = Some(RepairOutcome::Approved);
        next.decided_on = Some(on);
        next.reason = Some(reason.clone());
        next.publication_ends = eligibility.publication_would_end;
        next.push_by = Some(calendar.add_working_days(on, deadlines.push).value);
        let step = RepairStep::Decided {
            on,
            outcome: RepairOutcome::Approved,
            reason,
        };
        Ok((next, step))
    }

    /// Refuses on `on`, with reasons and the routes of appeal.
    pub fn refuse(
        &self,
        on: NaiveDate,
        reason: &str,
    ) -> Result<(Repair, RepairStep), ListingError> {
        self.expect_open()?;
        let reason = Self::reason(reason)?;
        let mut next = self.clone();
        next.outcome = Some(RepairOutcome::Refused);
        next.decided_on = Some(on);
        next.reason = Some(reason.clone());
        next.appeals = appeals(on);
        let step = RepairStep::Decided {
            on,
            outcome: RepairOutcome::Refused,
            reason,
        };
        Ok((next, step))
    }

    fn reason(reason: &str) -> Result<String, ListingError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(refused(
                "reason_required",
                "修复决定须书面说明理由".into(),
                "a repair decision must give its reasons".into(),
            ));
        }
        Ok(reason.to_owned())
    }

    fn expect_open(&self) -> Result<(), ListingError> {
        if self.is_open() {
            return Ok(());
        }
        Err(refused(
            "wrong_state",
            "该修复申请已办结".into(),
            "the application has been decided".into(),
        ))
    }
}
