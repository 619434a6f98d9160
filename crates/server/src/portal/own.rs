//! The self-service pages: sign-in, what is held about the subject (`/me`), the objection and
//! repair forms, a case, and the inbox. Each page acts as the key signed in ([`SignedIn`]) by
//! calling the API's own handlers, so that it can show and do exactly what that key could
//! through `/api/v1`, with the same checks and messages.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Form, Multipart, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use gongxin_core::access::Principal;
use gongxin_core::attachment::is_content_id;
use gongxin_core::repair::{ConditionKind, Given};
use serde::Deserialize;

use super::page::{Lang, Page, encode};
use super::session::{
    COOKIE_NAME, SameOrigin, Sessions, SignedIn, cleared_cookie, cookie, local_target, see_other,
    session_cookie,
};
use super::upload::{FormData, read_form};
use super::{Params, own_render, render};
use crate::api::cases::{self, FiledObjection, ObjectionRequest};
use crate::api::inbox::{InboxParams, notices};
use crate::api::me::{MeParams, me};
use crate::api::records::{RecordDetail, load_record};
use crate::api::repairs::{self, RepairOptions, RepairRequest};
use crate::auth::{Caller, key_of_digest, secret_digest};
use crate::error::{ApiError, ErrorCode, JsonBody, QueryParams};
use crate::state::AppState;

use own_render::{CaseShown, Context, Kept, ObjectionForm, Problem, RepairForm};

type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// A path of the portal in `lang`, for a `Location` header (not HTML-escaped).
fn local(path: &str, lang: Lang) -> String {
    if lang == Lang::En {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{path}{separator}lang=en")
    } else {
        path.to_owned()
    }
}

/// The page of case `id`.
pub fn case_path(id: &str) -> String {
    format!("/me/case/{}", encode(id))
}

/// A page addressed as `path` (for the language switch of a form shown again after a post).
fn page_at(lang: Lang, path: &str) -> Page {
    let uri: Uri = local(path, lang)
        .parse()
        .unwrap_or_else(|_| Uri::from_static("/"));
    Page::new(lang, &uri)
}

// ---------------------------------------------------------------------------------------
// Sign-in and sign-out.

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    next: String,
}

/// `GET /login?next=`: the form.
pub async fn login_form(uri: Uri, query: QueryPairs) -> Response {
    let params = Params::from(query);
    let page = Page::new(params.lang(), &uri).private();
    own_render::login(
        &page,
        params.get("next").unwrap_or_default(),
        None,
        params.get("signed_out").is_some(),
        StatusCode::OK,
    )
}

/// `POST /login`: checks the key as the API does, opens a session and goes on to the page
/// asked for (or `/me` for a subject, `/inbox` for a unit).
pub async fn login(
    State(state): State<AppState>,
    _: SameOrigin,
    Extension(sessions): Extension<Arc<Sessions>>,
    uri: Uri,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let lang = Lang::from_query(uri.query());
    let page = Page::new(lang, &uri).private();
    let Ok(Form(form)) = form else {
        return render::error(&page, &ApiError::new(ErrorCode::BadRequest));
    };
    let refuse = |error: ApiError| {
        let status = error.code().status();
        own_render::login(&page, &form.next, Some(&error), false, status)
    };
    let Some(digest) = secret_digest(&form.key) else {
        return refuse(ApiError::new(ErrorCode::InvalidKey));
    };
    let key = match key_of_digest(&state, digest).await {
        Ok(Some(key)) => key,
        Ok(None) => return refuse(ApiError::new(ErrorCode::InvalidKey)),
        Err(error) => return render::error(&page, &error),
    };
    let home = match key.principal {
        Principal::Subject { .. } => "/me",
        Principal::Department { .. } | Principal::Admin => "/inbox",
        Principal::Auditor | Principal::Public => {
            return refuse(ApiError::with_message(
                ErrorCode::Forbidden,
                "此处供信用主体、数据来源单位和信用办登录；审计人员请使用开放接口",
                "sign-in here is for subjects, source units and the credit office; auditors \
                 use the API",
            ));
        }
    };
    // A new session each time: a token seen before sign-in never becomes a signed-in one.
    if let Some(old) = cookie(&headers, COOKIE_NAME) {
        sessions.close(old);
    }
    let token = match sessions.open(digest, Instant::now()) {
        Ok(token) => token,
        Err(error) => return render::error(&page, &error),
    };
    let next = local_target(&form.next).map_or_else(|| local(home, lang), str::to_owned);
    let mut response = see_other(&next);
    response
        .headers_mut()
        .insert(SET_COOKIE, session_cookie(&token));
    response
}

/// `GET /logout`: a button to sign out (signing out is a post, so that no link or image on
/// another site can do it).
pub async fn logout_form(uri: Uri, query: QueryPairs) -> Response {
    let page = Page::new(Params::from(query).lang(), &uri).private();
    own_render::logout(&page)
}

/// `POST /logout`: ends the session and removes the cookie.
pub async fn logout(
    _: SameOrigin,
    Extension(sessions): Extension<Arc<Sessions>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = cookie(&headers, COOKIE_NAME) {
        sessions.close(token);
    }
    let mut response = see_other(&local("/login?signed_out=1", Lang::from_query(uri.query())));
    response.headers_mut().insert(SET_COOKIE, cleared_cookie());
    response
}

// ---------------------------------------------------------------------------------------
// What is held about the subject.

fn subject_only() -> ApiError {
    ApiError::with_message(
        ErrorCode::Forbidden,
        "只有市场主体本身的密钥可以使用此页面",
        "only a subject's own key may use this page",
    )
}

/// `GET /me?after=`: everything held about the subject, its cases and its inbox (`after`
/// pages the access log). A unit signed in is sent to its inbox.
pub async fn me_page(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
    query: QueryPairs,
) -> Response {
    let params = Params::from(query);
    let page = Page::new(params.lang(), &uri).signed_in(signed.account());
    if !matches!(signed.caller.principal, Principal::Subject { .. }) {
        return see_other(&local("/inbox", page.lang));
    }
    let after = params.number("after").map(|n| n as u64);
    let held = me(
        State(state.clone()),
        signed.caller.clone(),
        QueryParams(MeParams { after }),
    )
    .await;
    let inbox = notices(
        State(state.clone()),
        signed.caller.clone(),
        QueryParams(InboxParams::default()),
    )
    .await;
    match (held, inbox) {
        (Ok(held), Ok(inbox)) => own_render::me(
            &page,
            &held.0,
            &inbox.0,
            &state.platform,
            state.platform.clock.today(),
            after.is_some(),
        ),
        (Err(error), _) | (_, Err(error)) => render::error(&page, &error),
    }
}

/// `GET /inbox`: the case notices for any key signed in.
pub async fn inbox_page(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
    query: QueryPairs,
) -> Response {
    let page = Page::new(Params::from(query).lang(), &uri).signed_in(signed.account());
    match notices(
        State(state),
        signed.caller,
        QueryParams(InboxParams::default()),
    )
    .await
    {
        Ok(inbox) => own_render::inbox(&page, &inbox.0),
        Err(error) => render::error(&page, &error),
    }
}

/// The record `id`, when it is the signed-in subject's own.
async fn own_record(state: &AppState, caller: &Caller, id: &str) -> Result<RecordDetail, ApiError> {
    let Principal::Subject { code } = &caller.principal else {
        return Err(subject_only());
    };
    let id = id.trim();
    if id.is_empty() {
        return Err(ApiError::with_message(
            ErrorCode::BadRequest,
            "缺少要办理的记录（record 参数）",
            "which record? (parameter `record`)",
        ));
    }
    let detail = load_record(state, caller, id, None).await?;
    if detail.subject != *code {
        return Err(ApiError::with_message(
            ErrorCode::NotFound,
            format!("本主体没有记录 {id}"),
            format!("the subject has no record {id}"),
        ));
    }
    Ok(detail)
}

fn context(state: &AppState) -> Context<'_> {
    Context {
        today: state.platform.clock.today(),
        config: &state.config,
    }
}

/// A refusal as the form shows it.
fn problem(error: &ApiError) -> Problem {
    let (zh, en) = error.messages();
    Problem { zh, en }
}

/// Attachments already stored, as the form carries them on (`ID:NAME` values of the
/// checkboxes named `field`); anything else is dropped.
fn kept(form: &FormData, field: &str) -> Vec<Kept> {
    form.all(field)
        .filter_map(|value| value.split_once(':'))
        .filter(|(id, _)| is_content_id(id))
        .map(|(id, name)| Kept {
            id: id.to_owned(),
            filename: name.to_owned(),
        })
        .collect()
}

/// The files of `form` as stored, each under what `under` files it (files it answers `None`
/// for are left out), and the refusals, with the status of the first.
fn stored_files(
    form: &mut FormData,
    under: impl Fn(&str) -> Option<String>,
) -> (Vec<(String, Kept)>, Vec<Problem>, StatusCode) {
    let mut stored = Vec::new();
    let mut problems = Vec::new();
    let mut status = StatusCode::OK;
    for file in form.files.drain(..) {
        let Some(under) = under(&file.field) else {
            continue;
        };
        match file.stored {
            Ok(uploaded) => stored.push((
                under,
                Kept {
                    id: uploaded.id,
                    filename: uploaded.filename,
                },
            )),
            Err(error) => {
                if problems.is_empty() {
                    status = error.code().status();
                }
                let (zh, en) = error.messages();
                let name = &file.filename;
                problems.push(Problem {
                    zh: format!("文件“{name}”：{zh}"),
                    en: format!("File “{name}”: {en}"),
                });
            }
        }
    }
    (stored, problems, status)
}

/// The form posted, its files (in the inputs `accepts` names) stored as `caller`.
async fn form_of(
    multipart: Result<Multipart, MultipartRejection>,
    state: &AppState,
    caller: &Caller,
    accepts: impl Fn(&str) -> bool,
) -> Result<FormData, ApiError> {
    let multipart = multipart.map_err(|rejection| {
        let detail = rejection.body_text();
        ApiError::with_message(
            ErrorCode::BadRequest,
            format!("表单应以 multipart/form-data 提交：{detail}"),
            format!("the form must be sent as multipart/form-data: {detail}"),
        )
    })?;
    read_form(multipart, state, caller, accepts).await
}

// ---------------------------------------------------------------------------------------
// Objections.

/// `GET /me/objection?record=`: the form.
pub async fn objection_form(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
    query: QueryPairs,
) -> Response {
    let params = Params::from(query);
    let page = Page::new(params.lang(), &uri).signed_in(signed.account());
    let record = params.get("record").unwrap_or_default();
    match own_record(&state, &signed.caller, record).await {
        Ok(detail) => own_render::objection(
            &page,
            context(&state),
            &detail,
            &ObjectionForm::default(),
            &[],
            StatusCode::OK,
        ),
        Err(error) => render::error(&page, &error),
    }
}

/// `POST /me/objection`: stores the files, files the objection and shows its case; a refusal
/// shows the form again with the reason and everything given (the text, and the files
/// already stored, offered to keep).
pub async fn objection_submit(
    State(state): State<AppState>,
    _: SameOrigin,
    signed: SignedIn,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = Lang::from_query(uri.query());
    let page = Page::new(lang, &uri).signed_in(signed.account());
    if !matches!(signed.caller.principal, Principal::Subject { .. }) {
        return render::error(&page, &subject_only());
    }
    let accepts = |field: &str| field == "evidence";
    let mut form = match form_of(multipart, &state, &signed.caller, accepts).await {
        Ok(form) => form,
        Err(error) => return render::error(&page, &error),
    };
    let detail = match own_record(&state, &signed.caller, form.text("record")).await {
        Ok(detail) => detail,
        Err(error) => return render::error(&page, &error),
    };
    let page = page_at(
        lang,
        &format!("/me/objection?record={}", encode(&detail.record.id)),
    )
    .signed_in(signed.account());
    let mut shown = ObjectionForm {
        grounds: form.text("grounds").to_owned(),
        kept: kept(&form, "kept"),
    };
    let (stored, problems, status) = stored_files(&mut form, |_| Some(String::new()));
    shown.kept.extend(stored.into_iter().map(|(_, kept)| kept));
    if !problems.is_empty() {
        return own_render::objection(&page, context(&state), &detail, &shown, &problems, status);
    }
    let request = ObjectionRequest {
        record: detail.record.id.clone(),
        grounds: shown.grounds.clone(),
        attachments: shown.kept.iter().map(|k| k.id.clone()).collect(),
        filer: None,
    };
    match cases::file_objection(
        State(state.clone()),
        signed.caller.clone(),
        JsonBody(request),
    )
    .await
    {
        Ok(filed) => {
            let id = match filed.0 {
                FiledObjection::Case(view) => view.id,
                FiledObjection::Receipt(receipt) => receipt.id,
            };
            see_other(&local(&case_path(&id), lang))
        }
        Err(error) => own_render::objection(
            &page,
            context(&state),
            &detail,
            &shown,
            &[problem(&error)],
            error.code().status(),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Credit repair.

async fn repair_options(
    state: &AppState,
    caller: &Caller,
    record: &str,
) -> Result<RepairOptions, ApiError> {
    Ok(repairs::options(
        State(state.clone()),
        caller.clone(),
        Path(record.to_owned()),
    )
    .await?
    .0)
}

/// `GET /me/repair?record=`: whether and from when the record can be repaired, what it takes,
/// and the application form when it is open.
pub async fn repair_form(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
    query: QueryPairs,
) -> Response {
    let params = Params::from(query);
    let page = Page::new(params.lang(), &uri).signed_in(signed.account());
    let record = params.get("record").unwrap_or_default();
    let detail = match own_record(&state, &signed.caller, record).await {
        Ok(detail) => detail,
        Err(error) => return render::error(&page, &error),
    };
    match repair_options(&state, &signed.caller, &detail.record.id).await {
        Ok(options) => own_render::repair(
            &page,
            context(&state),
            &detail,
            &options,
            &RepairForm::default(),
            &[],
            StatusCode::OK,
        ),
        Err(error) => render::error(&page, &error),
    }
}

/// `POST /me/repair`: stores the evidence, applies, and shows the case; a refusal (too early,
/// a condition unmet, an application pending) shows the form again with the reason and
/// everything given.
pub async fn repair_submit(
    State(state): State<AppState>,
    _: SameOrigin,
    signed: SignedIn,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = Lang::from_query(uri.query());
    let page = Page::new(lang, &uri).signed_in(signed.account());
    if !matches!(signed.caller.principal, Principal::Subject { .. }) {
        return render::error(&page, &subject_only());
    }
    let accepts = |field: &str| field.starts_with("evidence.");
    let mut form = match form_of(multipart, &state, &signed.caller, accepts).await {
        Ok(form) => form,
        Err(error) => return render::error(&page, &error),
    };
    let detail = match own_record(&state, &signed.caller, form.text("record")).await {
        Ok(detail) => detail,
        Err(error) => return render::error(&page, &error),
    };
    let options = match repair_options(&state, &signed.caller, &detail.record.id).await {
        Ok(options) => options,
        Err(error) => return render::error(&page, &error),
    };
    let page = page_at(
        lang,
        &format!("/me/repair?record={}", encode(&detail.record.id)),
    )
    .signed_in(signed.account());
    let conditions = &options.eligibility.conditions;
    let mut shown = RepairForm {
        statement: form.text("statement").to_owned(),
        signed: form.all("signed").map(str::to_owned).collect(),
        kept: Vec::new(),
    };
    for condition in conditions {
        for kept in kept(&form, &format!("kept.{}", condition.id)) {
            shown.kept.push((condition.id.clone(), kept));
        }
    }
    let evidence: Vec<String> = conditions
        .iter()
        .filter(|c| c.kind == ConditionKind::Evidence)
        .map(|c| c.id.clone())
        .collect();
    // Evidence is filed under the condition its input names; a file sent under anything
    // else (no such input on the page) was stored but is cited by nothing.
    let (stored, problems, status) = stored_files(&mut form, |field| {
        field
            .strip_prefix("evidence.")
            .filter(|id| evidence.iter().any(|e| e == id))
            .map(str::to_owned)
    });
    shown.kept.extend(stored);
    if !problems.is_empty() {
        return own_render::repair(
            &page,
            context(&state),
            &detail,
            &options,
            &shown,
            &problems,
            status,
        );
    }
    let given: Vec<Given> = conditions
        .iter()
        .map(|condition| Given {
            condition: condition.id.clone(),
            attachments: shown
                .kept
                .iter()
                .filter(|(under, _)| *under == condition.id)
                .map(|(_, kept)| kept.id.clone())
                .collect(),
            signed: condition.kind == ConditionKind::Commitment
                && shown.signed.contains(&condition.id),
        })
        .filter(|given| given.signed || !given.attachments.is_empty())
        .collect();
    let request = RepairRequest {
        record: detail.record.id.clone(),
        statement: shown.statement.clone(),
        given,
    };
    match repairs::apply(
        State(state.clone()),
        signed.caller.clone(),
        JsonBody(request),
    )
    .await
    {
        Ok(view) => see_other(&local(&case_path(&view.0.id), lang)),
        Err(error) => own_render::repair(
            &page,
            context(&state),
            &detail,
            &options,
            &shown,
            &[problem(&error)],
            error.code().status(),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Cases.

/// `GET /me/case/{id}`: an objection, repair or listing case, to whoever the API lets read it.
pub async fn case_page(
    State(state): State<AppState>,
    signed: SignedIn,
    uri: Uri,
    Path(id): Path<String>,
    query: QueryPairs,
) -> Response {
    let page = Page::new(Params::from(query).lang(), &uri).signed_in(signed.account());
    let caller = signed.caller;
    let case = if id.starts_with("obj_") {
        cases::objection(State(state.clone()), caller, Path(id))
            .await
            .map(|view| CaseShown::Objection(view.0))
    } else if id.starts_with("rep_") {
        repairs::repair(State(state.clone()), caller, Path(id))
            .await
            .map(|view| CaseShown::Repair(view.0))
    } else if id.starts_with("lst_") {
        cases::listing(State(state.clone()), caller, Path(id))
            .await
            .map(|view| CaseShown::Listing(view.0))
    } else {
        Err(ApiError::new(ErrorCode::NotFound))
    };
    match case {
        Ok(case) => own_render::case(&page, &case, state.platform.clock.today(), &state.platform),
        Err(error) => render::error(&page, &error),
    }
}
