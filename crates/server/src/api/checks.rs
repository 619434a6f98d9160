//! `/checks`: the check approving departments run before they grant something (应查必查),
//! its receipt, and the replay of an old check; `/measures`: the lists and measures as data.

use axum::Json;
use axum::extract::{Path, State};
use gongxin_core::access::Principal;
use gongxin_store::{CheckEntry, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::subjects::looks_like_id_number;
use super::{audit_entry, now_us, record_audit};
use crate::auth::Caller;
use crate::discipline::{
    Applicant, Findings, Held, NameCandidate, PersonFindings, findings, identify, new_receipt,
    person_findings,
};
use crate::error::{ApiError, ErrorCode, JsonBody};
use crate::state::AppState;
use crate::view::rfc3339;

/// `POST /api/v1/checks`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRequest {
    /// The applicant's USCC or old code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The applicant's name, when no code is known: matched by name, never as an exact hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub scenario: String,
    pub purpose: String,
    /// The identity number of a person to be appointed (legal representative, executive):
    /// restrictions that reach responsible persons are looked up for them too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id_number: Option<String>,
    /// The requester's own reference for the application, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// The answer to a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckAnswer {
    pub receipt: String,
    pub checked_at: String,
    pub unit: Option<String>,
    pub purpose: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub applicant: Applicant,
    /// For a check by name: the subjects considered, each with its score explained.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name_candidates: Vec<NameCandidate>,
    /// For a person to be appointed: the subjects whose records name them, with the measures
    /// that reach them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonFindings>,
    /// The last event of the log the answer rests on.
    pub log_seq: u64,
    #[serde(flatten)]
    pub findings: Findings,
}

/// Who may run checks: the departments that approve, and the credit office.
fn may_check(caller: &Caller) -> Result<(), ApiError> {
    caller.require_key("联合奖惩核查", "a check")?;
    match caller.principal {
        Principal::Department { .. } | Principal::Admin => Ok(()),
        _ => Err(ApiError::with_message(
            ErrorCode::Forbidden,
            "只有审批部门和信用办可以进行联合奖惩核查",
            "only approving departments and the credit office may run checks",
        )),
    }
}

pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CheckRequest>,
) -> Result<Json<CheckAnswer>, ApiError> {
    may_check(&caller)?;
    if request.purpose.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::PurposeRequired));
    }
    if state
        .platform
        .discipline
        .scenario(&request.scenario)
        .is_none()
    {
        return Err(gongxin_core::discipline::CheckError::UnknownScenario(
            request.scenario.clone(),
        )
        .into());
    }
    if let Some(number) = &request.person_id_number
        && !looks_like_id_number(&number.trim().to_ascii_uppercase())
    {
        return Err(ApiError::with_message(
            ErrorCode::BadRequest,
            "person_id_number 应为 18 位居民身份证号码",
            "person_id_number must be an 18-character resident identity number",
        ));
    }
    let receipt = new_receipt("ck").map_err(ApiError::internal)?;
    let on = state.platform.clock.today();
    let at_us = now_us();
    let caller_for_write = caller.clone();
    let answer = state
        .write(move |state, store| {
            // On the writer: the log cannot move between what the answer rests on and the
            // position recorded with it.
            let log_seq = store.log_head()?;
            let (applicant, name_candidates) = identify(
                &state.platform,
                store,
                request.subject.as_deref(),
                request.name.as_deref(),
            )?;
            let code = applicant.code.clone().unwrap_or_default();
            let held = match applicant.known {
                true => Held::now(store, &code)?,
                false => Held::default(),
            };
            let found = findings(
                &state.platform,
                &caller_for_write.principal,
                &code,
                &held,
                &request.scenario,
                on,
            )?;
            let person = request
                .person_id_number
                .as_deref()
                .map(|number| {
                    person_findings(
                        &state.platform,
                        store,
                        &caller_for_write.principal,
                        number,
                        &request.scenario,
                        on,
                    )
                })
                .transpose()?;
            let answer = CheckAnswer {
                receipt,
                checked_at: rfc3339(at_us),
                unit: caller_for_write.unit().map(str::to_owned),
                purpose: request.purpose.trim().to_owned(),
                reference: request.reference.clone(),
                applicant,
                name_candidates,
                person,
                log_seq,
                findings: found,
            };
            // The log keeps the person's number as the answer shows it, masked.
            let mut request = request.clone();
            request.person_id_number = answer.person.as_ref().map(|p| p.id_number.clone());
            let logged = LoggedRequest {
                request: &request,
                principal: &caller_for_write.principal,
            };
            store.append_check(&CheckEntry {
                receipt: answer.receipt.clone(),
                at_us,
                key_id: caller_for_write.key_id.clone(),
                unit: answer.unit.clone(),
                subject: answer.applicant.code.clone(),
                scenario: answer.findings.scenario.clone(),
                purpose: answer.purpose.clone(),
                log_seq,
                measures_version: answer.findings.measures_version.clone(),
                request: serde_json::to_string(&logged).map_err(ApiError::internal)?,
                answer: serde_json::to_string(&answer).map_err(ApiError::internal)?,
            })?;
            Ok(answer)
        })
        .await?;
    let entry = audit_entry(
        &caller,
        "check",
        answer.applicant.code.as_deref(),
        Some(answer.receipt.clone()),
        Some(answer.purpose.clone()),
    );
    record_audit(&state, entry).await?;
    Ok(Json(answer))
}

/// What the check log keeps of a request: the request and who asked, so that a replay sees
/// what that principal saw.
#[derive(Serialize, Deserialize)]
struct LoggedRequest<R, P> {
    request: R,
    principal: P,
}

/// `GET /api/v1/checks/{receipt}`.
#[derive(Debug, Serialize)]
pub struct Replay {
    pub receipt: String,
    pub checked_at: String,
    pub unit: Option<String>,
    pub scenario: String,
    pub purpose: String,
    pub log_seq: u64,
    /// The answer given then, as given.
    pub answer: Value,
    /// The same check recomputed from what the log held at `log_seq`, on the same day.
    pub recomputed: Findings,
    /// Whether the recomputation says what the answer said.
    pub matches: bool,
    /// The measures list the recomputation used; a replay under a newer list may differ.
    pub measures_version_now: String,
}

pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(receipt): Path<String>,
) -> Result<Json<Replay>, ApiError> {
    let caller_for_read = caller.clone();
    let replay = state
        .read(move |state, store| {
            let entry = store
                .check_entry(&receipt)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
            let allowed = match &caller_for_read.principal {
                Principal::Admin | Principal::Auditor => true,
                Principal::Department { unit, .. } => entry.unit.as_deref() == Some(unit),
                _ => false,
            };
            if !allowed {
                return Err(ApiError::with_message(
                    ErrorCode::Forbidden,
                    "只有核查单位、信用办和审计人员可以调阅核查回执",
                    "only the checking unit, the credit office and auditors may read a receipt",
                ));
            }
            replay_entry(state, store, entry)
        })
        .await?;
    let entry = audit_entry(
        &caller,
        "replay_check",
        None,
        Some(replay.receipt.clone()),
        None,
    );
    record_audit(&state, entry).await?;
    Ok(Json(replay))
}

fn replay_entry(
    state: &AppState,
    store: &dyn Store,
    entry: CheckEntry,
) -> Result<Replay, ApiError> {
    let logged: LoggedRequest<CheckRequest, Principal> =
        serde_json::from_str(&entry.request).map_err(ApiError::internal)?;
    let answer: Value = serde_json::from_str(&entry.answer).map_err(ApiError::internal)?;
    let on = answer
        .get("on")
        .and_then(Value::as_str)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| ApiError::internal("a logged answer without its day"))?;
    let subject = entry.subject.clone().unwrap_or_default();
    let held = Held::as_of(store, &subject, entry.log_seq)?;
    let recomputed = findings(
        &state.platform,
        &logged.principal,
        &subject,
        &held,
        &entry.scenario,
        on,
    )?;
    let recomputed_json = serde_json::to_value(&recomputed).map_err(ApiError::internal)?;
    let matches = [
        "hits",
        "measures",
        "rewards",
        "withheld_rewards",
        "scenario",
        "on",
    ]
    .iter()
    .all(|key| answer.get(key) == recomputed_json.get(key));
    Ok(Replay {
        receipt: entry.receipt,
        checked_at: rfc3339(entry.at_us),
        unit: entry.unit,
        scenario: entry.scenario,
        purpose: entry.purpose,
        log_seq: entry.log_seq,
        answer,
        recomputed,
        matches,
        measures_version_now: state.platform.discipline.version.clone(),
    })
}

/// `GET /api/v1/measures`: the list types, scenarios and measures, public like the law they
/// cite.
pub async fn catalog(State(state): State<AppState>) -> Json<gongxin_core::discipline::Discipline> {
    Json(state.platform.discipline.clone())
}
