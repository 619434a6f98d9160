//! Records of a subject, one record, and its history.

use axum::Json;
use axum::extract::{Path, State};
use gongxin_core::record::RecordId;
use serde::{Deserialize, Serialize};

use super::subjects::not_found_subject;
use super::{PurposeParam, audit_entry, date_param, record_audit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::state::AppState;
use crate::view::{EventView, RecordView, event_view, record_view, record_views};

#[derive(Debug, Deserialize)]
pub struct RecordFilter {
    item: Option<String>,
    /// Decision dates from (inclusive), `YYYY-MM-DD`.
    from: Option<String>,
    /// Decision dates to (inclusive).
    to: Option<String>,
    purpose: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RecordList {
    pub subject: String,
    pub records: Vec<RecordView>,
}

/// `GET /api/v1/subjects/{code}/records?item=&from=&to=`.
pub async fn of_subject(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    QueryParams(filter): QueryParams<RecordFilter>,
) -> Result<Json<RecordList>, ApiError> {
    let purpose = PurposeParam {
        purpose: filter.purpose.clone(),
    }
    .check(&caller)?;
    if let Some(item) = &filter.item
        && state.platform.catalog.item(item).is_none()
    {
        return Err(unknown_item(item));
    }
    let from = date_param("from", filter.from.as_deref())?;
    let to = date_param("to", filter.to.as_deref())?;
    let code = gongxin_codes::normalise(&code);
    let principal = caller.principal.clone();
    let list = state
        .read(move |state, store| {
            let Some(subject) = store.subject(&code)? else {
                return Err(not_found_subject(&code));
            };
            let stored: Vec<_> = store
                .records_of(&subject.code)?
                .into_iter()
                .filter(|r| filter.item.as_ref().is_none_or(|i| *i == r.record.key.item))
                .filter(|r| from.is_none_or(|d| r.record.decision_date >= d))
                .filter(|r| to.is_none_or(|d| r.record.decision_date <= d))
                .collect();
            Ok(RecordList {
                records: record_views(
                    &state.platform,
                    &principal,
                    &subject.code,
                    &stored,
                    state.platform.clock.today(),
                ),
                subject: subject.code,
            })
        })
        .await?;
    if list.records.iter().any(|r| r.beyond_public) {
        let entry = audit_entry(&caller, "read_records", Some(&list.subject), None, purpose);
        record_audit(&state, entry).await?;
    }
    Ok(Json(list))
}

pub fn unknown_item(item: &str) -> ApiError {
    ApiError::with_message(
        ErrorCode::UnknownItem,
        format!("目录中没有信息事项 {item}"),
        format!("the catalog has no item {item}"),
    )
}

fn parse_id(id: &str) -> Result<RecordId, ApiError> {
    id.parse().map_err(|_| {
        ApiError::with_message(
            ErrorCode::BadRequest,
            format!("记录编号应为 32 位十六进制字符：{id}"),
            format!("a record id is 32 hex digits: {id}"),
        )
    })
}

fn not_found_record(id: &str) -> ApiError {
    ApiError::with_message(
        ErrorCode::NotFound,
        format!("未找到记录 {id}，或无权查看"),
        format!("no record {id}, or not visible to this key"),
    )
}

#[derive(Debug, Serialize)]
pub struct RecordDetail {
    pub subject: String,
    pub subject_name: String,
    #[serde(flatten)]
    pub record: RecordView,
    pub history: Vec<EventView>,
}

/// The record and its history as `caller` may see them; a record the caller may not see is
/// "not found", so that its existence does not leak.
pub async fn load_record(
    state: &AppState,
    caller: &Caller,
    id: &str,
    purpose: Option<String>,
) -> Result<RecordDetail, ApiError> {
    let record_id = parse_id(id)?;
    let principal = caller.principal.clone();
    let missing = not_found_record(id);
    let detail = state
        .read(move |state, store| {
            let Some(stored) = store.record(&record_id)? else {
                return Ok(None);
            };
            let subject = store
                .subject(&stored.record.subject.to_string())?
                .map(|s| (s.code, s.name))
                .unwrap_or_else(|| {
                    (
                        stored.record.subject.to_string(),
                        stored.record.subject_name.clone(),
                    )
                });
            let Some(view) = record_view(
                &state.platform,
                &principal,
                &subject.0,
                &stored,
                state.platform.clock.today(),
            ) else {
                return Ok(None);
            };
            let history = store
                .history(&record_id)?
                .iter()
                .map(|e| event_view(e, view.beyond_public))
                .collect();
            Ok(Some(RecordDetail {
                subject: subject.0,
                subject_name: subject.1,
                record: view,
                history,
            }))
        })
        .await?
        .ok_or(missing)?;
    if detail.record.beyond_public {
        let entry = audit_entry(
            caller,
            "read_record",
            Some(&detail.subject),
            Some(detail.record.id.clone()),
            purpose,
        );
        record_audit(state, entry).await?;
    }
    Ok(detail)
}

/// `GET /api/v1/records/{id}`: one record with its history.
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(purpose): QueryParams<PurposeParam>,
) -> Result<Json<RecordDetail>, ApiError> {
    let purpose = purpose.check(&caller)?;
    Ok(Json(load_record(&state, &caller, &id, purpose).await?))
}

/// `GET /api/v1/records/{id}/history`: the events of one record, oldest first.
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(purpose): QueryParams<PurposeParam>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let purpose = purpose.check(&caller)?;
    Ok(Json(
        load_record(&state, &caller, &id, purpose).await?.history,
    ))
}
