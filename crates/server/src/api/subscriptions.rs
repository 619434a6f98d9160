//! `/subscriptions`: webhook subscriptions of departments (the second channel of the one
//! event stream, next to the change feed), their deliveries — among them the dead letters —
//! and replay. The dispatcher (`crate::dispatch`) does the delivering.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use gongxin_core::access::Principal;
use gongxin_store::{Delivery, DeliveryQuery, DeliveryStatus, Subscription};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{audit_entry, now_us, record_audit};
use crate::auth::Caller;
use crate::dispatch::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};
use crate::error::{ApiError, ErrorCode, JsonBody, QueryParams};
use crate::state::AppState;
use crate::view::rfc3339;

/// Longest URL accepted.
const MAX_URL: usize = 2_000;
/// Deliveries per page unless the caller asks otherwise, and at most.
const DEFAULT_DELIVERIES: usize = 100;
const MAX_DELIVERIES: usize = 1_000;

/// `POST /api/v1/subscriptions`.
#[derive(Debug, Deserialize)]
pub struct SubscribeRequest {
    /// Where deliveries are POSTed: `http://` or `https://`.
    pub url: String,
    /// Scenario ids of the measures list the unit checks applicants in.
    #[serde(default)]
    pub scenarios: Vec<String>,
    /// Why the unit receives non-public information, as every such read states.
    pub purpose: String,
}

/// A subscription as answered.
#[derive(Debug, Serialize)]
pub struct SubscriptionView {
    pub id: String,
    pub unit: String,
    pub url: String,
    pub scenarios: Vec<String>,
    pub purpose: String,
    /// The log position when it was made: it is told about later events.
    pub after_seq: u64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            unit: s.unit,
            url: s.url,
            scenarios: s.scenarios,
            purpose: s.purpose,
            after_seq: s.after_seq,
            created_at: rfc3339(s.created_at_us),
            revoked_at: s.revoked_at_us.map(rfc3339),
        }
    }
}

/// How to check a delivery, told with the secret.
#[derive(Debug, Serialize)]
pub struct Signing {
    pub header: &'static str,
    pub scheme_zh: &'static str,
    pub scheme_en: &'static str,
    pub event_header: &'static str,
    pub delivery_header: &'static str,
}

const SIGNING: Signing = Signing {
    header: SIGNATURE_HEADER,
    scheme_zh: "sha256= 后接请求体的 HMAC-SHA256（十六进制），密钥为 secret 字符串的 UTF-8 字节",
    scheme_en: "sha256= followed by the hex HMAC-SHA256 of the request body, keyed with the UTF-8 bytes of `secret`",
    event_header: EVENT_HEADER,
    delivery_header: DELIVERY_HEADER,
};

/// A new subscription, with its signing secret: shown this once.
#[derive(Debug, Serialize)]
pub struct NewSubscription {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    pub secret: String,
    pub signing: Signing,
}

fn forbidden(zh: &str, en: &str) -> ApiError {
    ApiError::with_message(ErrorCode::Forbidden, zh, en)
}

fn bad_request(zh: String, en: String) -> ApiError {
    ApiError::with_message(ErrorCode::BadRequest, zh, en)
}

/// The unit of a department key: only departments subscribe.
fn department_unit(caller: &Caller) -> Result<String, ApiError> {
    caller.require_key("订阅推送", "a subscription")?;
    caller.unit().map(str::to_owned).ok_or_else(|| {
        forbidden(
            "只有部门密钥可以订阅推送",
            "only department keys may subscribe",
        )
    })
}

/// An absolute `http` or `https` URL with a host, no credentials and no fragment.
fn checked_url(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    let refuse = |why_zh: &str, why_en: &str| {
        bad_request(
            format!("推送地址无效（{why_zh}）：{text}"),
            format!("the delivery URL is not valid ({why_en}): {text}"),
        )
    };
    if text.len() > MAX_URL {
        return Err(refuse("过长", "too long"));
    }
    if text.contains(['#', ' ', '\t', '\n']) {
        return Err(refuse("不能含片段或空白", "no fragment or whitespace"));
    }
    let uri: Uri = text.parse().map_err(|_| refuse("不是 URL", "not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(refuse("须为 http 或 https", "must be http or https"));
    }
    let Some(authority) = uri.authority() else {
        return Err(refuse("缺少主机", "no host"));
    };
    if authority.as_str().contains('@') {
        return Err(refuse(
            "不能含用户名或密码",
            "no user name or password in it",
        ));
    }
    if authority.host().is_empty() {
        return Err(refuse("缺少主机", "no host"));
    }
    Ok(text.to_owned())
}

fn random_hex(bytes: usize) -> Result<String, ApiError> {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random).map_err(ApiError::internal)?;
    Ok(hex::encode(random))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<SubscribeRequest>,
) -> Result<Json<NewSubscription>, ApiError> {
    let unit = department_unit(&caller)?;
    let url = checked_url(&request.url)?;
    let purpose = request.purpose.trim().to_owned();
    if purpose.is_empty() {
        return Err(ApiError::new(ErrorCode::PurposeRequired));
    }
    let mut scenarios: Vec<String> = Vec::new();
    for scenario in &request.scenarios {
        let scenario = scenario.trim();
        if state.platform.discipline.scenario(scenario).is_none() {
            return Err(
                gongxin_core::discipline::CheckError::UnknownScenario(scenario.to_owned()).into(),
            );
        }
        if !scenarios.iter().any(|s| s == scenario) {
            scenarios.push(scenario.to_owned());
        }
    }
    let key_id = caller
        .key_id
        .clone()
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidKey))?;
    let id = format!("sub_{}", random_hex(8)?);
    let secret = format!("whsec_{}", random_hex(32)?);
    let stored_secret = secret.clone();
    let subscription = state
        .write(move |_, store| {
            let subscription = Subscription {
                id,
                unit,
                key_id,
                url,
                scenarios,
                purpose,
                after_seq: store.log_head()?,
                created_at_us: now_us(),
                revoked_at_us: None,
            };
            store.add_subscription(&subscription, &stored_secret)?;
            Ok(subscription)
        })
        .await?;
    let entry = audit_entry(
        &caller,
        "subscribe",
        None,
        Some(subscription.id.clone()),
        Some(subscription.purpose.clone()),
    );
    record_audit(&state, entry).await?;
    Ok(Json(NewSubscription {
        subscription: subscription.into(),
        secret,
        signing: SIGNING,
    }))
}

/// `GET /api/v1/subscriptions`.
#[derive(Debug, Serialize)]
pub struct SubscriptionList {
    pub subscriptions: Vec<SubscriptionView>,
}

/// A department's own subscriptions in force; the credit office sees every unit's.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SubscriptionList>, ApiError> {
    caller.require_key("订阅推送", "subscriptions")?;
    let unit = match &caller.principal {
        Principal::Department { unit, .. } => Some(unit.clone()),
        Principal::Admin => None,
        _ => {
            return Err(forbidden(
                "只有部门和信用办可以查看订阅",
                "only departments and the credit office may list subscriptions",
            ));
        }
    };
    let subscriptions = state
        .read(move |_, store| {
            Ok(store
                .subscriptions()?
                .into_iter()
                .filter(|s| s.revoked_at_us.is_none())
                .filter(|s| unit.as_ref().is_none_or(|unit| *unit == s.unit))
                .map(SubscriptionView::from)
                .collect())
        })
        .await?;
    Ok(Json(SubscriptionList { subscriptions }))
}

/// The subscription `id`, if `caller` may manage it (its unit, or the credit office) or —
/// with `read` — read about it (auditors too).
async fn owned(
    state: &AppState,
    caller: &Caller,
    id: String,
    read: bool,
) -> Result<Subscription, ApiError> {
    caller.require_key("订阅推送", "a subscription")?;
    let subscription = state
        .read(move |_, store| {
            store
                .subscription(&id)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))
        })
        .await?;
    let allowed = match &caller.principal {
        Principal::Admin => true,
        Principal::Auditor => read,
        Principal::Department { unit, .. } => *unit == subscription.unit,
        _ => false,
    };
    if !allowed {
        return Err(forbidden(
            "只有订阅单位和信用办可以管理该订阅",
            "only the subscribing unit and the credit office may manage this subscription",
        ));
    }
    Ok(subscription)
}

/// `DELETE /api/v1/subscriptions/{id}`: nothing more is delivered to it.
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let subscription = owned(&state, &caller, id, false).await?;
    if subscription.revoked_at_us.is_some() {
        return Err(ApiError::new(ErrorCode::NotFound));
    }
    let id = subscription.id.clone();
    let revoked = state
        .write(move |_, store| {
            store.revoke_subscription(&id, now_us())?;
            store
                .subscription(&id)?
                .ok_or_else(|| ApiError::internal("a subscription vanished"))
        })
        .await?;
    let entry = audit_entry(&caller, "unsubscribe", None, Some(revoked.id.clone()), None);
    record_audit(&state, entry).await?;
    Ok(Json(revoked.into()))
}

/// `GET /api/v1/subscriptions/{id}/deliveries?status=&after=&limit=`.
#[derive(Debug, Deserialize)]
pub struct DeliveriesParams {
    pub status: Option<String>,
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

/// One delivery as answered.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    pub id: u64,
    /// The event told (for a notice: the log position when it was made).
    pub seq: u64,
    pub kind: String,
    pub subject: String,
    pub record: Option<String>,
    /// For a notice: the day it speaks of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<chrono::NaiveDate>,
    /// Why the unit is told.
    pub reasons: Value,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// When it is tried next, while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub created_at: String,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            seq: d.seq,
            kind: d.kind,
            subject: d.subject,
            record: d.record.map(|r| r.to_string()),
            on: d.on,
            reasons: serde_json::from_str(&d.reasons).unwrap_or(Value::Null),
            next_attempt_at: (d.status == DeliveryStatus::Pending)
                .then(|| rfc3339(d.next_attempt_us)),
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            delivered_at: d.delivered_at_us.map(rfc3339),
            created_at: rfc3339(d.created_at_us),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryView>,
    /// The cursor for the next page (`after`): the last id answered, or `after`.
    pub next: u64,
}

pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<DeliveriesParams>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let status = params
        .status
        .as_deref()
        .map(|text| {
            DeliveryStatus::parse(text).ok_or_else(|| {
                bad_request(
                    format!("参数 status 应为 pending、delivered 或 dead：{text}"),
                    format!("parameter status must be pending, delivered or dead: {text}"),
                )
            })
        })
        .transpose()?;
    let subscription = owned(&state, &caller, id, true).await?;
    let after = params.after.unwrap_or(0);
    let query = DeliveryQuery {
        subscription: Some(subscription.id),
        status,
        after_id: after,
        limit: params
            .limit
            .unwrap_or(DEFAULT_DELIVERIES)
            .clamp(1, MAX_DELIVERIES),
    };
    let deliveries = state
        .read(move |_, store| Ok(store.deliveries(&query)?))
        .await?;
    let next = deliveries.last().map_or(after, |d| d.id);
    Ok(Json(DeliveryPage {
        deliveries: deliveries.into_iter().map(DeliveryView::from).collect(),
        next,
    }))
}

/// `POST /api/v1/subscriptions/{id}/replay`: `{}` (or no body) re-queues the dead letters;
/// `{"from_seq": N}` every delivery from log position N on.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    pub from_seq: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Replayed {
    pub subscription: String,
    pub requeued: u64,
}

pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Replayed>, ApiError> {
    let request: ReplayRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ReplayRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            bad_request(
                format!("请求内容不是有效的 JSON 或缺少字段：{e}"),
                format!("the body is not valid JSON of the expected shape: {e}"),
            )
        })?
    };
    let subscription = owned(&state, &caller, id, false).await?;
    if subscription.revoked_at_us.is_some() {
        return Err(ApiError::with_message(
            ErrorCode::StepRefused,
            "订阅已取消，不能重放",
            "the subscription was deleted; nothing is replayed to it",
        ));
    }
    let id = subscription.id.clone();
    let requeued = state
        .write(move |_, store| Ok(store.requeue_deliveries(&id, request.from_seq, now_us())?))
        .await?;
    Ok(Json(Replayed {
        subscription: subscription.id,
        requeued,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_urls_are_absolute_http_without_credentials() {
        for good in [
            "http://127.0.0.1:8080/hook",
            "https://credit.example.gov.cn/gongxin/push?token=1",
            " https://a.example ",
        ] {
            assert!(checked_url(good).is_ok(), "{good}");
        }
        for bad in [
            "ftp://example.com/",
            "/relative/path",
            "example.com/hook",
            "http://user:pass@example.com/",
            "https://example.com/#part",
            "http:///nohost",
            "javascript:alert(1)",
            "",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }
}
