//! `GET /api/v1/me`: everything the platform holds about the subject a key acts for, in one
//! answer — its records with their publication windows, its list entries with the reasons,
//! the term and how it can leave the list, its open and closed cases, the checks units ran
//! on it and what they were told, and who read its non-public information for what purpose.
//! Free, as a subject's right to know is (国办发〔2020〕49号).

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::catalog::LegalBasis;
use gongxin_core::discipline::EntryTerm;
use gongxin_store::{AuditEntry, AuditQuery, CaseKind, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::subjects::{Profile, build_profile};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::state::{AppState, Platform};
use crate::view::rfc3339;

/// A list entry as its subject sees it.
#[derive(Debug, Serialize)]
pub struct OwnEntry {
    pub record: String,
    pub list: String,
    pub list_name_zh: String,
    pub in_force: bool,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub removed_on: Option<NaiveDate>,
    pub document_no: String,
    pub listed_by: String,
    /// The reasons and basis the entry states, where its item has them.
    pub reasons: Option<String>,
    pub basis: Option<String>,
    /// What the list says about leaving it.
    pub list_basis: Vec<LegalBasis>,
    pub removal_conditions_zh: Vec<String>,
    pub repairable: bool,
}

/// A case about the subject, in brief.
#[derive(Debug, Serialize)]
pub struct OwnCase {
    pub id: String,
    pub kind: CaseKind,
    pub record: String,
    pub open: bool,
    pub due: Option<NaiveDate>,
}

/// A check a unit ran on the subject, and what it was told.
#[derive(Debug, Serialize)]
pub struct OwnCheck {
    pub receipt: String,
    pub checked_at: String,
    pub unit: Option<String>,
    pub scenario: String,
    pub purpose: String,
    pub measures: Vec<String>,
    pub rewards: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Me {
    #[serde(flatten)]
    pub profile: Profile,
    pub list_entries: Vec<OwnEntry>,
    pub cases: Vec<OwnCase>,
    pub checks: Vec<OwnCheck>,
    /// Reads of its non-public information by others, oldest first, one page.
    pub access_log: Vec<AuditEntry>,
    /// Pass as `after` for the next page of the access log, when there is one.
    pub access_log_next: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MeParams {
    /// Access-log entries after this position.
    pub(crate) after: Option<u64>,
}

/// Access-log entries per page.
const ACCESS_LOG_PAGE: usize = 200;
/// Checks shown, newest first.
const CHECKS_SHOWN: usize = 200;

pub async fn me(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<MeParams>,
) -> Result<Json<Me>, ApiError> {
    caller.require_key("查询本主体信息", "reading what is held about oneself")?;
    let Principal::Subject { code } = caller.principal.clone() else {
        return Err(ApiError::with_message(
            ErrorCode::Forbidden,
            "只有市场主体本身的密钥可以使用此接口",
            "only a subject's own key may use this endpoint",
        ));
    };
    let principal = caller.principal.clone();
    let me = state
        .read(move |state, store| {
            let platform = &state.platform;
            let today = platform.clock.today();
            // All of it: a subject may read everything held about it.
            let profile =
                build_profile(platform, store, &principal, &code, today, usize::MAX)?.profile;
            let code = profile.subject.code.clone();
            let list_entries = own_entries(platform, store, &code, today)?;
            let cases = store
                .cases_of(&code, None)?
                .into_iter()
                .map(|case| OwnCase {
                    id: case.id,
                    kind: case.kind,
                    record: case.record.to_string(),
                    open: case.open,
                    due: case.due,
                })
                .collect();
            let checks = store
                .checks_of(&code, CHECKS_SHOWN)?
                .into_iter()
                .map(|entry| {
                    let answer: Value = serde_json::from_str(&entry.answer).unwrap_or_default();
                    let ids = |key: &str| -> Vec<String> {
                        answer[key]
                            .as_array()
                            .map(|list| {
                                list.iter()
                                    .filter_map(|m| m["id"].as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    OwnCheck {
                        receipt: entry.receipt,
                        checked_at: rfc3339(entry.at_us),
                        unit: entry.unit,
                        scenario: entry.scenario,
                        purpose: entry.purpose,
                        measures: ids("measures"),
                        rewards: ids("rewards"),
                    }
                })
                .collect();
            // The subject's own reads are its right, not a disclosure: left out.
            let mut access_log: Vec<AuditEntry> = store.audit(&AuditQuery {
                subject: Some(code.clone()),
                after_seq: params.after.unwrap_or(0),
                limit: ACCESS_LOG_PAGE + 1,
                ..AuditQuery::default()
            })?;
            let access_log_next = (access_log.len() > ACCESS_LOG_PAGE).then(|| {
                access_log.truncate(ACCESS_LOG_PAGE);
                access_log.last().map_or(0, |e| e.seq)
            });
            access_log.retain(|entry| entry.role != "subject");
            Ok(Me {
                profile,
                list_entries,
                cases,
                checks,
                access_log,
                access_log_next,
            })
        })
        .await?;
    Ok(Json(me))
}

/// The subject's list entries, in force or not, with what the list says about them.
fn own_entries(
    platform: &Platform,
    store: &dyn Store,
    code: &str,
    today: NaiveDate,
) -> Result<Vec<OwnEntry>, ApiError> {
    let mut entries = Vec::new();
    for stored in store.records_of(code)? {
        let record = &stored.record;
        let Some(list) = platform.discipline.list_of_item(&record.key.item) else {
            continue;
        };
        let Some(item) = platform.catalog.item(&list.item) else {
            continue;
        };
        let term = EntryTerm::of(list, item, record);
        let field = |code: &Option<String>| {
            code.as_deref()
                .and_then(|c| record.field(c))
                .map(str::to_owned)
        };
        entries.push(OwnEntry {
            record: stored.id.to_string(),
            list: list.id.clone(),
            list_name_zh: list.name_zh.clone(),
            in_force: stored.status == gongxin_core::record::RecordStatus::Normal
                && term.in_force_on(today),
            from: term.from,
            until: term.until,
            removed_on: term.removed_on,
            document_no: record.key.document_no.clone(),
            listed_by: record.key.source_unit.clone(),
            reasons: field(&item.roles.list_reason),
            basis: field(&item.roles.list_basis),
            list_basis: list.basis.clone(),
            removal_conditions_zh: list.removal_conditions_zh.clone(),
            repairable: list.repairable,
        });
    }
    Ok(entries)
}
