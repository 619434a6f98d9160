//! The one error type of the HTTP layer: a documented code, a status, and a message in
//! Chinese and English for the client; the cause goes to the log, never to the client.

use std::fmt;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gongxin_search::SearchError;
use gongxin_store::StoreError;
use serde_json::json;

/// Every error code a client can receive. The list is part of the API: codes are never
/// renamed, and `docs/api.md` and the OpenAPI document list them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    BadQuery,
    BadCode,
    UnknownItem,
    UnknownScenario,
    UnknownAttachment,
    PurposeRequired,
    InvalidKey,
    Forbidden,
    NotFound,
    Conflict,
    StepRefused,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Internal,
    Unavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::BadRequest,
        ErrorCode::BadQuery,
        ErrorCode::BadCode,
        ErrorCode::UnknownItem,
        ErrorCode::UnknownScenario,
        ErrorCode::UnknownAttachment,
        ErrorCode::PurposeRequired,
        ErrorCode::InvalidKey,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::StepRefused,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::BadCode => "bad_code",
            ErrorCode::UnknownItem => "unknown_item",
            ErrorCode::UnknownScenario => "unknown_scenario",
            ErrorCode::UnknownAttachment => "unknown_attachment",
            ErrorCode::PurposeRequired => "purpose_required",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::StepRefused => "step_refused",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::BadQuery
            | ErrorCode::BadCode
            | ErrorCode::UnknownItem
            | ErrorCode::UnknownScenario
            | ErrorCode::UnknownAttachment
            | ErrorCode::PurposeRequired => StatusCode::BAD_REQUEST,
            ErrorCode::InvalidKey => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::StepRefused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The general meaning, `(中文, English)`; a response may add a specific message.
    pub fn meaning(self) -> (&'static str, &'static str) {
        match self {
            ErrorCode::BadRequest => ("请求有误", "the request is malformed"),
            ErrorCode::BadQuery => ("查询条件有误", "the search query is not valid"),
            ErrorCode::BadCode => (
                "主体代码无效",
                "not a valid USCC, organisation code or registration number",
            ),
            ErrorCode::UnknownItem => ("目录中没有该信息事项", "the catalog has no such item"),
            ErrorCode::UnknownScenario => (
                "措施清单中没有该应用场景",
                "the measures list has no such scenario",
            ),
            ErrorCode::UnknownAttachment => (
                "没有该附件，请先上传（POST /api/v1/attachments）",
                "no such attachment; upload it first (POST /api/v1/attachments)",
            ),
            ErrorCode::PurposeRequired => (
                "查询非公开信息须说明用途（purpose 参数）",
                "reading non-public information requires a stated purpose (parameter `purpose`)",
            ),
            ErrorCode::InvalidKey => ("API 密钥无效或已吊销", "the API key is unknown or revoked"),
            ErrorCode::Forbidden => ("无权进行此操作", "the key's role does not allow this"),
            ErrorCode::NotFound => ("未找到", "not found"),
            ErrorCode::Conflict => (
                "数据已被他人更新，请重新读取后再操作",
                "someone changed this in the meantime; read it again and retry",
            ),
            ErrorCode::StepRefused => (
                "按照规定的程序和时限，此步骤现在不能进行",
                "the procedure or its deadlines do not allow this step now",
            ),
            ErrorCode::PayloadTooLarge => ("提交内容过大", "the submission is too large"),
            ErrorCode::UnsupportedMediaType => (
                "附件只接受 PDF、JPEG、PNG 文件",
                "attachments must be PDF, JPEG or PNG files",
            ),
            ErrorCode::RateLimited => (
                "请求过于频繁，请稍后再试",
                "too many requests; slow down and retry later",
            ),
            ErrorCode::Internal => ("服务器内部错误", "internal server error"),
            ErrorCode::Unavailable => ("服务暂不可用", "the service is not ready"),
        }
    }
}

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    /// A specific message replacing the code's general meaning.
    message: Option<(String, String)>,
    /// What went wrong inside, for the log only.
    cause: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: None,
            cause: None,
        }
    }

    pub fn with_message(code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code,
            message: Some((zh.into(), en.into())),
            cause: None,
        }
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        Self {
            code: ErrorCode::Internal,
            message: None,
            cause: Some(cause.to_string()),
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn messages(&self) -> (String, String) {
        match &self.message {
            Some((zh, en)) => (zh.clone(), en.clone()),
            None => {
                let (zh, en) = self.code.meaning();
                (zh.to_owned(), en.to_owned())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        if status.is_server_error() {
            tracing::error!(code = self.code.as_str(), cause = ?self.cause, "request failed");
        }
        let (zh, en) = self.messages();
        let body = json!({
            "error": { "code": self.code.as_str(), "message_zh": zh, "message_en": en }
        });
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(detail) => ApiError::with_message(
                ErrorCode::Conflict,
                format!("数据已被他人更新：{detail}"),
                format!("changed in the meantime: {detail}"),
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<gongxin_core::listing::ListingError> for ApiError {
    fn from(error: gongxin_core::listing::ListingError) -> Self {
        ApiError::with_message(
            ErrorCode::StepRefused,
            format!("{}（{}）", error.zh, error.code),
            format!("{} ({})", error.en, error.code),
        )
    }
}

impl From<gongxin_core::discipline::CheckError> for ApiError {
    fn from(error: gongxin_core::discipline::CheckError) -> Self {
        match error {
            gongxin_core::discipline::CheckError::UnknownScenario(id) => ApiError::with_message(
                ErrorCode::UnknownScenario,
                format!("措施清单中没有应用场景 {id}"),
                format!("the measures list has no scenario `{id}`"),
            ),
        }
    }
}

impl From<SearchError> for ApiError {
    fn from(error: SearchError) -> Self {
        match error {
            SearchError::Query(query) => ApiError::with_message(
                ErrorCode::BadQuery,
                format!("查询条件有误：{query}"),
                format!("bad search query: {query}"),
            ),
            other => ApiError::internal(other),
        }
    }
}

/// `Query<T>` whose rejection is an [`ApiError`], so that a malformed query string gets the
/// documented error body like every other 4xx.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| QueryParams(value))
            .map_err(|rejection| {
                let detail = rejection.body_text();
                ApiError::with_message(
                    ErrorCode::BadRequest,
                    format!("查询参数有误：{detail}"),
                    format!("bad query parameters: {detail}"),
                )
            })
    }
}

/// `Json<T>` whose rejection is an [`ApiError`].
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| JsonBody(value))
            .map_err(|rejection| {
                let detail = rejection.body_text();
                ApiError::with_message(
                    ErrorCode::BadRequest,
                    format!("请求内容不是有效的 JSON 或缺少字段：{detail}"),
                    format!("the body is not valid JSON of the expected shape: {detail}"),
                )
            })
    }
}
