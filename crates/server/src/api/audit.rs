//! The audit log for auditors, the 7-working-day timeliness report, and how units handle
//! objections and repairs against their deadlines.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::event::case_state;
use gongxin_core::objection::Objection;
use gongxin_core::repair::Repair;
use gongxin_store::{AuditQuery, CaseKind, Store, StoredCase};
use serde::{Deserialize, Serialize};

use super::date_param;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::inbox::responsible_unit;
use crate::state::AppState;

const MAX_AUDIT_PAGE: usize = 10_000;

fn require(caller: &Caller, allowed: fn(&Principal) -> bool) -> Result<(), ApiError> {
    if allowed(&caller.principal) {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::Forbidden))
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditParams {
    subject: Option<String>,
    key: Option<String>,
    /// Entries from this day (UTC, inclusive), `YYYY-MM-DD`.
    from: Option<String>,
    /// Entries before this day (exclusive).
    to: Option<String>,
    /// Entries after this position, to page.
    after: Option<u64>,
    limit: Option<usize>,
    /// `json` (default) or `jsonl`, for export.
    format: Option<String>,
}

/// `GET /api/v1/audit`: auditors and the credit office read and export the audit log.
pub async fn entries(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<AuditParams>,
) -> Result<Response, ApiError> {
    require(&caller, |p| {
        matches!(p, Principal::Auditor | Principal::Admin)
    })?;
    let day_us = |date: Option<NaiveDate>| {
        date.and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_micros())
    };
    let query = AuditQuery {
        subject: params.subject.map(|s| gongxin_codes::normalise(&s)),
        key_id: params.key,
        from_us: day_us(date_param("from", params.from.as_deref())?),
        to_us: day_us(date_param("to", params.to.as_deref())?),
        after_seq: params.after.unwrap_or(0),
        limit: params.limit.unwrap_or(1_000).min(MAX_AUDIT_PAGE),
    };
    let entries = state.read(move |_, store| Ok(store.audit(&query)?)).await?;
    match params.format.as_deref() {
        None | Some("json") => Ok(Json(entries).into_response()),
        Some("jsonl") => {
            let mut body = String::new();
            for entry in &entries {
                body.push_str(&serde_json::to_string(entry).map_err(ApiError::internal)?);
                body.push('\n');
            }
            Ok((
                [(CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
                body,
            )
                .into_response())
        }
        Some(other) => Err(ApiError::with_message(
            ErrorCode::BadRequest,
            format!("不支持的格式 {other}（json 或 jsonl）"),
            format!("unsupported format {other} (json or jsonl)"),
        )),
    }
}

/// Lateness of one source unit and item against the N-working-day rule.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Timeliness {
    pub source_unit: String,
    pub item: String,
    pub records: u64,
    /// Reached the platform within the working days allowed.
    pub on_time: u64,
    pub late: u64,
    /// The most working days any of its records took.
    pub worst_working_days: u32,
}

#[derive(Debug, Serialize)]
pub struct TimelinessReport {
    pub working_days_allowed: u32,
    pub units: Vec<Timeliness>,
}

/// `GET /api/v1/stats/timeliness`: per source unit, how many records arrived within the
/// working days the rules allow after their decision (国办发〔2015〕51号: 7).
pub async fn timeliness(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TimelinessReport>, ApiError> {
    require(&caller, |p| {
        matches!(p, Principal::Admin | Principal::Auditor)
    })?;
    let report = state
        .read(|state, store| {
            let platform = &state.platform;
            let allowed = platform.rules.jurisdiction().publish_within_working_days;
            let mut units: BTreeMap<(String, String), Timeliness> = BTreeMap::new();
            for arrival in store.arrivals()? {
                let took = platform
                    .calendar
                    .working_days_between(arrival.decision_date, arrival.recorded_on)
                    .value;
                let entry = units
                    .entry((arrival.source_unit.clone(), arrival.item.clone()))
                    .or_insert_with(|| Timeliness {
                        source_unit: arrival.source_unit,
                        item: arrival.item,
                        records: 0,
                        on_time: 0,
                        late: 0,
                        worst_working_days: 0,
                    });
                entry.records += arrival.count;
                if took <= allowed {
                    entry.on_time += arrival.count;
                } else {
                    entry.late += arrival.count;
                }
                entry.worst_working_days = entry.worst_working_days.max(took);
            }
            Ok(TimelinessReport {
                working_days_allowed: allowed,
                units: units.into_values().collect(),
            })
        })
        .await?;
    Ok(Json(report))
}

/// How one unit handled one kind of case: objections to its records, repairs it decides.
#[derive(Debug, Serialize, PartialEq)]
pub struct Handling {
    pub unit: String,
    pub kind: CaseKind,
    pub decided: u64,
    /// Decided on or before the deadline (the last extension's, for objections).
    pub on_time: u64,
    pub late: u64,
    /// Still open, and of them past the deadline.
    pub open: u64,
    pub overdue: u64,
    /// Working days from filing to decision: the mean (rounded to tenths) and the most.
    pub mean_working_days: f64,
    pub worst_working_days: u32,
}

#[derive(Debug, Serialize)]
pub struct HandlingReport {
    pub on: NaiveDate,
    pub units: Vec<Handling>,
}

/// One case's dates, whatever its kind.
struct Handled {
    unit: String,
    filed_on: NaiveDate,
    due: NaiveDate,
    decided_on: Option<NaiveDate>,
}

fn handled(store: &dyn Store, case: &StoredCase) -> Result<Option<Handled>, ApiError> {
    Ok(match case.kind {
        CaseKind::Objection => {
            let Some(objection) = case_state::<Objection>(&case.payload) else {
                return Ok(None);
            };
            responsible_unit(store, case)?.map(|unit| Handled {
                unit,
                filed_on: objection.filed_on,
                due: objection.decide_by,
                decided_on: objection.decided_on,
            })
        }
        CaseKind::Repair => case_state::<Repair>(&case.payload).map(|repair| Handled {
            unit: repair.unit,
            filed_on: repair.filed_on,
            due: repair.review_by,
            decided_on: repair.decided_on,
        }),
        // A listing has a window for the subject, not a deadline for the unit.
        CaseKind::Listing => None,
    })
}

/// `GET /api/v1/stats/handling`: per unit, how objections and repairs were handled against
/// their deadlines — for the credit office and auditors, and for a department its own.
pub async fn handling(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<HandlingReport>, ApiError> {
    caller.require_key("办理时限统计", "handling statistics")?;
    let own_unit = match &caller.principal {
        Principal::Admin | Principal::Auditor => None,
        Principal::Department { unit, .. } => Some(unit.clone()),
        _ => return Err(ApiError::new(ErrorCode::Forbidden)),
    };
    let today = state.platform.clock.today();
    let report = state
        .read(move |state, store| {
            let calendar = state.platform.calendar;
            let mut units: BTreeMap<(String, &'static str), (Handling, u64)> = BTreeMap::new();
            for kind in [CaseKind::Objection, CaseKind::Repair] {
                for case in store.all_cases(kind)? {
                    let Some(handled) = handled(store, &case)? else {
                        continue;
                    };
                    if own_unit.as_ref().is_some_and(|own| *own != handled.unit) {
                        continue;
                    }
                    let (entry, total_days) = units
                        .entry((handled.unit.clone(), kind.as_str()))
                        .or_insert_with(|| {
                            let handling = Handling {
                                unit: handled.unit.clone(),
                                kind,
                                decided: 0,
                                on_time: 0,
                                late: 0,
                                open: 0,
                                overdue: 0,
                                mean_working_days: 0.0,
                                worst_working_days: 0,
                            };
                            (handling, 0)
                        });
                    match handled.decided_on {
                        Some(decided_on) => {
                            let took = calendar
                                .working_days_between(handled.filed_on, decided_on)
                                .value;
                            entry.decided += 1;
                            *total_days += u64::from(took);
                            entry.worst_working_days = entry.worst_working_days.max(took);
                            if decided_on <= handled.due {
                                entry.on_time += 1;
                            } else {
                                entry.late += 1;
                            }
                        }
                        None => {
                            entry.open += 1;
                            if today > handled.due {
                                entry.overdue += 1;
                            }
                        }
                    }
                }
            }
            let units = units
                .into_values()
                .map(|(mut handling, total_days)| {
                    if handling.decided > 0 {
                        let mean = total_days as f64 / handling.decided as f64;
                        handling.mean_working_days = (mean * 10.0).round() / 10.0;
                    }
                    handling
                })
                .collect();
            Ok(HandlingReport { on: today, units })
        })
        .await?;
    Ok(Json(report))
}
