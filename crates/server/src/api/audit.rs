//! The audit log for auditors, and the 7-working-day timeliness report.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_store::AuditQuery;
use serde::{Deserialize, Serialize};

use super::date_param;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
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
