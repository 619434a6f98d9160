//! The self-service forms as they arrive: `multipart/form-data` read field by field, each file
//! read only up to what an attachment may be and stored at once through the attachments
//! endpoint's own handler (which recognises it by its content and refuses what it refuses for
//! the API, with the same messages).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::extract::multipart::{Field, Multipart};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};

use crate::api::attachments::{UploadParams, Uploaded, upload};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::state::AppState;

/// The longest text field, in bytes (grounds and statements run to a few pages at most).
const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Files one form may carry: as many as a case may cite.
pub const MAX_FILES: usize = 20;

/// A form as posted, its files already stored.
#[derive(Debug, Default)]
pub struct FormData {
    texts: Vec<(String, String)>,
    pub files: Vec<StoredFile>,
}

/// One file chosen in a file input, and what storing it answered.
#[derive(Debug)]
pub struct StoredFile {
    /// The input's name.
    pub field: String,
    pub filename: String,
    pub stored: Result<Uploaded, ApiError>,
}

impl FormData {
    /// The first value of text field `name`, or "".
    pub fn text(&self, name: &str) -> &str {
        self.texts
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of text field `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.texts
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

fn malformed(detail: impl std::fmt::Display) -> ApiError {
    ApiError::with_message(
        ErrorCode::BadRequest,
        format!("表单内容有误：{detail}"),
        format!("the form could not be read: {detail}"),
    )
}

fn too_large_form() -> ApiError {
    ApiError::with_message(
        ErrorCode::PayloadTooLarge,
        "提交的表单过大",
        "the form is too large",
    )
}

/// Reads every field of `multipart` as `caller`, storing each file chosen in an input that
/// `accepts` as soon as it is read, so that one file at most is held in memory; files of other
/// inputs are read and dropped. A file input left empty (no name, no content) is skipped; a
/// file larger than the attachment limit is cut one byte past it, for the attachments handler
/// to refuse. The whole form may not exceed room for [`MAX_FILES`] such files.
pub async fn read_form(
    mut multipart: Multipart,
    state: &AppState,
    caller: &Caller,
    accepts: impl Fn(&str) -> bool,
) -> Result<FormData, ApiError> {
    let file_limit =
        usize::try_from(state.config.max_attachment_mib * 1024 * 1024).unwrap_or(usize::MAX);
    let total_limit = (MAX_FILES + 1)
        .saturating_mul(file_limit.saturating_add(1))
        .saturating_add(MAX_TEXT_BYTES * 8);
    let mut total = 0usize;
    let mut form = FormData::default();
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(filename) => {
                let content_type = field.content_type().map(str::to_owned);
                let keep = if accepts(&name) {
                    file_limit.saturating_add(1)
                } else {
                    0
                };
                let (content, cut) = read_field(&mut field, keep, &mut total, total_limit).await?;
                if !accepts(&name) || (filename.is_empty() && content.is_empty() && !cut) {
                    continue;
                }
                if form.files.len() == MAX_FILES {
                    return Err(ApiError::with_message(
                        ErrorCode::BadRequest,
                        format!("一次最多提交 {MAX_FILES} 个文件"),
                        format!("at most {MAX_FILES} files at once"),
                    ));
                }
                let stored = store_file(state, caller, &filename, content_type, content).await;
                form.files.push(StoredFile {
                    field: name,
                    filename,
                    stored,
                });
            }
            None => {
                let (bytes, cut) =
                    read_field(&mut field, MAX_TEXT_BYTES, &mut total, total_limit).await?;
                if cut {
                    return Err(ApiError::with_message(
                        ErrorCode::PayloadTooLarge,
                        format!("文本内容过长（最多 {} KiB）", MAX_TEXT_BYTES / 1024),
                        format!("a text is too long (at most {} KiB)", MAX_TEXT_BYTES / 1024),
                    ));
                }
                let text = String::from_utf8(bytes).map_err(malformed)?;
                form.texts.push((name, text));
            }
        }
    }
    Ok(form)
}

/// The field's bytes, at most `keep` of them (the rest is read and dropped), and whether
/// some were dropped.
async fn read_field(
    field: &mut Field<'_>,
    keep: usize,
    total: &mut usize,
    total_limit: usize,
) -> Result<(Vec<u8>, bool), ApiError> {
    let mut bytes = Vec::new();
    let mut cut = false;
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        *total += chunk.len();
        if *total > total_limit {
            return Err(too_large_form());
        }
        let room = keep.saturating_sub(bytes.len());
        if chunk.len() > room {
            cut = true;
        }
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((bytes, cut))
}

/// Stores a file as `caller` through `POST /api/v1/attachments`' handler.
async fn store_file(
    state: &AppState,
    caller: &Caller,
    filename: &str,
    content_type: Option<String>,
    content: Vec<u8>,
) -> Result<Uploaded, ApiError> {
    let mut headers = HeaderMap::new();
    if let Some(value) = content_type
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
    {
        headers.insert(CONTENT_TYPE, value);
    }
    let Json(uploaded) = upload(
        State(state.clone()),
        caller.clone(),
        QueryParams(UploadParams {
            filename: filename.to_owned(),
        }),
        headers,
        Body::from(content),
    )
    .await?;
    Ok(uploaded)
}
