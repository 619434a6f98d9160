//! Submissions: JSON batches and uploaded files, through the same pipeline as
//! `gongxin import`, answered with the per-row report.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use gongxin_core::catalog::Item;
use gongxin_ingest::import::{
    DEFAULT_BATCH_ROWS, DEFAULT_MAX_PROBLEMS, ImportOptions, ImportReport, Silent, import_files,
    import_source,
};
use gongxin_ingest::read::{Format, ReadOptions, open_reader};
use gongxin_store::Store;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::records::unknown_item;
use super::{audit_entry, now_us, record_audit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, JsonBody, QueryParams};
use crate::state::AppState;

/// `POST /api/v1/records`: a batch of records as JSON.
#[derive(Debug, Deserialize)]
pub struct RecordBatch {
    item: String,
    /// One object per row: field codes (or Chinese field names) to values.
    records: Vec<Map<String, Value>>,
}

/// The item, if the caller may submit it.
fn submittable<'a>(state: &'a AppState, caller: &Caller, item: &str) -> Result<&'a Item, ApiError> {
    let item = state
        .platform
        .catalog
        .item(item)
        .ok_or_else(|| unknown_item(item))?;
    if !caller.principal.may_submit(&item.id) {
        return Err(ApiError::with_message(
            ErrorCode::Forbidden,
            format!("该密钥无权报送 {}", item.name_zh),
            format!("this key may not submit {}", item.name_en),
        ));
    }
    Ok(item)
}

/// Runs `run` on the writer connection with the import options of `caller` for the item
/// `item_id` (checked by [`submittable`]): its unit limits the rows, its key is recorded.
async fn import_as<F>(
    state: &AppState,
    caller: &Caller,
    item_id: String,
    run: F,
) -> Result<ImportReport, ApiError>
where
    F: FnOnce(&mut dyn Store, &ImportOptions<'_>) -> Result<ImportReport, ApiError>
        + Send
        + 'static,
{
    let caller = caller.clone();
    state
        .write(move |state, store| {
            let platform = &state.platform;
            let item = platform
                .catalog
                .item(&item_id)
                .ok_or_else(|| unknown_item(&item_id))?;
            let actor = caller.actor_name();
            let options = ImportOptions {
                item,
                catalog_version: &platform.catalog.version,
                whitelist: &platform.whitelist,
                personal_key: &platform.personal_key,
                submitting_unit: caller.unit(),
                actor: &actor,
                batch_rows: DEFAULT_BATCH_ROWS,
                max_problems: DEFAULT_MAX_PROBLEMS,
            };
            run(store, &options)
        })
        .await
}

pub async fn records(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(batch): JsonBody<RecordBatch>,
) -> Result<Json<ImportReport>, ApiError> {
    let item_id = submittable(&state, &caller, &batch.item)?.id.clone();
    let mut lines = Vec::new();
    for record in &batch.records {
        serde_json::to_writer(&mut lines, record).map_err(ApiError::internal)?;
        lines.push(b'\n');
    }
    let report = import_as(&state, &caller, item_id, |store, options| {
        let source = open_reader(
            "records",
            Format::JsonLines,
            std::io::Cursor::new(lines),
            &ReadOptions::default(),
        )
        .map_err(|e| ApiError::with_message(ErrorCode::BadRequest, e.to_string(), e.to_string()))?;
        let mut report = ImportReport::default();
        report.files.push("records".to_owned());
        import_source(
            store,
            source,
            "records",
            options,
            &now_us,
            &mut Silent,
            &mut report,
        )
        .map_err(ApiError::internal)?;
        Ok(report)
    })
    .await?;
    let entry = audit_entry(&caller, "submit_records", None, Some(batch.item), None);
    record_audit(&state, entry).await?;
    Ok(Json(report))
}

#[derive(Debug, Deserialize)]
pub struct FileParams {
    item: String,
    /// The file's name: its extension tells the format (`.csv`, `.xlsx`, `.jsonl`).
    filename: String,
}

/// `POST /api/v1/files?item=&filename=`: the body is the file, as a department exports it.
/// It is spooled to disk as it arrives, so its size is bounded by the disk, not memory.
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<FileParams>,
    body: Body,
) -> Result<Json<ImportReport>, ApiError> {
    let item_id = submittable(&state, &caller, &params.item)?.id.clone();
    let name = sanitised_name(&params.filename)?;
    let uploads = state.platform.data_dir.join("uploads");
    std::fs::create_dir_all(&uploads).map_err(ApiError::internal)?;
    let spool = tempfile::Builder::new()
        .prefix("upload-")
        .tempdir_in(&uploads)
        .map_err(ApiError::internal)?;
    let path = spool.path().join(&name);
    let limit = state.config.max_upload_mib * 1024 * 1024;
    let mut spooled = tokio::fs::File::create(&path)
        .await
        .map_err(ApiError::internal)?;
    write_body(body, &mut spooled, limit).await?;
    drop(spooled);
    let report = import_as(&state, &caller, item_id, move |store, options| {
        let mut report = import_files(store, &[path.as_path()], options, &now_us, &mut Silent)
            .map_err(ApiError::internal)?;
        // The spool path means nothing to the department: report the name it sent.
        report.files = vec![name.clone()];
        for problem in &mut report.problems {
            problem.file.clone_from(&name);
        }
        Ok(report)
    })
    .await?;
    drop(spool);
    let entry = audit_entry(
        &caller,
        "submit_file",
        None,
        Some(params.item),
        Some(params.filename),
    );
    record_audit(&state, entry).await?;
    Ok(Json(report))
}

/// The last path component of a client-given name, so that it cannot point elsewhere.
pub(super) fn sanitised_name(name: &str) -> Result<String, ApiError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if base.is_empty() || base == "." || base == ".." {
        return Err(ApiError::with_message(
            ErrorCode::BadRequest,
            "缺少文件名（filename 参数）",
            "the file name (parameter `filename`) is missing",
        ));
    }
    Ok(base.to_owned())
}

/// How much of a refused body is still read (and dropped), and for how long, so that a
/// client that is still sending it reads the refusal rather than a reset connection. Past
/// either, the connection is cut.
const DRAIN_AT_MOST: u64 = 16 << 20;
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Copies a request body into `sink` as it arrives (a spool file, or memory for what is
/// small), refusing it with `payload_too_large` once it passes `limit` bytes.
pub(super) async fn write_body(
    body: Body,
    sink: &mut (impl AsyncWrite + Unpin),
    limit: u64,
) -> Result<(), ApiError> {
    use axum::body::HttpBody;
    let mut body = body;
    let mut written: u64 = 0;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| {
            ApiError::with_message(
                ErrorCode::BadRequest,
                "上传中断",
                format!("the upload broke off: {e}"),
            )
        })?;
        let Ok(data): Result<Bytes, _> = frame.into_data() else {
            continue;
        };
        written += data.len() as u64;
        if written > limit {
            let mut dropped: u64 = 0;
            let _ = tokio::time::timeout(DRAIN_FOR, async {
                while dropped <= DRAIN_AT_MOST
                    && let Some(Ok(frame)) =
                        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx))
                            .await
                {
                    dropped += frame.data_ref().map_or(0, |d| d.len() as u64);
                }
            })
            .await;
            return Err(ApiError::new(ErrorCode::PayloadTooLarge));
        }
        sink.write_all(&data).await.map_err(ApiError::internal)?;
    }
    sink.flush().await.map_err(ApiError::internal)?;
    Ok(())
}
