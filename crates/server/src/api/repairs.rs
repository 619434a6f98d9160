//! `/repairs` and `/records/{id}/repair`: credit repair (信用修复). The subject learns up front
//! whether and from when a record can be repaired; it applies with the conditions of the
//! record's repair target; the record's source unit decides within the configured working
//! days. Approval marks the record repaired in the same transaction as the step (ending its
//! publication and any discipline it triggers) and removes a list entry; the decision reaches
//! recipients through the feed and webhooks. Every step is an event of the chain.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use gongxin_core::access::{Principal, penalty_decision};
use gongxin_core::discipline::EntryTerm;
use gongxin_core::event::{EventKind, case_payload, case_state};
use gongxin_core::listing::{Listing, ListingStatus, RemovalReason};
use gongxin_core::record::{NaturalKey, Record, RecordId, RecordStatus};
use gongxin_core::repair::{
    Application, Eligibility, Given, Repair, RepairFacts, RepairOutcome, Target, eligibility,
    entry_removed_by_repair,
};
use gongxin_store::{CaseKind, Store, StoredCase, StoredRecord};
use serde::{Deserialize, Serialize};

use super::cases::{
    CaseStepOwned, CaseView, acts_for_subject, acts_for_unit, append, case_view, forbidden, load,
};
use super::now_us;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, JsonBody, QueryParams};
use crate::state::{AppState, Platform};

/// What a subject is told before it applies.
#[derive(Debug, Serialize)]
pub struct RepairOptions {
    #[serde(flatten)]
    pub eligibility: Eligibility,
    /// The target's name and legal basis, when the record is of a repairable kind.
    pub target: Option<Target>,
    /// Working days the responsible unit has to decide.
    pub review_working_days: u32,
    /// The unit that decides: the record's source unit.
    pub unit: String,
}

fn parse_record_id(text: &str) -> Result<RecordId, ApiError> {
    text.parse()
        .map_err(|e: String| ApiError::with_message(ErrorCode::BadRequest, e.clone(), e))
}

/// The eligibility of `stored` on `today`, from what the store holds about its subject;
/// `deciding` is the application being decided, which does not count as pending.
fn eligibility_of(
    platform: &Platform,
    store: &dyn Store,
    stored: &StoredRecord,
    today: NaiveDate,
    deciding: Option<&str>,
) -> Result<Eligibility, ApiError> {
    let record = &stored.record;
    let item = platform
        .catalog
        .item(&record.key.item)
        .ok_or_else(|| ApiError::internal("a record of an unknown item"))?;
    let publication = penalty_decision(item, record, &platform.rules);
    let term = platform
        .discipline
        .list_of_item(&item.id)
        .map(|list| EntryTerm::of(list, item, record));
    let held = store.records_of(record.subject.as_str())?;
    let others: Vec<(&Record, RecordStatus)> = held
        .iter()
        .filter(|other| other.record.key.item == record.key.item)
        .map(|other| (&other.record, other.status))
        .collect();
    let pending = store
        .cases_of_record(&stored.id)?
        .iter()
        .any(|case| case.kind == CaseKind::Repair && case.open && Some(&*case.id) != deciding);
    Ok(eligibility(
        &platform.repair,
        RepairFacts {
            record,
            id: stored.id,
            status: stored.status,
            repaired_on: stored.repaired_on,
            publication: publication.as_ref(),
            term,
            others: &others,
            pending,
        },
        today,
    ))
}

async fn stored_record(state: &AppState, id: RecordId) -> Result<StoredRecord, ApiError> {
    state
        .read(move |_, store| {
            store
                .record(&id)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))
        })
        .await
}

/// `GET /api/v1/records/{id}/repair`: whether and from when the record can be repaired, and
/// what an application must carry. For the subject, the record's source unit and the credit
/// office.
pub async fn options(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RepairOptions>, ApiError> {
    caller.require_key("查看修复条件", "the repair options")?;
    let id = parse_record_id(&id)?;
    let stored = stored_record(&state, id).await?;
    let subject = canonical(&state, &stored).await?;
    if !acts_for_subject(&caller, &subject)
        && !acts_for_unit(&caller, &stored.record.key.source_unit)
    {
        return Err(forbidden(
            "只有当事人、信息提供单位和信用办可以查看修复条件",
            "only the subject, the source unit and the credit office may see the repair options",
        ));
    }
    let today = state.platform.clock.today();
    let unit = stored.record.key.source_unit.clone();
    let eligibility = {
        let state = state.clone();
        state
            .clone()
            .read(move |_, store| eligibility_of(&state.platform, store, &stored, today, None))
            .await?
    };
    let target = eligibility
        .target
        .as_deref()
        .and_then(|id| state.platform.repair.targets.iter().find(|t| t.id == id))
        .cloned();
    Ok(Json(RepairOptions {
        eligibility,
        target,
        review_working_days: state.config.repair_review_days,
        unit,
    }))
}

/// The code the record's subject is known by (a USCC an old code maps to, or itself).
async fn canonical(state: &AppState, stored: &StoredRecord) -> Result<String, ApiError> {
    let code = stored.record.subject.to_string();
    state
        .read(move |_, store| Ok(store.subject_code(&code)?))
        .await
}

/// `POST /api/v1/repairs`: the subject applies.
#[derive(Debug, Deserialize)]
pub struct RepairRequest {
    pub record: String,
    /// How the conduct was corrected and its effects removed.
    pub statement: String,
    #[serde(default)]
    pub given: Vec<Given>,
}

pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(mut request): JsonBody<RepairRequest>,
) -> Result<Json<CaseView<Repair>>, ApiError> {
    caller.require_key("申请信用修复", "a repair application")?;
    let record_id = parse_record_id(&request.record)?;
    let stored = stored_record(&state, record_id).await?;
    let subject = canonical(&state, &stored).await?;
    if !acts_for_subject(&caller, &subject) && !matches!(caller.principal, Principal::Admin) {
        return Err(forbidden(
            "只有信息主体（或信用办代为登记）可以申请信用修复",
            "only the subject (or the credit office on its behalf) may apply for credit repair",
        ));
    }
    let today = state.platform.clock.today();
    let filer = caller
        .key_id
        .clone()
        .unwrap_or_else(|| caller.principal.role().to_owned());
    let id = repair_id(&record_id, &filer, now_us());
    let unit = stored.record.key.source_unit.clone();
    for given in &mut request.given {
        for id in &mut given.attachments {
            *id = id.trim().to_ascii_lowercase();
        }
    }
    let attachments: Vec<String> = request
        .given
        .iter()
        .flat_map(|g| g.attachments.iter().cloned())
        .collect();
    let (repair, step) = {
        let state = state.clone();
        let id = id.clone();
        let subject = subject.clone();
        state
            .clone()
            .read(move |_, store| {
                let eligibility = eligibility_of(&state.platform, store, &stored, today, None)?;
                Ok(Repair::file(
                    &state.platform.repair,
                    &eligibility,
                    state.platform.calendar,
                    &state.config.repair_deadlines(),
                    Application {
                        id,
                        subject,
                        unit,
                        statement: &request.statement,
                        given: request.given,
                    },
                    today,
                )?)
            })
            .await?
    };
    super::attachments::reference(&state, &id, &subject, attachments).await?;
    let view = append(
        &state,
        &caller,
        CaseStepOwned {
            payload: case_payload(&id, &step, &repair),
            id,
            kind: CaseKind::Repair,
            event: EventKind::RepairFiled,
            subject,
            record: record_id,
            open: true,
            due: Some(repair.review_by),
            expected_head: None,
            repaired_on: None,
        },
        Vec::new(),
    )
    .await?;
    Ok(Json(view))
}

fn repair_id(record: &RecordId, filer: &str, at_us: i64) -> String {
    let key = NaturalKey {
        source_unit: filer.to_owned(),
        item: "repair".to_owned(),
        document_no: format!("{record}@{at_us}"),
    };
    format!("rep_{}", key.record_id())
}

/// `POST /api/v1/repairs/{id}/decision`: the record's source unit (or the credit office)
/// approves or refuses, with reasons.
#[derive(Debug, Deserialize)]
pub struct RepairDecisionRequest {
    pub outcome: RepairOutcome,
    pub reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<RepairDecisionRequest>,
) -> Result<Json<CaseView<Repair>>, ApiError> {
    let (case, repair) = load::<Repair>(&state, id, CaseKind::Repair).await?;
    if !acts_for_unit(&caller, &repair.unit) {
        return Err(forbidden(
            "只有信息提供单位（或信用办）可以决定信用修复",
            "only the record's source unit (or the credit office) may decide a repair",
        ));
    }
    let platform = &state.platform;
    let today = platform.clock.today();
    let stored = stored_record(&state, repair.record).await?;
    let (next, step) = match request.outcome {
        RepairOutcome::Refused => repair.refuse(today, &request.reason)?,
        RepairOutcome::Approved => {
            let eligibility = {
                let state = state.clone();
                let stored = stored.clone();
                let deciding = case.id.clone();
                state
                    .clone()
                    .read(move |_, store| {
                        eligibility_of(&state.platform, store, &stored, today, Some(&deciding))
                    })
                    .await?
            };
            repair.approve(
                platform.calendar,
                &state.config.repair_deadlines(),
                &eligibility,
                today,
                &request.reason,
            )?
        }
    };
    let approved = next.outcome == Some(RepairOutcome::Approved);
    // An approved repair of a list entry removes it: a new version of the entry, ended today.
    let records = match platform.discipline.list_of_item(&stored.record.key.item) {
        Some(list) if approved => {
            let item = platform
                .catalog
                .item(&list.item)
                .ok_or_else(|| ApiError::internal("a list names a missing item"))?;
            vec![entry_removed_by_repair(
                item,
                &stored.record,
                today,
                &case.id,
            )]
        }
        _ => Vec::new(),
    };
    let step = CaseStepOwned {
        id: case.id.clone(),
        kind: CaseKind::Repair,
        event: EventKind::RepairDecided,
        subject: case.subject.clone(),
        record: case.record,
        open: false,
        due: None,
        payload: case_payload(&case.id, &step, &next),
        expected_head: Some(case.head_seq),
        repaired_on: approved.then_some(today),
    };
    let view = append(&state, &caller, step, records).await?;
    if approved {
        close_listing_case(&state, &caller, &stored, today, &case.id).await?;
    }
    Ok(Json(view))
}

/// The listing case behind a repaired entry, if the platform listed it, follows: it is
/// removed for repair, so that the case and the entry tell the same story.
async fn close_listing_case(
    state: &AppState,
    caller: &Caller,
    stored: &StoredRecord,
    today: NaiveDate,
    repair: &str,
) -> Result<(), ApiError> {
    let id = stored.id;
    let listing_case: Option<StoredCase> = state
        .read(move |_, store| {
            Ok(store
                .cases_of_record(&id)?
                .into_iter()
                .find(|case| case.kind == CaseKind::Listing))
        })
        .await?;
    let Some(case) = listing_case else {
        return Ok(());
    };
    let Some(listing) = case_state::<Listing>(&case.payload) else {
        return Err(ApiError::internal(format!(
            "case {} has an unreadable state",
            case.id
        )));
    };
    if listing.status != ListingStatus::Listed {
        return Ok(());
    }
    let Some(list) = state.platform.discipline.list(&listing.list) else {
        return Err(ApiError::internal("a listing names a missing list"));
    };
    let note = format!("信用修复获准（{repair}）");
    let (next, step) = listing.remove(list, today, RemovalReason::Repair, &note)?;
    let step = CaseStepOwned {
        id: case.id.clone(),
        kind: CaseKind::Listing,
        event: EventKind::ListingRemoved,
        subject: case.subject.clone(),
        record: case.record,
        open: false,
        due: None,
        payload: case_payload(&case.id, &step, &next),
        expected_head: Some(case.head_seq),
        repaired_on: None,
    };
    append::<Listing>(state, caller, step, Vec::new()).await?;
    Ok(())
}

/// `GET /api/v1/repairs/{id}`: the subject, the responsible unit, the credit office and
/// auditors.
pub async fn repair(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView<Repair>>, ApiError> {
    let (case, repair) = load::<Repair>(&state, id, CaseKind::Repair).await?;
    let allowed = acts_for_unit(&caller, &repair.unit)
        || acts_for_subject(&caller, &case.subject)
        || matches!(caller.principal, Principal::Auditor);
    if !allowed {
        return Err(forbidden(
            "只有当事人、信息提供单位、信用办和审计人员可以查看修复申请",
            "only the subject, the source unit, the credit office and auditors may read a repair",
        ));
    }
    let show_actor = !matches!(caller.principal, Principal::Subject { .. });
    Ok(Json(
        state
            .read(move |_, store| case_view(store, case, show_actor))
            .await?,
    ))
}

/// `GET /api/v1/repairs`: open applications with their deadlines — all for the credit
/// office, its own for a unit; `overdue=true` keeps the overdue ones.
#[derive(Debug, Default, Deserialize)]
pub struct OpenRepairsParams {
    #[serde(default)]
    overdue: bool,
}

#[derive(Debug, Serialize)]
pub struct OpenRepair {
    pub id: String,
    pub subject: String,
    pub record: String,
    pub target: String,
    pub unit: String,
    pub filed_on: NaiveDate,
    pub review_by: NaiveDate,
    pub overdue: bool,
}

pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<OpenRepairsParams>,
) -> Result<Json<Vec<OpenRepair>>, ApiError> {
    caller.require_key("查看待办修复申请", "the open repair applications")?;
    let unit = match &caller.principal {
        Principal::Admin => None,
        Principal::Department { unit, .. } => Some(unit.clone()),
        _ => {
            return Err(forbidden(
                "只有信用办和信息提供单位可以查看待办修复申请",
                "only the credit office and source units see open repair applications",
            ));
        }
    };
    let today = state.platform.clock.today();
    let open = state
        .read(move |_, store| {
            Ok(store
                .open_cases(CaseKind::Repair)?
                .into_iter()
                .filter_map(|case| Some((case_state::<Repair>(&case.payload)?, case)))
                .filter(|(repair, _)| unit.as_ref().is_none_or(|unit| *unit == repair.unit))
                .filter(|(repair, _)| !params.overdue || repair.is_overdue(today))
                .map(|(repair, case)| OpenRepair {
                    overdue: repair.is_overdue(today),
                    id: case.id,
                    subject: case.subject,
                    record: case.record.to_string(),
                    target: repair.target,
                    unit: repair.unit,
                    filed_on: repair.filed_on,
                    review_by: repair.review_by,
                })
                .collect())
        })
        .await?;
    Ok(Json(open))
}
