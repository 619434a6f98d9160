//! `/typical-cases`: the register of typical cases of joint reward and discipline (典型案例),
//! kept by the credit office and published to everyone, without personal data.

use axum::Json;
use axum::extract::{Path, State};
use gongxin_core::access::Principal;
use gongxin_core::push::find_identity_number;
use gongxin_core::record::RecordId;
use gongxin_store::{Store, TypicalCase};
use serde::{Deserialize, Serialize};

use super::now_us;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, JsonBody};
use crate::state::AppState;
use crate::view::{record_view, rfc3339};

/// `POST /api/v1/typical-cases`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypicalCaseRequest {
    pub title: String,
    /// The subject's USCC or old code.
    pub subject: String,
    /// Ids of the records it rests on, all about the subject.
    #[serde(default)]
    pub records: Vec<String>,
    /// Ids of listing or objection cases about the subject.
    #[serde(default)]
    pub cases: Vec<String>,
    pub summary_zh: String,
    /// Publish at once; otherwise later through `/typical-cases/{id}/publication`.
    #[serde(default)]
    pub published: bool,
}

/// An entry as the credit office and auditors see it.
#[derive(Debug, Serialize)]
pub struct TypicalCaseView {
    pub id: String,
    pub title: String,
    pub subject: String,
    pub subject_name: String,
    pub records: Vec<String>,
    pub cases: Vec<String>,
    pub summary_zh: String,
    pub published: bool,
    pub published_at: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

impl From<TypicalCase> for TypicalCaseView {
    fn from(c: TypicalCase) -> Self {
        Self {
            id: c.id,
            title: c.title,
            subject: c.subject,
            subject_name: c.subject_name,
            records: c.records,
            cases: c.cases,
            summary_zh: c.summary_zh,
            published: c.published,
            published_at: c.published_at_us.map(rfc3339),
            created_at: rfc3339(c.created_at_us),
            created_by: c.created_by,
        }
    }
}

/// A published entry as everyone sees it: no cases (not public), no author, and only the
/// records the public may open today.
#[derive(Debug, Serialize)]
pub struct PublicTypicalCase {
    pub id: String,
    pub title: String,
    pub subject: String,
    pub subject_name: String,
    pub records: Vec<String>,
    pub summary_zh: String,
    pub published_at: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Register {
    Full {
        typical_cases: Vec<TypicalCaseView>,
    },
    Public {
        typical_cases: Vec<PublicTypicalCase>,
    },
}

fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    caller.require_key("典型案例登记", "the typical-case register")?;
    if caller.principal != Principal::Admin {
        return Err(ApiError::with_message(
            ErrorCode::Forbidden,
            "只有信用办可以登记和发布典型案例",
            "only the credit office keeps the typical-case register",
        ));
    }
    Ok(())
}

fn bad_request(zh: String, en: String) -> ApiError {
    ApiError::with_message(ErrorCode::BadRequest, zh, en)
}

/// Refuses text that carries an identity number: the register is published.
fn no_personal_data(field: &str, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad_request(
            format!("{field} 不能为空"),
            format!("{field} must not be empty"),
        ));
    }
    if find_identity_number(text).is_some() {
        return Err(bad_request(
            format!("{field} 含有身份证号码；典型案例公开发布，不得含个人信息"),
            format!(
                "{field} holds an identity number; the register is published and carries no personal data"
            ),
        ));
    }
    Ok(text.to_owned())
}

/// Checks that every record and case named exists and is about `subject`.
fn check_references(
    store: &dyn Store,
    subject: &str,
    records: &[String],
    cases: &[String],
) -> Result<(), ApiError> {
    let canonical = |code: &str| -> Result<String, ApiError> {
        Ok(store
            .subject(code)?
            .map_or_else(|| code.to_owned(), |s| s.code))
    };
    for id in records {
        let parsed: RecordId = id
            .parse()
            .map_err(|e: String| bad_request(format!("记录编号无效：{id}"), e))?;
        let about = match store.record(&parsed)? {
            Some(stored) => canonical(stored.record.subject.as_str())?,
            None => String::new(),
        };
        if about != subject {
            return Err(bad_request(
                format!("没有关于该主体的记录 {id}"),
                format!("no record {id} about the subject"),
            ));
        }
    }
    for id in cases {
        let about = match store.case(id)? {
            Some(case) => canonical(&case.subject)?,
            None => String::new(),
        };
        if about != subject {
            return Err(bad_request(
                format!("没有关于该主体的案件 {id}"),
                format!("no case {id} about the subject"),
            ));
        }
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<TypicalCaseRequest>,
) -> Result<Json<TypicalCaseView>, ApiError> {
    admin_only(&caller)?;
    let title = no_personal_data("title", &request.title)?;
    let summary_zh = no_personal_data("summary_zh", &request.summary_zh)?;
    let code = gongxin_codes::normalise(&request.subject);
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(ApiError::internal)?;
    let id = format!("tc_{}", hex::encode(random));
    let created_by = caller.actor_name();
    let case = state
        .write(move |_, store| {
            let subject = store.subject(&code)?.ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::NotFound,
                    format!("平台没有主体 {code}"),
                    format!("the platform holds nothing about {code}"),
                )
            })?;
            check_references(store, &subject.code, &request.records, &request.cases)?;
            let at_us = now_us();
            let case = TypicalCase {
                id,
                title,
                subject: subject.code,
                subject_name: subject.name,
                records: request.records,
                cases: request.cases,
                summary_zh,
                published: request.published,
                published_at_us: request.published.then_some(at_us),
                created_at_us: at_us,
                created_by,
            };
            store.add_typical_case(&case)?;
            Ok(case)
        })
        .await?;
    Ok(Json(case.into()))
}

/// `POST /api/v1/typical-cases/{id}/publication`.
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TypicalCaseView>, ApiError> {
    admin_only(&caller)?;
    let case = state
        .write(move |_, store| {
            let published = store.publish_typical_case(&id, now_us())?;
            let case = store
                .typical_cases(false)?
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
            if !published {
                return Err(ApiError::with_message(
                    ErrorCode::Conflict,
                    "该典型案例已发布",
                    "the case is published already",
                ));
            }
            Ok(case)
        })
        .await?;
    Ok(Json(case.into()))
}

/// `GET /api/v1/typical-cases`: the published entries for everyone; every entry, with its
/// cases and author, for the credit office and auditors.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Register>, ApiError> {
    let full = matches!(caller.principal, Principal::Admin | Principal::Auditor);
    let register = state
        .read(move |state, store| {
            let cases = store.typical_cases(!full)?;
            if full {
                return Ok(Register::Full {
                    typical_cases: cases.into_iter().map(TypicalCaseView::from).collect(),
                });
            }
            let platform = &state.platform;
            let today = platform.clock.today();
            let public = Principal::Public;
            let mut shown = Vec::with_capacity(cases.len());
            for case in cases {
                let mut records = Vec::new();
                for id in &case.records {
                    let Ok(parsed) = id.parse::<RecordId>() else {
                        continue;
                    };
                    let public = store.record(&parsed)?.is_some_and(|stored| {
                        record_view(platform, &public, &case.subject, &stored, today).is_some()
                    });
                    if public {
                        records.push(id.clone());
                    }
                }
                shown.push(PublicTypicalCase {
                    id: case.id,
                    title: case.title,
                    subject: case.subject,
                    subject_name: case.subject_name,
                    records,
                    summary_zh: case.summary_zh,
                    published_at: case.published_at_us.map(rfc3339),
                });
            }
            Ok(Register::Public {
                typical_cases: shown,
            })
        })
        .await?;
    Ok(Json(register))
}
