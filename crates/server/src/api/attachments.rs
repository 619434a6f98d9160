//! `/attachments`: evidence for objections (and credit-repair applications), uploaded by
//! anyone — a person objecting may have no key; the rate limit on anonymous requests holds
//! — and stored by the SHA-256 of its content. Served only to those who may read a case
//! filed with it, and every download is audited like any read beyond the public view.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use gongxin_core::attachment::{check_upload, is_content_id};
use gongxin_store::{NewAttachment, Store};
use serde::{Deserialize, Serialize};

use super::cases::may_read_case;
use super::submit::{sanitised_name, write_body};
use super::{PurposeParam, audit_entry, now_us, record_audit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::state::AppState;

/// Longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

#[derive(Debug, Deserialize)]
pub struct UploadParams {
    /// The file's name: its extension must fit the content (`.pdf`, `.jpg`/`.jpeg`, `.png`).
    pub(crate) filename: String,
}

/// `POST /api/v1/attachments` answers the id to cite in an objection or application.
#[derive(Debug, Serialize)]
pub struct Uploaded {
    /// The SHA-256 of the content, hex.
    pub id: String,
    /// The name as given (without any directory part).
    pub filename: String,
    pub media_type: &'static str,
    pub size: u64,
}

/// `POST /api/v1/attachments?filename=NAME`: the body is the file.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Uploaded>, ApiError> {
    let filename = sanitised_name(&params.filename)?;
    if filename.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::with_message(
            ErrorCode::BadRequest,
            format!("文件名过长（最多 {MAX_NAME_CHARS} 个字符）"),
            format!("the file name is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    let limit = state.config.max_attachment_mib * 1024 * 1024;
    let mut content = Vec::new();
    write_body(body, &mut content, limit)
        .await
        .map_err(|error| match error.code() {
            ErrorCode::PayloadTooLarge => too_large(state.config.max_attachment_mib),
            _ => error,
        })?;
    let declared_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let media_type = check_upload(&filename, declared_type, &content).map_err(|refusal| {
        let code = match refusal.code {
            "empty" => ErrorCode::BadRequest,
            _ => ErrorCode::UnsupportedMediaType,
        };
        ApiError::with_message(
            code,
            format!("{}（{}）", refusal.zh, refusal.code),
            format!("{} ({})", refusal.en, refusal.code),
        )
    })?;
    let uploader = caller
        .key_id
        .clone()
        .unwrap_or_else(|| caller.principal.role().to_owned());
    let size = content.len() as u64;
    let name = filename.clone();
    let stored = state
        .write(move |_, store| {
            Ok(store.add_attachment(&NewAttachment {
                filename: &name,
                media_type: media_type.as_str(),
                uploaded_at_us: now_us(),
                uploader: &uploader,
                content: &content,
            })?)
        })
        .await?;
    Ok(Json(Uploaded {
        id: stored.id,
        filename,
        media_type: media_type.as_str(),
        size,
    }))
}

/// Attachments one case may cite.
const MAX_PER_CASE: usize = 20;

/// The attachment ids a request cites, each stored, without repeats, in the order given;
/// the first unknown one is refused by name (`unknown_attachment`).
pub(super) async fn checked(state: &AppState, ids: Vec<String>) -> Result<Vec<String>, ApiError> {
    let ids = distinct(ids)?;
    state
        .read(move |_, store| {
            for id in &ids {
                known(store, id)?;
            }
            Ok(ids)
        })
        .await
}

/// Records that case `case` about `subject` cites the attachments `ids` (checked as
/// [`checked`] does, so that an unknown one is refused by name and nothing is recorded).
/// Call it before the case's step is appended: a case then never lists an attachment whose
/// readers cannot find it, and a reference whose step failed grants nothing, since a
/// download is checked against the case as the chain has it.
pub(super) async fn reference(
    state: &AppState,
    case: &str,
    subject: &str,
    ids: Vec<String>,
) -> Result<(), ApiError> {
    let ids = distinct(ids)?;
    if ids.is_empty() {
        return Ok(());
    }
    let (case, subject) = (case.to_owned(), subject.to_owned());
    state
        .write(move |_, store| {
            for id in &ids {
                known(&*store, id)?;
            }
            Ok(store.reference_attachments(&case, &subject, &ids, now_us())?)
        })
        .await
}

/// `ids` trimmed and in lower case, without repeats, at most [`MAX_PER_CASE`].
fn distinct(ids: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut unique: Vec<String> = Vec::new();
    for id in ids {
        let id = id.trim().to_ascii_lowercase();
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    if unique.len() > MAX_PER_CASE {
        return Err(ApiError::with_message(
            ErrorCode::BadRequest,
            format!("附件最多 {MAX_PER_CASE} 个"),
            format!("at most {MAX_PER_CASE} attachments"),
        ));
    }
    Ok(unique)
}

fn known(store: &dyn Store, id: &str) -> Result<(), ApiError> {
    if is_content_id(id) && store.attachment(id)?.is_some() {
        return Ok(());
    }
    Err(ApiError::with_message(
        ErrorCode::UnknownAttachment,
        format!("没有附件 {id}，请先上传（POST /api/v1/attachments）"),
        format!("no attachment `{id}`; upload it first (POST /api/v1/attachments)"),
    ))
}

fn too_large(limit_mib: u64) -> ApiError {
    ApiError::with_message(
        ErrorCode::PayloadTooLarge,
        format!("附件不得超过 {limit_mib} MiB"),
        format!("an attachment may not exceed {limit_mib} MiB"),
    )
}

/// `GET /api/v1/attachments/{id}`: the content with its media type, to whoever may read a
/// case filed with it (its subject, its record's source unit, the credit office, auditors);
/// departments and the credit office state a purpose, as for every read beyond the public
/// view, and each download is written to the audit log before it leaves.
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(purpose): QueryParams<PurposeParam>,
) -> Result<Response, ApiError> {
    if !is_content_id(&id) {
        return Err(ApiError::new(ErrorCode::NotFound));
    }
    let reader = caller.clone();
    let lookup = id.clone();
    let (attachment, granted) = state
        .read(move |_, store| {
            let attachment = store
                .attachment(&lookup)?
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
            // A reference only points at a case; the case as the chain has it must list the
            // attachment (by its id, which no other text can match by chance).
            for reference in store.attachment_references(&lookup)? {
                let Some(case) = store.case(&reference.case)? else {
                    continue;
                };
                if !case.payload.contains(lookup.as_str()) {
                    continue;
                }
                let source_unit = store
                    .record(&case.record)?
                    .map(|r| r.record.key.source_unit)
                    .unwrap_or_default();
                if may_read_case(&reader, &case.subject, &source_unit) {
                    return Ok((attachment, Some((case.subject, case.id))));
                }
            }
            Ok((attachment, None))
        })
        .await?;
    let Some((subject, case)) = granted else {
        return Err(ApiError::with_message(
            ErrorCode::Forbidden,
            "只有附件所属案件的当事人、信息提供单位、信用办和审计人员可以下载附件",
            "only the subject, the source unit, the credit office and auditors of a case filed \
             with this attachment may download it",
        ));
    };
    let purpose = purpose.check(&caller)?;
    let entry = audit_entry(
        &caller,
        "read_attachment",
        Some(&subject),
        Some(format!("{id} ({case})")),
        purpose,
    );
    record_audit(&state, entry).await?;
    let content = state
        .read(move |_, store| {
            store
                .attachment_content(&id)?
                .ok_or_else(|| ApiError::internal("an attachment vanished while read"))
        })
        .await?;
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&attachment.media_type).map_err(ApiError::internal)?,
    );
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&content_disposition(&attachment.filename))
            .map_err(ApiError::internal)?,
    );
    // Served as what it was checked to be, never re-guessed by a browser, never cached by
    // anyone in between.
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// `attachment; filename*=UTF-8''…` (RFC 6266), with a plain ASCII fallback name.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_offered_as_rfc_6266_says() {
        assert_eq!(
            content_disposition("缴款凭证 1.pdf"),
            "attachment; filename=\"_____1.pdf\"; filename*=UTF-8''%E7%BC%B4%E6%AC%BE%E5%87%AD%E8%AF%81%201.pdf"
        );
        assert_eq!(
            content_disposition("a\"b.png"),
            "attachment; filename=\"a_b.png\"; filename*=UTF-8''a%22b.png"
        );
    }
}
