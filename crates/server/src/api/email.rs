//! `/inbox/email` and `/inbox/mail`: the address a key holder's party gets its case notices
//! at by e-mail, and for the credit office the mails and their attempts (`crate::mail`
//! sends them).
//!
//! A subject's key sets its subject's address, a department's key its unit's, the credit
//! office's key the credit office's. An address is shown only to the keys of its own party
//! (a subject's to that subject's keys): the list of mails names parties, never addresses.

use axum::Json;
use axum::extract::State;
use gongxin_core::access::Principal;
use gongxin_store::{Contact, Mail, MailQuery, MailStatus, Party, Store};
use serde::{Deserialize, Serialize};

use super::{audit_entry, now_us, record_audit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, JsonBody, QueryParams};
use crate::mail::checked_address;
use crate::state::AppState;
use crate::view::rfc3339;

/// Mails per page unless the caller asks otherwise, and at most.
const DEFAULT_MAILS: usize = 100;
const MAX_MAILS: usize = 1_000;

/// `PUT /api/v1/inbox/email`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    pub address: String,
}

/// A party's address, as its own keys see it.
#[derive(Debug, Serialize)]
pub struct EmailView {
    pub party: Party,
    pub address: String,
    pub set_at: String,
    /// Whether the platform mails at all (an SMTP relay is configured).
    pub sending: bool,
}

impl EmailView {
    fn of(contact: Contact, sending: bool) -> Self {
        Self {
            party: contact.party,
            address: contact.address,
            set_at: rfc3339(contact.set_at_us),
            sending,
        }
    }
}

/// The party a principal acts for, for its e-mail; `None` for roles that have no inbox.
/// A subject's code is taken in its canonical form, as cases are.
pub(crate) fn party_of(
    store: &dyn Store,
    principal: &Principal,
) -> Result<Option<Party>, ApiError> {
    Ok(match principal {
        Principal::Subject { code } => Some(Party::Subject(store.subject_code(code)?)),
        Principal::Department { unit, .. } => Some(Party::Unit(unit.clone())),
        Principal::Admin => Some(Party::CreditOffice),
        Principal::Public | Principal::Auditor => None,
    })
}

/// The caller's own address, if its party set one.
pub(crate) fn own_email(
    state: &AppState,
    store: &dyn Store,
    principal: &Principal,
) -> Result<Option<EmailView>, ApiError> {
    let Some(party) = party_of(store, principal)? else {
        return Ok(None);
    };
    let sending = state.config.smtp_relay.is_some();
    Ok(store
        .contact(&party)?
        .map(|contact| EmailView::of(contact, sending)))
}

/// The caller's party, refusing the public and auditors.
async fn caller_party(state: &AppState, caller: &Caller) -> Result<Party, ApiError> {
    caller.require_key("邮件通知", "e-mail notification")?;
    let principal = caller.principal.clone();
    state
        .read(move |_, store| party_of(store, &principal))
        .await?
        .ok_or_else(|| {
            ApiError::with_message(
                ErrorCode::Forbidden,
                "审计人员没有消息，不接收邮件通知",
                "auditors have no inbox and get no e-mail notification",
            )
        })
}

fn audit_target(party: &Party) -> String {
    format!("{} {}", party.kind(), party.code())
}

fn party_subject(party: &Party) -> Option<&str> {
    match party {
        Party::Subject(code) => Some(code),
        Party::Unit(_) | Party::CreditOffice => None,
    }
}

/// `PUT /api/v1/inbox/email`: sets (or replaces) the address of the caller's party.
pub async fn set(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<EmailRequest>,
) -> Result<Json<EmailView>, ApiError> {
    let party = caller_party(&state, &caller).await?;
    let address = checked_address(&request.address).map_err(|(zh, en)| {
        ApiError::with_message(
            ErrorCode::BadRequest,
            format!("电子邮件地址无效：{zh}"),
            format!("not a valid e-mail address: {en}"),
        )
    })?;
    let contact = Contact {
        party: party.clone(),
        address,
        set_at_us: now_us(),
        set_by: caller
            .key_id
            .clone()
            .unwrap_or_else(|| caller.principal.role().to_owned()),
    };
    let stored = contact.clone();
    state
        .write(move |_, store| Ok(store.set_contact(&stored)?))
        .await?;
    let entry = audit_entry(
        &caller,
        "set_email",
        party_subject(&party),
        Some(audit_target(&party)),
        None,
    );
    record_audit(&state, entry).await?;
    Ok(Json(EmailView::of(
        contact,
        state.config.smtp_relay.is_some(),
    )))
}

#[derive(Debug, Serialize)]
pub struct Removed {
    pub party: Party,
    /// Whether there was an address to remove.
    pub removed: bool,
}

/// `DELETE /api/v1/inbox/email`: no more mail for the caller's party.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Removed>, ApiError> {
    let party = caller_party(&state, &caller).await?;
    let gone = party.clone();
    let removed = state
        .write(move |_, store| Ok(store.remove_contact(&gone)?))
        .await?;
    if removed {
        let entry = audit_entry(
            &caller,
            "remove_email",
            party_subject(&party),
            Some(audit_target(&party)),
            None,
        );
        record_audit(&state, entry).await?;
    }
    Ok(Json(Removed { party, removed }))
}

/// `GET /api/v1/inbox/mail?status=&after=&limit=`.
#[derive(Debug, Default, Deserialize)]
pub struct MailParams {
    pub status: Option<String>,
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

/// One mail as the credit office sees it: to whom (a party, never an address), about what,
/// and how its attempts went.
#[derive(Debug, Serialize)]
pub struct MailView {
    pub id: u64,
    pub party: Party,
    pub subject: String,
    pub case: String,
    /// The case event told.
    pub seq: u64,
    pub due: Option<chrono::NaiveDate>,
    pub status: MailStatus,
    pub attempts: u32,
    /// When it is tried next, while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
    pub created_at: String,
}

impl From<Mail> for MailView {
    fn from(m: Mail) -> Self {
        Self {
            id: m.id,
            party: m.party,
            subject: m.subject,
            case: m.case,
            seq: m.seq,
            due: m.due,
            next_attempt_at: (m.status == MailStatus::Pending).then(|| rfc3339(m.next_attempt_us)),
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            sent_at: m.sent_at_us.map(rfc3339),
            created_at: rfc3339(m.created_at_us),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MailPage {
    /// Whether the platform mails at all (an SMTP relay is configured).
    pub sending: bool,
    pub mails: Vec<MailView>,
    /// The cursor for the next page (`after`): the last id answered, or `after`.
    pub next: u64,
}

/// `GET /api/v1/inbox/mail`: the mails by id, for the credit office; `status=failed` the
/// ones given up on, with the error.
pub async fn mails(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<MailParams>,
) -> Result<Json<MailPage>, ApiError> {
    caller.require_key("邮件列表", "the list of mails")?;
    if caller.principal != Principal::Admin {
        return Err(ApiError::with_message(
            ErrorCode::Forbidden,
            "只有信用办可以查看邮件发送情况",
            "only the credit office may read the list of mails",
        ));
    }
    let status = params
        .status
        .as_deref()
        .map(|text| {
            MailStatus::parse(text).ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::BadRequest,
                    format!("参数 status 应为 pending、sent 或 failed：{text}"),
                    format!("parameter status must be pending, sent or failed: {text}"),
                )
            })
        })
        .transpose()?;
    let after = params.after.unwrap_or(0);
    let query = MailQuery {
        status,
        due_at_us: None,
        after_id: after,
        limit: params.limit.unwrap_or(DEFAULT_MAILS).clamp(1, MAX_MAILS),
    };
    let mails = state.read(move |_, store| Ok(store.mails(&query)?)).await?;
    let next = mails.last().map_or(after, |m| m.id);
    Ok(Json(MailPage {
        sending: state.config.smtp_relay.is_some(),
        mails: mails.into_iter().map(MailView::from).collect(),
        next,
    }))
}
