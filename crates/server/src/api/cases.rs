//! `/listings` and `/objections`: the due-process cases. Every step is checked by the rules
//! of `core::listing` / `core::objection`, written as an event in the chain together with
//! the records it creates or changes, and refused with the reason when the procedure or its
//! deadlines do not allow it.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::catalog::Item;
use gongxin_core::discipline::ListType;
use gongxin_core::event::{EventKind, case_payload, case_state};
use gongxin_core::listing::{Decision, Listing, ListingStep, Proposal, RemovalReason};
use gongxin_core::objection::{FiledAs, FilerDetails, Filing, Objection, Outcome, Reader};
use gongxin_core::record::{
    NaturalKey, ParseContext, PreparedRecord, Record, RecordId, RecordStatus, Template,
};
use gongxin_ingest::bind::FieldLookup;
use gongxin_store::{Actor, CaseKind, CaseStep, Store, StoredCase};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::now_us;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, JsonBody};
use crate::state::{AppState, Platform};
use crate::view::{EventView, event_view};

/// `POST /api/v1/listings`: a unit proposes a listing; notice is served today.
#[derive(Debug, Deserialize)]
pub struct ProposeRequest {
    pub list: String,
    pub subject: String,
    pub subject_name: String,
    pub document_no: String,
    pub reasons: String,
    pub basis: String,
    /// Further fields of the entry (field codes or Chinese names), e.g. the legal
    /// representative or the list's domain.
    #[serde(default)]
    pub fields: Map<String, Value>,
}

/// A case as answered: its state and its steps as events of the chain.
#[derive(Debug, Serialize)]
pub struct CaseView<T> {
    pub id: String,
    pub kind: CaseKind,
    pub subject: String,
    pub record: String,
    pub open: bool,
    pub due: Option<NaiveDate>,
    pub state: T,
    pub events: Vec<EventView>,
}

fn listing_id(record: &RecordId) -> String {
    format!("lst_{record}")
}

pub(super) fn refuse(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::with_message(ErrorCode::StepRefused, zh, en)
}

pub(super) fn forbidden(zh: &str, en: &str) -> ApiError {
    ApiError::with_message(ErrorCode::Forbidden, zh, en)
}

fn list_type<'a>(platform: &'a Platform, id: &str) -> Result<&'a ListType, ApiError> {
    platform.discipline.list(id).ok_or_else(|| {
        ApiError::with_message(
            ErrorCode::BadRequest,
            format!("没有名单类型 {id}"),
            format!("no list type `{id}`"),
        )
    })
}

/// A list type and the catalog item holding its entries.
fn list_and_item<'a>(
    platform: &'a Platform,
    id: &str,
) -> Result<(&'a ListType, &'a Item), ApiError> {
    let list = list_type(platform, id)?;
    let item = platform
        .catalog
        .item(&list.item)
        .ok_or_else(|| ApiError::internal("a list names a missing item"))?;
    Ok((list, item))
}

/// A listing case for a step only its listing unit (or the credit office) may take.
async fn listing_of_unit(
    state: &AppState,
    caller: &Caller,
    id: String,
    refusal_zh: &str,
    refusal_en: &str,
) -> Result<(StoredCase, Listing), ApiError> {
    let (case, listing) = load::<Listing>(state, id, CaseKind::Listing).await?;
    if !acts_for_unit(caller, &listing.proposal.unit) {
        return Err(forbidden(refusal_zh, refusal_en));
    }
    Ok((case, listing))
}

/// The entry's row: the unit's fields, then what the procedure fixes (subject, unit,
/// document, reasons, basis, dates, removal), parsed by the catalog like any row.
struct EntryRow<'a> {
    item: &'a Item,
    proposal: &'a Proposal,
    listed_on: NaiveDate,
    until: Option<NaiveDate>,
    removal: Option<(NaiveDate, &'a str)>,
    revoked: bool,
}

impl EntryRow<'_> {
    fn parse(&self, platform: &Platform) -> Result<Record, ApiError> {
        let item = self.item;
        let lookup = FieldLookup::new(item);
        let mut cells: Vec<Option<String>> = vec![None; item.fields.len()];
        for (code, value) in &self.proposal.fields {
            let position = lookup.field_of(code).ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::BadRequest,
                    format!("{}没有字段 {code}", item.name_zh),
                    format!("{} has no field `{code}`", item.name_en),
                )
            })?;
            cells[position] = Some(value.clone());
        }
        let roles = &item.roles;
        let mut set = |code: Option<&str>, value: String| {
            if let Some(position) = code.and_then(|c| item.field_index(c)) {
                cells[position] = Some(value);
            }
        };
        set(Some(&roles.uscc), self.proposal.subject.clone());
        set(
            Some(&roles.subject_name),
            self.proposal.subject_name.clone(),
        );
        set(Some(&roles.document_no), self.proposal.document_no.clone());
        set(Some(&roles.decision_date), self.listed_on.to_string());
        set(
            roles.source_unit.first().map(String::as_str),
            self.proposal.unit.clone(),
        );
        set(roles.list_reason.as_deref(), self.proposal.reasons.clone());
        set(roles.list_basis.as_deref(), self.proposal.basis.clone());
        if let Some(until) = self.until {
            set(roles.valid_to.as_deref(), until.to_string());
        }
        if let Some((on, why)) = self.removal {
            set(roles.ended_on.as_deref(), on.to_string());
            set(roles.removal_reason.as_deref(), why.to_owned());
        }
        if self.revoked {
            set(roles.status.as_deref(), "撤销".to_owned());
        }
        let cells: Vec<Option<&str>> = cells.iter().map(Option::as_deref).collect();
        let context = ParseContext {
            catalog_version: &platform.catalog.version,
            whitelist: &platform.whitelist,
            personal_key: &platform.personal_key,
            submitting_unit: Some(&self.proposal.unit),
            template: Template::Current,
        };
        item.parse_row(context, &cells)
            .map(|parsed| parsed.record)
            .map_err(|problems| {
                let zh: Vec<String> = problems.iter().map(|p| p.message_zh.clone()).collect();
                let en: Vec<String> = problems.iter().map(|p| p.message_en.clone()).collect();
                ApiError::with_message(
                    ErrorCode::BadRequest,
                    format!("名单记录不符合目录要求：{}", zh.join("；")),
                    format!("the entry does not meet the catalog: {}", en.join("; ")),
                )
            })
    }
}

pub async fn propose(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<ProposeRequest>,
) -> Result<Json<CaseView<Listing>>, ApiError> {
    let platform = &state.platform;
    let (list, item) = list_and_item(platform, &request.list)?;
    Listing::may_propose(list)?;
    let Some(unit) = caller.unit().map(str::to_owned) else {
        return Err(forbidden(
            "只有认定单位可以拟列入名单",
            "only a listing unit's key may propose a listing",
        ));
    };
    if !caller.principal.may_submit(&list.item) {
        return Err(forbidden(
            "该密钥所属单位无权认定此类名单",
            "this key's unit may not list on this list",
        ));
    }
    let on = platform.clock.today();
    let proposal = Proposal {
        subject: gongxin_codes::normalise(&request.subject),
        subject_name: request.subject_name.trim().to_owned(),
        unit,
        document_no: request.document_no.trim().to_owned(),
        reasons: request.reasons.trim().to_owned(),
        basis: request.basis.trim().to_owned(),
        fields: request
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), value_text(v)))
            .collect(),
    };
    // Parsed now, so that a proposal that could never become an entry is refused today.
    let record = EntryRow {
        item,
        proposal: &proposal,
        listed_on: on,
        until: None,
        removal: None,
        revoked: false,
    }
    .parse(platform)?;
    let id = record.id();
    let (listing, step) = Listing::propose(list, platform.calendar, id, proposal, on)?;
    let subject = record.subject.to_string();
    let case_id = listing_id(&id);
    let view = append(
        &state,
        &caller,
        CaseStepOwned {
            id: case_id,
            kind: CaseKind::Listing,
            event: EventKind::ListingProposed,
            subject,
            record: id,
            open: true,
            due: Some(listing.objection_due),
            payload: case_payload(&listing_id(&id), &step, &listing),
            expected_head: None,
            repaired_on: None,
        },
        Vec::new(),
    )
    .await?;
    Ok(Json(view))
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A [`CaseStep`] that owns its strings, to cross into the writer's thread.
pub(super) struct CaseStepOwned {
    pub id: String,
    pub kind: CaseKind,
    pub event: EventKind,
    pub subject: String,
    pub record: RecordId,
    pub open: bool,
    pub due: Option<NaiveDate>,
    pub payload: String,
    pub expected_head: Option<u64>,
    pub repaired_on: Option<NaiveDate>,
}

impl CaseStepOwned {
    fn as_step(&self) -> CaseStep<'_> {
        CaseStep {
            id: &self.id,
            kind: self.kind,
            event: self.event,
            subject: &self.subject,
            record: self.record,
            open: self.open,
            due: self.due,
            payload: self.payload.clone(),
            expected_head: self.expected_head,
            repaired_on: self.repaired_on,
        }
    }
}

/// Appends a step (and the records it brings) as the caller, and answers the case as it is
/// after it.
pub(super) async fn append<T: serde::de::DeserializeOwned + Send + 'static>(
    state: &AppState,
    caller: &Caller,
    step: CaseStepOwned,
    records: Vec<Record>,
) -> Result<CaseView<T>, ApiError> {
    let actor_name = caller.actor_name();
    state
        .write(move |_, store| {
            let actor = Actor {
                name: &actor_name,
                at_us: now_us(),
            };
            store.append_case(
                &step.as_step(),
                &mut records.into_iter().map(PreparedRecord::new),
                &actor,
            )?;
            let case = store
                .case(&step.id)?
                .ok_or_else(|| ApiError::internal("a case vanished after its step"))?;
            case_view(store, case, true)
        })
        .await
}

pub(super) fn case_view<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    case: StoredCase,
    show_actor: bool,
) -> Result<CaseView<T>, ApiError> {
    let state = case_state::<T>(&case.payload)
        .ok_or_else(|| ApiError::internal(format!("case {} has an unreadable state", case.id)))?;
    let events = store
        .case_history(&case.id)?
        .iter()
        .map(|event| event_view(event, show_actor))
        .collect();
    Ok(CaseView {
        id: case.id,
        kind: case.kind,
        subject: case.subject,
        record: case.record.to_string(),
        open: case.open,
        due: case.due,
        state,
        events,
    })
}

/// Loads a case of `kind` and its state, for a step or a read.
pub(super) async fn load<T: serde::de::DeserializeOwned + Send + 'static>(
    state: &AppState,
    id: String,
    kind: CaseKind,
) -> Result<(StoredCase, T), ApiError> {
    state
        .read(move |_, store| {
            let case = store
                .case(&id)?
                .filter(|case| case.kind == kind)
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
            let value = case_state::<T>(&case.payload)
                .ok_or_else(|| ApiError::internal(format!("case {id} has an unreadable state")))?;
            Ok((case, value))
        })
        .await
}

/// Whether `caller` acts for `unit` (its own key) or is the credit office.
pub(super) fn acts_for_unit(caller: &Caller, unit: &str) -> bool {
    matches!(&caller.principal, Principal::Admin) || caller.unit() == Some(unit)
}

pub(super) fn acts_for_subject(caller: &Caller, subject: &str) -> bool {
    matches!(&caller.principal, Principal::Subject { code } if code == subject)
}

/// `GET /api/v1/listings/{id}`: the unit, the subject, the credit office and auditors.
pub async fn listing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView<Listing>>, ApiError> {
    let (case, listing) = load::<Listing>(&state, id, CaseKind::Listing).await?;
    let allowed = acts_for_unit(&caller, &listing.proposal.unit)
        || acts_for_subject(&caller, &case.subject)
        || matches!(caller.principal, Principal::Auditor);
    if !allowed {
        return Err(forbidden(
            "只有认定单位、当事人、信用办和审计人员可以查看名单认定案件",
            "only the listing unit, the subject, the credit office and auditors may read a listing case",
        ));
    }
    let show_actor = !matches!(caller.principal, Principal::Subject { .. });
    Ok(Json(
        state
            .read(move |_, store| case_view(store, case, show_actor))
            .await?,
    ))
}

/// `POST /api/v1/listings/{id}/objection`.
#[derive(Debug, Deserialize)]
pub struct GroundsRequest {
    pub grounds: String,
}

pub async fn object_to_listing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<GroundsRequest>,
) -> Result<Json<CaseView<Listing>>, ApiError> {
    let (case, listing) = load::<Listing>(&state, id, CaseKind::Listing).await?;
    if !acts_for_subject(&caller, &case.subject) {
        return Err(forbidden(
            "只有当事人可以对拟列入提出异议",
            "only the subject may object to a proposed listing",
        ));
    }
    let (next, step) = listing.object(state.platform.clock.today(), &request.grounds)?;
    let view = append(
        &state,
        &caller,
        next_step(&case, EventKind::ListingObjected, &next, &step)?,
        Vec::new(),
    )
    .await?;
    Ok(Json(view))
}

fn next_step(
    case: &StoredCase,
    event: EventKind,
    next: &Listing,
    step: &ListingStep,
) -> Result<CaseStepOwned, ApiError> {
    let open = matches!(next.status, gongxin_core::listing::ListingStatus::Proposed);
    Ok(CaseStepOwned {
        id: case.id.clone(),
        kind: CaseKind::Listing,
        event,
        subject: case.subject.clone(),
        record: case.record,
        open,
        due: open.then_some(next.objection_due),
        payload: case_payload(&case.id, step, next),
        expected_head: Some(case.head_seq),
        repaired_on: None,
    })
}

/// `POST /api/v1/listings/{id}/decision`.
#[derive(Debug, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum DecisionRequest {
    /// List from today (or a later `from`) until `until` (default: the list's maximum).
    List {
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
        note: Option<String>,
        answer: Option<String>,
    },
    Drop {
        note: String,
        answer: Option<String>,
    },
}

pub async fn decide_listing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<DecisionRequest>,
) -> Result<Json<CaseView<Listing>>, ApiError> {
    let (case, listing) = listing_of_unit(
        &state,
        &caller,
        id,
        "只有认定单位可以作出列入决定",
        "only the listing unit may decide",
    )
    .await?;
    let platform = &state.platform;
    let (list, item) = list_and_item(platform, &listing.list)?;
    let today = platform.clock.today();
    let decision = match request {
        DecisionRequest::List {
            from,
            until,
            note,
            answer,
        } => {
            if until.is_some() && item.roles.valid_to.is_none() {
                return Err(refuse(
                    format!("{}的记录至移出或最长期限届满为止，不设有效期", list.name_zh),
                    format!(
                        "{} entries last until removed or the maximum term; they take no end date",
                        list.name_en
                    ),
                ));
            }
            Decision::List {
                from: from.unwrap_or(today),
                until,
                note,
                answer,
            }
        }
        DecisionRequest::Drop { note, answer } => Decision::Drop { note, answer },
    };
    let (next, step) = listing.decide(list, today, decision)?;
    let records = match (next.in_force_from, next.until) {
        (Some(from), Some(until)) => vec![
            EntryRow {
                item,
                proposal: &next.proposal,
                listed_on: from,
                until: Some(until),
                removal: None,
                revoked: false,
            }
            .parse(platform)?,
        ],
        _ => Vec::new(),
    };
    check_same_record(&records, case.record)?;
    let view = append(
        &state,
        &caller,
        next_step(&case, EventKind::ListingDecided, &next, &step)?,
        records,
    )
    .await?;
    Ok(Json(view))
}

/// The entry a step writes must be the one the case is about.
fn check_same_record(records: &[Record], id: RecordId) -> Result<(), ApiError> {
    match records.iter().find(|r| r.id() != id) {
        Some(_) => Err(ApiError::internal(
            "an entry's natural key changed during its case",
        )),
        None => Ok(()),
    }
}

/// `POST /api/v1/listings/{id}/removal`.
#[derive(Debug, Deserialize)]
pub struct RemovalRequest {
    pub reason: RemovalReason,
    pub note: String,
}

pub async fn remove_listing(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<RemovalRequest>,
) -> Result<Json<CaseView<Listing>>, ApiError> {
    let (case, listing) = listing_of_unit(
        &state,
        &caller,
        id,
        "只有认定单位可以决定移出",
        "only the listing unit may remove an entry",
    )
    .await?;
    let platform = &state.platform;
    let (list, item) = list_and_item(platform, &listing.list)?;
    let today = platform.clock.today();
    let (next, step) = listing.remove(list, today, request.reason, &request.note)?;
    let removed_on = next.removed_on.unwrap_or(today);
    let why = format!("{}：{}", request.reason.name_zh(), request.note.trim());
    let record = EntryRow {
        item,
        proposal: &next.proposal,
        listed_on: next.in_force_from.unwrap_or(today),
        until: next.until.filter(|_| item.roles.valid_to.is_some()),
        removal: Some((removed_on, &why)),
        revoked: request.reason == RemovalReason::Revocation,
    }
    .parse(platform)?;
    let records = vec![record];
    check_same_record(&records, case.record)?;
    let view = append(
        &state,
        &caller,
        next_step(&case, EventKind::ListingRemoved, &next, &step)?,
        records,
    )
    .await?;
    Ok(Json(view))
}

/// `POST /api/v1/objections`: an objection to a record in force, by its subject or by
/// anyone else who states their standing, with evidence uploaded before.
#[derive(Debug, Deserialize)]
pub struct ObjectionRequest {
    pub record: String,
    pub grounds: String,
    /// Ids of attachments uploaded with `POST /api/v1/attachments`.
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Who objects: required from anyone but the subject.
    #[serde(default)]
    pub filer: Option<FilerRequest>,
}

#[derive(Debug, Deserialize)]
pub struct FilerRequest {
    pub name: String,
    pub contact: String,
    /// Their interest in the record: why it concerns them.
    #[serde(default)]
    pub standing: String,
    /// Sealed at once; shown masked to those who handle the objection, to nobody else.
    #[serde(default)]
    pub id_number: Option<String>,
}

/// What `POST /api/v1/objections` answers: the case to those who may read it, a receipt to
/// everyone else (a member of the public has no key to read the case with afterwards).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum FiledObjection {
    Case(Box<CaseView<Objection>>),
    Receipt(ObjectionReceipt),
}

#[derive(Debug, Serialize)]
pub struct ObjectionReceipt {
    pub id: String,
    pub filed_on: NaiveDate,
    pub forward_by: NaiveDate,
    pub decide_by: NaiveDate,
    pub decide_by_at_most: NaiveDate,
}

pub async fn file_objection(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<ObjectionRequest>,
) -> Result<Json<FiledObjection>, ApiError> {
    let record_id: RecordId = request
        .record
        .parse()
        .map_err(|e: String| ApiError::with_message(ErrorCode::BadRequest, e.clone(), e))?;
    let stored = state
        .read(move |_, store| {
            store
                .record(&record_id)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))
        })
        .await?;
    let subject = stored.record.subject.to_string();
    let source_unit = stored.record.key.source_unit.clone();
    if matches!(caller.principal, Principal::Auditor) {
        return Err(forbidden(
            "审计人员不提出异议",
            "auditors review objections; they do not file them",
        ));
    }
    // The subject, or the credit office on its behalf when it names nobody else; anyone
    // else objects in their own right and must say why the record concerns them.
    let on_behalf = matches!(caller.principal, Principal::Admin) && request.filer.is_none();
    let filed_as = if acts_for_subject(&caller, &subject) || on_behalf {
        FiledAs::Subject
    } else {
        FiledAs::ThirdParty
    };
    if stored.status == RecordStatus::Revoked {
        return Err(refuse("该记录已撤销", "the record has been revoked"));
    }
    let attachments = super::attachments::checked(&state, request.attachments).await?;
    let today = state.platform.clock.today();
    let filed_by = caller
        .key_id
        .clone()
        .unwrap_or_else(|| caller.principal.role().to_owned());
    let id = objection_id(&stored.id, &filed_by, now_us());
    let filer = request.filer.as_ref().map(|f| FilerDetails {
        name: &f.name,
        contact: &f.contact,
        standing: &f.standing,
        id_number: f.id_number.as_deref(),
    });
    let (objection, step) = Objection::file(
        state.platform.calendar,
        &state.config.objection_deadlines(),
        Filing {
            id: id.clone(),
            record: stored.id,
            subject: subject.clone(),
            filed_by,
            filed_as,
            on: today,
            grounds: &request.grounds,
            filer,
            attachments: attachments.clone(),
        },
        &state.platform.personal_key,
    )?;
    // Before the step: a case never lists an attachment its readers cannot find.
    super::attachments::reference(&state, &id, &subject, attachments).await?;
    let receipt = ObjectionReceipt {
        id: objection.id.clone(),
        filed_on: objection.filed_on,
        forward_by: objection.forward_by,
        decide_by: objection.decide_by,
        decide_by_at_most: objection.decide_by_at_most,
    };
    let view = append(
        &state,
        &caller,
        CaseStepOwned {
            payload: case_payload(&id, &step, &objection),
            id,
            kind: CaseKind::Objection,
            event: EventKind::ObjectionFiled,
            subject: subject.clone(),
            record: stored.id,
            open: true,
            due: Some(objection.decide_by),
            expected_head: None,
            repaired_on: None,
        },
        Vec::new(),
    )
    .await?;
    if may_read_case(&caller, &subject, &source_unit) {
        let view = objection_shown(&state, &caller, &source_unit, view);
        Ok(Json(FiledObjection::Case(Box::new(view))))
    } else {
        Ok(Json(FiledObjection::Receipt(receipt)))
    }
}

/// Whether `caller` may read a case about `subject` whose record comes from `source_unit`:
/// the subject, the source unit, the credit office and auditors. Also who may download the
/// attachments a case was filed with.
pub(super) fn may_read_case(caller: &Caller, subject: &str, source_unit: &str) -> bool {
    acts_for_unit(caller, source_unit)
        || acts_for_subject(caller, subject)
        || matches!(caller.principal, Principal::Auditor)
}

/// An objection case as `caller` sees it: the filer's contact and masked identity number
/// for those who handle it, the filer's name and standing only for everyone else.
fn objection_shown(
    state: &AppState,
    caller: &Caller,
    source_unit: &str,
    mut view: CaseView<Objection>,
) -> CaseView<Objection> {
    let reader = if acts_for_unit(caller, source_unit) {
        Reader::Handler
    } else {
        Reader::Other
    };
    view.state = view.state.shown_to(reader, &state.platform.personal_key);
    view
}

fn objection_id(record: &RecordId, filer: &str, at_us: i64) -> String {
    let key = NaturalKey {
        source_unit: filer.to_owned(),
        item: "objection".to_owned(),
        document_no: format!("{record}@{at_us}"),
    };
    format!("obj_{}", key.record_id())
}

/// `POST /api/v1/objections/{id}/decision`.
#[derive(Debug, Deserialize)]
pub struct ObjectionDecisionRequest {
    pub outcome: Outcome,
    pub reason: String,
}

pub async fn decide_objection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ObjectionDecisionRequest>,
) -> Result<Json<CaseView<Objection>>, ApiError> {
    let (case, objection, stored) = objection_of_source(&state, &caller, id).await?;
    let (next, step) = objection.decide(
        state.platform.clock.today(),
        request.outcome,
        &request.reason,
    )?;
    // Revocation is a change of the record itself; a correction arrives as a new version
    // from the source unit through submission.
    let records = match request.outcome {
        Outcome::Revoke => {
            let mut revoked = stored.record.clone();
            revoked.status = RecordStatus::Revoked;
            vec![revoked]
        }
        Outcome::Keep | Outcome::Correct => Vec::new(),
    };
    let step = objection_step(&case, EventKind::ObjectionDecided, &next, &step);
    let view = append(&state, &caller, step, records).await?;
    let source_unit = &stored.record.key.source_unit;
    Ok(Json(objection_shown(&state, &caller, source_unit, view)))
}

/// An objection case with its record, for a step only the record's source unit (or the
/// credit office) may take.
async fn objection_of_source(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> Result<(StoredCase, Objection, gongxin_store::StoredRecord), ApiError> {
    let (case, objection) = load::<Objection>(state, id, CaseKind::Objection).await?;
    let record_id = objection.record;
    let stored = state
        .read(move |_, store| {
            store
                .record(&record_id)?
                .ok_or_else(|| ApiError::internal("an objection's record vanished"))
        })
        .await?;
    if !acts_for_unit(caller, &stored.record.key.source_unit) {
        return Err(forbidden(
            "只有信息提供单位（或信用办）可以处理异议",
            "only the record's source unit (or the credit office) may handle the objection",
        ));
    }
    Ok((case, objection, stored))
}

/// The step after `case`'s head, with the objection's state after it.
fn objection_step(
    case: &StoredCase,
    event: EventKind,
    next: &Objection,
    step: &gongxin_core::objection::ObjectionStep,
) -> CaseStepOwned {
    CaseStepOwned {
        id: case.id.clone(),
        kind: CaseKind::Objection,
        event,
        subject: case.subject.clone(),
        record: case.record,
        open: next.is_open(),
        due: next.is_open().then_some(next.decide_by),
        payload: case_payload(&case.id, step, next),
        expected_head: Some(case.head_seq),
        repaired_on: None,
    }
}

/// `POST /api/v1/objections/{id}/forward`: the credit office routes it to the source unit.
pub async fn forward_objection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView<Objection>>, ApiError> {
    if !matches!(caller.principal, Principal::Admin) {
        return Err(forbidden(
            "只有信用办可以转交异议",
            "only the credit office forwards objections",
        ));
    }
    let (case, objection) = load::<Objection>(&state, id, CaseKind::Objection).await?;
    let (next, step) = objection.forward(state.platform.clock.today())?;
    let step = objection_step(&case, EventKind::ObjectionForwarded, &next, &step);
    let view = append(&state, &caller, step, Vec::new()).await?;
    // Only the credit office forwards: it handles every objection.
    Ok(Json(objection_shown(&state, &caller, "", view)))
}

/// `POST /api/v1/objections/{id}/extension`.
#[derive(Debug, Deserialize)]
pub struct ExtensionRequest {
    pub reason: String,
    pub until: NaiveDate,
}

pub async fn extend_objection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<ExtensionRequest>,
) -> Result<Json<CaseView<Objection>>, ApiError> {
    let (case, objection, stored) = objection_of_source(&state, &caller, id).await?;
    let (next, step) =
        objection.extend(state.platform.clock.today(), &request.reason, request.until)?;
    let step = objection_step(&case, EventKind::ObjectionExtended, &next, &step);
    let view = append(&state, &caller, step, Vec::new()).await?;
    let source_unit = &stored.record.key.source_unit;
    Ok(Json(objection_shown(&state, &caller, source_unit, view)))
}

/// `GET /api/v1/objections`: open objections with their deadlines — all of them for the
/// credit office, those about its own records for a department; `overdue=true` keeps the
/// overdue ones.
#[derive(Debug, Default, Deserialize)]
pub struct OpenObjectionsParams {
    #[serde(default)]
    overdue: bool,
}

#[derive(Debug, Serialize)]
pub struct OpenObjection {
    pub id: String,
    pub subject: String,
    pub record: String,
    pub source_unit: String,
    pub filed_on: NaiveDate,
    pub forward_by: NaiveDate,
    pub forwarded_on: Option<NaiveDate>,
    pub decide_by: NaiveDate,
    pub overdue: bool,
}

pub async fn open_objections(
    State(state): State<AppState>,
    caller: Caller,
    crate::error::QueryParams(params): crate::error::QueryParams<OpenObjectionsParams>,
) -> Result<Json<Vec<OpenObjection>>, ApiError> {
    caller.require_key("查看待办异议", "the objection list")?;
    let unit = match &caller.principal {
        Principal::Admin => None,
        Principal::Department { unit, .. } => Some(unit.clone()),
        _ => {
            return Err(forbidden(
                "只有信用办和信息提供单位可以查看待办异议",
                "only the credit office and source units see open objections",
            ));
        }
    };
    let today = state.platform.clock.today();
    let open = state
        .read(move |_, store| {
            let mut open = Vec::new();
            for case in store.open_cases(CaseKind::Objection)? {
                let Some(objection) = case_state::<Objection>(&case.payload) else {
                    continue;
                };
                let Some(stored) = store.record(&objection.record)? else {
                    continue;
                };
                let source_unit = stored.record.key.source_unit;
                if unit.as_ref().is_some_and(|unit| *unit != source_unit) {
                    continue;
                }
                let overdue = objection.is_overdue(today);
                if params.overdue && !overdue {
                    continue;
                }
                open.push(OpenObjection {
                    id: case.id,
                    subject: case.subject,
                    record: case.record.to_string(),
                    source_unit,
                    filed_on: objection.filed_on,
                    forward_by: objection.forward_by,
                    forwarded_on: objection.forwarded_on,
                    decide_by: objection.decide_by,
                    overdue,
                });
            }
            Ok(open)
        })
        .await?;
    Ok(Json(open))
}

/// `GET /api/v1/objections/{id}`.
pub async fn objection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseView<Objection>>, ApiError> {
    let (case, objection) = load::<Objection>(&state, id, CaseKind::Objection).await?;
    let record_id = objection.record;
    let source_unit = state
        .read(move |_, store| Ok(store.record(&record_id)?.map(|r| r.record.key.source_unit)))
        .await?
        .unwrap_or_default();
    if !may_read_case(&caller, &case.subject, &source_unit) {
        return Err(forbidden(
            "只有当事人、信息提供单位、信用办和审计人员可以查看异议",
            "only the subject, the source unit, the credit office and auditors may read an objection",
        ));
    }
    let show_actor = !matches!(caller.principal, Principal::Subject { .. });
    let view = state
        .read(move |_, store| case_view(store, case, show_actor))
        .await?;
    Ok(Json(objection_shown(&state, &caller, &source_unit, view)))
}
