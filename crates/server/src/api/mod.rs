//! `/api/v1`: JSON for departments, banks, the public and the entities themselves.

pub(crate) mod attachments;
mod audit;
pub(crate) mod cases;
mod checks;
mod email;
pub(crate) mod feed;
mod feedback;
pub(crate) mod inbox;
pub(crate) mod me;
pub(crate) mod records;
pub(crate) mod repairs;
pub(crate) mod subjects;
mod submit;
mod subscriptions;
mod typical_cases;

use axum::Router;
use axum::routing::{delete, get, post, put};
use chrono::NaiveDate;
use gongxin_store::AuditEntry;
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(subjects::search))
        .route("/subjects/{code}", get(subjects::profile))
        .route("/subjects/{code}/records", get(records::of_subject))
        .route("/records", post(submit::records))
        .route("/records/{id}", get(records::one))
        .route("/records/{id}/history", get(records::history))
        .route("/files", post(submit::file))
        .route("/audit", get(audit::entries))
        .route("/stats/timeliness", get(audit::timeliness))
        .route("/stats/handling", get(audit::handling))
        .route("/measures", get(checks::catalog))
        .route("/me", get(me::me))
        .route("/inbox", get(inbox::notices))
        .route("/inbox/email", put(email::set).delete(email::remove))
        .route("/inbox/mail", get(email::mails))
        .route("/checks", post(checks::run))
        .route("/checks/{receipt}", get(checks::replay))
        .route("/listings", post(cases::propose))
        .route("/listings/{id}", get(cases::listing))
        .route("/listings/{id}/objection", post(cases::object_to_listing))
        .route("/listings/{id}/decision", post(cases::decide_listing))
        .route("/listings/{id}/removal", post(cases::remove_listing))
        .route(
            "/objections",
            post(cases::file_objection).get(cases::open_objections),
        )
        .route("/objections/{id}/forward", post(cases::forward_objection))
        .route("/objections/{id}/extension", post(cases::extend_objection))
        .route("/objections/{id}", get(cases::objection))
        .route("/objections/{id}/decision", post(cases::decide_objection))
        .route("/records/{id}/repair", get(repairs::options))
        .route("/repairs", post(repairs::apply).get(repairs::open))
        .route("/repairs/{id}", get(repairs::repair))
        .route("/repairs/{id}/decision", post(repairs::decide))
        .route("/attachments", post(attachments::upload))
        .route("/attachments/{id}", get(attachments::download))
        .route("/feed", get(feed::events))
        .route(
            "/subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route("/subscriptions/{id}", delete(subscriptions::revoke))
        .route(
            "/subscriptions/{id}/deliveries",
            get(subscriptions::deliveries),
        )
        .route("/subscriptions/{id}/replay", post(subscriptions::replay))
        .route("/checks/{receipt}/feedback", post(feedback::report))
        .route("/stats/discipline", get(feedback::stats))
        .route(
            "/typical-cases",
            get(typical_cases::list).post(typical_cases::create),
        )
        .route(
            "/typical-cases/{id}/publication",
            post(typical_cases::publish),
        )
}

/// The purpose stated with a request for non-public information.
#[derive(Debug, Default, Deserialize)]
pub struct PurposeParam {
    pub purpose: Option<String>,
}

impl PurposeParam {
    /// The purpose, required from the roles that must give one.
    fn check(&self, caller: &Caller) -> Result<Option<String>, ApiError> {
        let purpose = self
            .purpose
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        if purpose.is_none() && caller.principal.needs_purpose() {
            return Err(ApiError::new(ErrorCode::PurposeRequired));
        }
        Ok(purpose)
    }
}

pub fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// An audit entry for `caller` reading or doing `action`.
fn audit_entry(
    caller: &Caller,
    action: &str,
    subject: Option<&str>,
    target: Option<String>,
    purpose: Option<String>,
) -> AuditEntry {
    AuditEntry {
        seq: 0,
        at_us: now_us(),
        key_id: caller.key_id.clone(),
        role: caller.principal.role().to_owned(),
        unit: caller.unit().map(str::to_owned),
        subject: subject.map(str::to_owned),
        action: action.to_owned(),
        target,
        purpose,
        client: caller.client.map(|c| c.to_string()),
    }
}

/// Writes `entry` before the answer leaves: no non-public read goes unrecorded.
async fn record_audit(state: &AppState, entry: AuditEntry) -> Result<(), ApiError> {
    state
        .write(move |_, store| Ok(store.append_audit(&entry)?))
        .await
        .map(drop)
}

/// Parses a `YYYY-MM-DD` query parameter.
fn date_param(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    value
        .map(|text| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                ApiError::with_message(
                    ErrorCode::BadRequest,
                    format!("参数 {name} 应为日期 YYYY-MM-DD：{text}"),
                    format!("parameter {name} must be a date YYYY-MM-DD: {text}"),
                )
            })
        })
        .transpose()
}
