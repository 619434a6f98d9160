//! Records of a subject, one record, and its history.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use gongxin_core::catalog::Catalog;
use gongxin_core::record::RecordId;
use gongxin_store::RecordPosition;
use serde::{Deserialize, Serialize};

use super::subjects::not_found_subject;
use super::{PurposeParam, audit_entry, date_param, record_audit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::state::AppState;
use crate::view::{
    EventView, RecordSelection, RecordView, cursor_text, event_view, parse_cursor, record_view,
    visible_records,
};

#[derive(Debug, Default, Deserialize)]
pub struct RecordFilter {
    pub item: Option<String>,
    /// A catalog group (category): its items' records, as a profile group lists them.
    pub category: Option<String>,
    /// Decision dates from (inclusive), `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Decision dates to (inclusive).
    pub to: Option<String>,
    /// Records after this place (the `next` of a previous page or of a profile group).
    pub after: Option<String>,
    /// Records per page: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] if not given.
    pub limit: Option<usize>,
    pub purpose: Option<String>,
}

/// Records per page of the records endpoint, unless the request asks for another number.
pub const DEFAULT_PAGE: usize = 100;
/// The most records one page holds.
pub const MAX_PAGE: usize = 1_000;

#[derive(Debug, Serialize)]
pub struct RecordList {
    pub subject: String,
    /// The subject's current name.
    pub name: String,
    pub records: Vec<RecordView>,
    /// Where the next page starts (`after`), if there is one.
    pub next: Option<String>,
}

/// `GET /api/v1/subjects/{code}/records?item=&category=&from=&to=&after=&limit=`: a page of
/// a subject's records, newest first.
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
    let query = RecordQuery::parse(&state, filter)?;
    Ok(Json(
        load_records(&state, &caller, &code, query, purpose).await?,
    ))
}

/// A page of the records of the subject with `code` (any of its codes) as `caller` may see
/// them, auditing reads beyond the public view.
pub async fn load_records(
    state: &AppState,
    caller: &Caller,
    code: &str,
    query: RecordQuery,
    purpose: Option<String>,
) -> Result<RecordList, ApiError> {
    let code = gongxin_codes::normalise(code);
    let principal = caller.principal.clone();
    let list = state
        .read(move |state, store| {
            let Some(subject) = store.subject(&code)? else {
                return Err(not_found_subject(&code));
            };
            let page = visible_records(
                &state.platform,
                store,
                &principal,
                &subject.code,
                &query.selection(&state.platform.catalog),
                state.platform.clock.today(),
            )?;
            Ok(RecordList {
                records: page.records,
                next: page.next.map(cursor_text),
                subject: subject.code,
                name: subject.name,
            })
        })
        .await?;
    if list.records.iter().any(|r| r.beyond_public) {
        let entry = audit_entry(caller, "read_records", Some(&list.subject), None, purpose);
        record_audit(state, entry).await?;
    }
    Ok(list)
}

/// The parameters of a records page, checked: which items, which days, from where, how many.
pub struct RecordQuery {
    item: Option<String>,
    category: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    after: Option<RecordPosition>,
    limit: usize,
}

impl RecordQuery {
    pub fn parse(state: &AppState, filter: RecordFilter) -> Result<Self, ApiError> {
        let catalog = &state.platform.catalog;
        if let Some(item) = &filter.item
            && catalog.item(item).is_none()
        {
            return Err(unknown_item(item));
        }
        if let Some(category) = &filter.category
            && !catalog.categories.iter().any(|c| c.id == *category)
        {
            return Err(ApiError::with_message(
                ErrorCode::BadRequest,
                format!("目录中没有信息类别 {category}"),
                format!("the catalog has no category {category}"),
            ));
        }
        let after = filter
            .after
            .as_deref()
            .map(|text| {
                parse_cursor(text).ok_or_else(|| {
                    ApiError::with_message(
                        ErrorCode::BadRequest,
                        format!("参数 after 应为上一页给出的 next 值（如 2024-05-01.1234）：{text}"),
                        format!(
                            "parameter after must be the next value a previous page gave (e.g. 2024-05-01.1234): {text}"
                        ),
                    )
                })
            })
            .transpose()?;
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::with_message(
                ErrorCode::BadRequest,
                format!("参数 limit 应在 1 到 {MAX_PAGE} 之间：{limit}"),
                format!("parameter limit must be from 1 to {MAX_PAGE}: {limit}"),
            ));
        }
        Ok(Self {
            from: date_param("from", filter.from.as_deref())?,
            to: date_param("to", filter.to.as_deref())?,
            item: filter.item,
            category: filter.category,
            after,
            limit,
        })
    }

    pub fn selection<'c>(&self, catalog: &'c Catalog) -> RecordSelection<'c> {
        RecordSelection {
            items: catalog
                .items
                .iter()
                .filter(|i| self.item.as_ref().is_none_or(|item| i.id == *item))
                .filter(|i| self.category.as_ref().is_none_or(|c| i.category == *c))
                .collect(),
            from: self.from,
            to: self.to,
            after: self.after,
            limit: self.limit,
        }
    }
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
