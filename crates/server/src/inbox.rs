//! The inbox (消息): the steps of the due-process cases — listings, objections, repairs — as
//! notices to the parties, each with what it means and the next deadline.
//!
//! Nothing is stored for it: a notice is a case event of the chain, read for whoever is a
//! party to the case. The subject has every step of its cases; a unit has the steps of the
//! open cases it must act on (the record's source unit for an objection, the deciding unit
//! for a repair, the listing unit for a listing); the credit office has every open case.
//! Open cases past their deadline are flagged overdue to the unit and the credit office.
//! The same notices go out as webhook events to the responsible unit's subscriptions
//! (`dispatch`), so that the inbox and the push never disagree.

use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::event::{Event, EventKind, case_state};
use gongxin_core::listing::Listing;
use gongxin_core::objection::{Objection, Outcome};
use gongxin_core::repair::{Repair, RepairOutcome};
use gongxin_store::{CaseKind, Store, StoredCase};
use serde::Serialize;

use crate::error::ApiError;
use crate::view::rfc3339;

/// One step of a case, as a party is told of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The event's position in the log.
    pub seq: u64,
    pub at: String,
    pub event: String,
    pub case: String,
    pub case_kind: CaseKind,
    pub subject: String,
    pub record: String,
    /// The unit that must act on the case.
    pub unit: Option<String>,
    pub title_zh: String,
    pub title_en: String,
    /// The case's deadline after this step, while it is open.
    pub due: Option<NaiveDate>,
    /// The case is open and past its deadline (as of today).
    pub overdue: bool,
}

/// The unit that must act on a case: the record's source unit for an objection, the
/// deciding unit for a repair, the listing unit for a listing.
pub fn responsible_unit(store: &dyn Store, case: &StoredCase) -> Result<Option<String>, ApiError> {
    Ok(match case.kind {
        CaseKind::Objection => store
            .record(&case.record)?
            .map(|stored| stored.record.key.source_unit),
        CaseKind::Repair => case_state::<Repair>(&case.payload).map(|repair| repair.unit),
        CaseKind::Listing => {
            case_state::<Listing>(&case.payload).map(|listing| listing.proposal.unit)
        }
    })
}

/// What a step means, in Chinese and English, from the state after it.
fn titles(event: &Event) -> Option<(String, String)> {
    let payload = &event.payload;
    Some(match event.kind {
        EventKind::ListingProposed => {
            let listing = case_state::<Listing>(payload)?;
            (
                format!(
                    "拟列入名单告知：可于 {} 前提出陈述申辩",
                    listing.objection_due
                ),
                format!(
                    "Notice of a proposed listing: object by {}",
                    listing.objection_due
                ),
            )
        }
        EventKind::ListingObjected => (
            "当事人已对拟列入提出异议，认定单位须书面答复".into(),
            "The subject objected to the proposed listing; the unit must answer in writing".into(),
        ),
        EventKind::ListingDecided => {
            let listing = case_state::<Listing>(payload)?;
            match (listing.in_force_from, listing.until) {
                (Some(from), Some(until)) => (
                    format!("列入决定已作出：自 {from} 至 {until}"),
                    format!("Listed from {from} to {until}"),
                ),
                _ => ("决定不予列入".into(), "Decided not to list".into()),
            }
        }
        EventKind::ListingRemoved => {
            let listing = case_state::<Listing>(payload)?;
            let on = listing.removed_on?;
            (
                format!("已于 {on} 移出名单"),
                format!("Removed from the list on {on}"),
            )
        }
        EventKind::ObjectionFiled => {
            let objection = case_state::<Objection>(payload)?;
            (
                format!(
                    "异议已登记：记录标注为“异议处理中”，联合惩戒暂停；{} 前转交，{} 前办结",
                    objection.forward_by, objection.decide_by
                ),
                format!(
                    "Objection filed: the record is marked as under objection and discipline on \
                     it suspended; forwarded by {}, decided by {}",
                    objection.forward_by, objection.decide_by
                ),
            )
        }
        EventKind::ObjectionForwarded => {
            let objection = case_state::<Objection>(payload)?;
            (
                format!("异议已转交信息提供单位，{} 前办结", objection.decide_by),
                format!(
                    "Objection forwarded to the source unit, to be decided by {}",
                    objection.decide_by
                ),
            )
        }
        EventKind::ObjectionExtended => {
            let objection = case_state::<Objection>(payload)?;
            let reason = objection
                .extensions
                .last()
                .map(|e| e.reason.clone())
                .unwrap_or_default();
            (
                format!("异议处理期限延长至 {}：{reason}", objection.decide_by),
                format!(
                    "Objection deadline extended to {}: {reason}",
                    objection.decide_by
                ),
            )
        }
        EventKind::ObjectionDecided => {
            let objection = case_state::<Objection>(payload)?;
            let reason = objection.reason.unwrap_or_default();
            let (zh, en) = match objection.outcome? {
                Outcome::Keep => ("维持", "kept"),
                Outcome::Correct => ("更正", "to be corrected"),
                Outcome::Revoke => ("撤销", "revoked"),
            };
            (
                format!("异议处理结果：{zh}。理由：{reason}"),
                format!("Objection decided: the record is {en}. Reasons: {reason}"),
            )
        }
        EventKind::RepairFiled => {
            let repair = case_state::<Repair>(payload)?;
            (
                format!("信用修复申请已受理，{} 前作出决定", repair.review_by),
                format!(
                    "Credit-repair application received, to be decided by {}",
                    repair.review_by
                ),
            )
        }
        EventKind::RepairDecided => {
            let repair = case_state::<Repair>(payload)?;
            let reason = repair.reason.clone().unwrap_or_default();
            match repair.outcome? {
                RepairOutcome::Approved => {
                    let end = repair
                        .publication_ends
                        .map(|d| d.to_string())
                        .unwrap_or_default();
                    (
                        format!("信用修复已批准，公示至 {end} 止，相关惩戒措施终止。{reason}"),
                        format!(
                            "Credit repair approved: shown until {end}; the discipline it \
                             triggered ends. {reason}"
                        ),
                    )
                }
                RepairOutcome::Refused => {
                    let routes: Vec<String> = repair
                        .appeals
                        .iter()
                        .map(|a| format!("{}（{} 前）", a.route_zh, a.by))
                        .collect();
                    let routes_en: Vec<String> = repair
                        .appeals
                        .iter()
                        .map(|a| format!("{} (by {})", a.route_en, a.by))
                        .collect();
                    (
                        format!(
                            "信用修复未获批准。理由：{reason}。不服的，可{}",
                            routes.join("，或")
                        ),
                        format!(
                            "Credit repair refused. Reasons: {reason}. To challenge it: {}",
                            routes_en.join("; or ")
                        ),
                    )
                }
            }
        }
        EventKind::RecordSubmitted | EventKind::RecordCorrected | EventKind::RecordRevoked => {
            return None;
        }
    })
}

/// The notice of `event`, a step of `case`.
pub fn notice(
    event: &Event,
    case: &StoredCase,
    unit: Option<String>,
    today: NaiveDate,
) -> Option<Notice> {
    let (title_zh, title_en) = titles(event)?;
    let latest = event.seq == case.head_seq;
    let due = if latest { case.due } else { None };
    Some(Notice {
        seq: event.seq,
        at: rfc3339(event.recorded_at_us),
        event: event.kind.to_string(),
        case: case.id.clone(),
        case_kind: case.kind,
        subject: case.subject.clone(),
        record: case.record.to_string(),
        unit,
        title_zh,
        title_en,
        due,
        overdue: latest && case.open && due.is_some_and(|due| today > due),
    })
}

/// The notices for `principal`, newest first, at most `limit`.
pub fn inbox(
    store: &dyn Store,
    principal: &Principal,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<Notice>, ApiError> {
    let cases = match principal {
        Principal::Subject { code } => store.cases_of(code, None)?,
        Principal::Department { .. } | Principal::Admin => {
            let mut open = Vec::new();
            for kind in [CaseKind::Objection, CaseKind::Repair, CaseKind::Listing] {
                open.extend(store.open_cases(kind)?);
            }
            open
        }
        Principal::Public | Principal::Auditor => Vec::new(),
    };
    let mut notices = Vec::new();
    for case in &cases {
        let unit = responsible_unit(store, case)?;
        if let Principal::Department { unit: own, .. } = principal
            && unit.as_deref() != Some(own.as_str())
        {
            continue;
        }
        for event in store.case_history(&case.id)? {
            notices.extend(notice(&event, case, unit.clone(), today));
        }
    }
    notices.sort_by_key(|notice| std::cmp::Reverse(notice.seq));
    notices.truncate(limit);
    Ok(notices)
}
