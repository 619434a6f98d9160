//! `/checks/{receipt}/feedback`: what an implementing unit did with the measures a check
//! returned (实施反馈); `/stats/discipline`: entries in force, checks and measures returned
//! against what was reported.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::discipline::EntryTerm;
use gongxin_store::{Feedback, FeedbackOutcome, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{date_param, now_us};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, JsonBody, QueryParams};
use crate::state::{AppState, Platform};
use crate::view::rfc3339;

/// `POST /api/v1/checks/{receipt}/feedback`.
#[derive(Debug, Deserialize)]
pub struct FeedbackRequest {
    /// A measure (or reward) id the check returned.
    pub measure: String,
    pub outcome: FeedbackOutcome,
    /// Why: required for `not_applicable`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A report as answered.
#[derive(Debug, Serialize)]
pub struct FeedbackView {
    pub seq: u64,
    pub receipt: String,
    pub measure: String,
    pub outcome: FeedbackOutcome,
    pub reason: Option<String>,
    pub unit: String,
    pub subject: Option<String>,
    pub reported_at: String,
}

impl From<Feedback> for FeedbackView {
    fn from(f: Feedback) -> Self {
        Self {
            seq: f.seq,
            receipt: f.receipt,
            measure: f.measure,
            outcome: f.outcome,
            reason: f.reason,
            unit: f.unit,
            subject: f.subject,
            reported_at: rfc3339(f.at_us),
        }
    }
}

fn refuse(zh: String, en: String) -> ApiError {
    ApiError::with_message(ErrorCode::StepRefused, zh, en)
}

/// The measure `id` as the logged answer returned it (among its measures or rewards).
fn returned<'a>(answer: &'a Value, id: &str) -> Option<&'a Value> {
    ["measures", "rewards"]
        .iter()
        .filter_map(|list| answer.get(list).and_then(Value::as_array))
        .flatten()
        .find(|m| m.get("id").and_then(Value::as_str) == Some(id))
}

pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path(receipt): Path<String>,
    JsonBody(request): JsonBody<FeedbackRequest>,
) -> Result<Json<FeedbackView>, ApiError> {
    caller.require_key("实施反馈", "feedback")?;
    let Some(unit) = caller.unit().map(str::to_owned) else {
        return Err(ApiError::with_message(
            ErrorCode::Forbidden,
            "只有进行核查的部门可以反馈实施情况",
            "only the department that ran the check may report on it",
        ));
    };
    let measure = request.measure.trim().to_owned();
    let reason = request
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if request.outcome == FeedbackOutcome::NotApplicable && reason.is_none() {
        return Err(ApiError::with_message(
            ErrorCode::BadRequest,
            "反馈“不适用”须说明理由（reason）",
            "a `not_applicable` report must give its reason",
        ));
    }
    let key_id = caller.key_id.clone();
    let feedback = state
        .write(move |_, store| {
            let entry = store
                .check_entry(&receipt)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
            if entry.unit.as_deref() != Some(unit.as_str()) {
                return Err(ApiError::with_message(
                    ErrorCode::Forbidden,
                    "只有进行核查的部门可以反馈实施情况",
                    "only the department that ran the check may report on it",
                ));
            }
            let answer: Value = serde_json::from_str(&entry.answer).map_err(ApiError::internal)?;
            // Proportionality (过惩相当): a unit reports on what the platform named, nothing
            // more.
            let Some(named) = returned(&answer, &measure) else {
                return Err(refuse(
                    format!("核查 {receipt} 未返回措施 {measure}，不能就其反馈"),
                    format!(
                        "check {receipt} did not return measure `{measure}`; there is nothing to report on it"
                    ),
                ));
            };
            let suspended = named.get("suspended").and_then(Value::as_bool) == Some(true);
            if suspended && request.outcome == FeedbackOutcome::Applied {
                return Err(refuse(
                    format!("核查 {receipt} 返回的措施 {measure} 因异议核实暂停执行，不能反馈为已实施"),
                    format!(
                        "measure `{measure}` of check {receipt} was suspended while an objection is verified; it cannot have been applied"
                    ),
                ));
            }
            let mut feedback = Feedback {
                seq: 0,
                receipt: entry.receipt,
                measure,
                outcome: request.outcome,
                reason,
                unit,
                subject: entry.subject,
                key_id,
                at_us: now_us(),
            };
            feedback.seq = store.append_feedback(&feedback)?;
            Ok(feedback)
        })
        .await?;
    Ok(Json(feedback.into()))
}

/// `GET /api/v1/stats/discipline?from=&to=`.
#[derive(Debug, Default, Deserialize)]
pub struct StatsParams {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Entries in force on one list in one province.
#[derive(Debug, Serialize)]
pub struct EntriesInForce {
    pub list: String,
    pub list_name_zh: String,
    /// Province-level division code from the USCC (`350000`); `None` for subjects known
    /// only by an old code.
    pub province: Option<String>,
    pub province_name: Option<String>,
    pub entries: u64,
}

#[derive(Debug, Serialize)]
pub struct ChecksRun {
    pub scenario: String,
    pub scenario_name_zh: Option<String>,
    /// `None`: the credit office.
    pub unit: Option<String>,
    pub checks: u64,
}

#[derive(Debug, Serialize)]
pub struct MeasureOutcomes {
    pub measure: String,
    pub content_zh: Option<String>,
    pub unit: Option<String>,
    pub returned: u64,
    pub suspended: u64,
    pub applied: u64,
    pub not_applicable: u64,
    /// Returned but not reported on.
    pub unreported: u64,
}

#[derive(Debug, Serialize)]
pub struct DisciplineStats {
    /// The day entries are counted in force on.
    pub on: NaiveDate,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub entries_in_force: Vec<EntriesInForce>,
    pub checks: Vec<ChecksRun>,
    pub measures: Vec<MeasureOutcomes>,
}

/// Midnight at the start of `day` in China Standard Time, in microseconds since the epoch.
fn day_start_us(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_micros() - 8 * 3_600_000_000)
}

/// The province-level code of a USCC's division (`350000`), if the code is one.
fn province_of(code: &str) -> Option<String> {
    (code.len() == 18)
        .then(|| code.get(2..4))
        .flatten()
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        .map(|digits| format!("{digits}0000"))
}

/// Entries in force on `on`, by list and province.
fn entries_in_force(
    platform: &Platform,
    store: &dyn Store,
    on: NaiveDate,
) -> Result<Vec<EntriesInForce>, ApiError> {
    let discipline = &platform.discipline;
    let items: Vec<&str> = discipline.lists.iter().map(|l| l.item.as_str()).collect();
    let mut counts: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for code in store.subjects_holding(&items)? {
        let province = province_of(&code);
        for stored in store.records_of(&code)? {
            if stored.status != gongxin_core::record::RecordStatus::Normal {
                continue;
            }
            let Some(list) = discipline.list_of_item(&stored.record.key.item) else {
                continue;
            };
            let Some(item) = platform.catalog.item(&list.item) else {
                continue;
            };
            if EntryTerm::of(list, item, &stored.record).in_force_on(on) {
                *counts
                    .entry((list.id.clone(), province.clone()))
                    .or_default() += 1;
            }
        }
    }
    Ok(counts
        .into_iter()
        .map(|((list, province), entries)| EntriesInForce {
            list_name_zh: discipline
                .list(&list)
                .map(|l| l.name_zh.clone())
                .unwrap_or_default(),
            list,
            province_name: province
                .as_deref()
                .and_then(gongxin_codes::regions::region)
                .map(|r| r.name.to_owned()),
            province,
            entries,
        })
        .collect())
}

pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<StatsParams>,
) -> Result<Json<DisciplineStats>, ApiError> {
    caller.require_key("联合奖惩统计", "discipline statistics")?;
    if !matches!(caller.principal, Principal::Admin | Principal::Auditor) {
        return Err(ApiError::with_message(
            ErrorCode::Forbidden,
            "只有信用办和审计人员可以查看联合奖惩统计",
            "only the credit office and auditors may read discipline statistics",
        ));
    }
    let from = date_param("from", params.from.as_deref())?;
    let to = date_param("to", params.to.as_deref())?;
    let from_us = from.map(day_start_us);
    let to_us = to.and_then(|d| d.succ_opt()).map(day_start_us);
    let stats = state
        .read(move |state, store| {
            let platform = &state.platform;
            let on = platform.clock.today();
            let checks = store
                .check_tallies(from_us, to_us)?
                .into_iter()
                .map(|t| ChecksRun {
                    scenario_name_zh: platform
                        .discipline
                        .scenario(&t.scenario)
                        .map(|s| s.name_zh.clone()),
                    scenario: t.scenario,
                    unit: t.unit,
                    checks: t.checks,
                })
                .collect();
            let measures = store
                .measure_tallies(from_us, to_us)?
                .into_iter()
                .map(|t| MeasureOutcomes {
                    content_zh: platform
                        .discipline
                        .measure(&t.measure)
                        .map(|m| m.content_zh.clone()),
                    unreported: t.returned.saturating_sub(t.applied + t.not_applicable),
                    measure: t.measure,
                    unit: t.unit,
                    returned: t.returned,
                    suspended: t.suspended,
                    applied: t.applied,
                    not_applicable: t.not_applicable,
                })
                .collect();
            Ok(DisciplineStats {
                on,
                from,
                to,
                entries_in_force: entries_in_force(platform, store, on)?,
                checks,
                measures,
            })
        })
        .await?;
    Ok(Json(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_come_from_the_uscc_and_days_start_at_midnight_in_beijing() {
        assert_eq!(province_of("91350100M000100Y43").as_deref(), Some("350000"));
        assert_eq!(province_of("350100400012345"), None);
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        // 2024-03-01T00:00+08:00 is 2024-02-29T16:00Z.
        assert_eq!(day_start_us(day), 1_709_251_200_000_000 - 8 * 3_600_000_000);
    }
}
