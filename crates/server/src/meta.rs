//! Health, readiness, metrics and the API's own description.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Response};
use gongxin_core::record::RecordId;
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// `GET /healthz`: the process answers. Also the trivial endpoint benchmarks compare with.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the store answers a point query and the search index is open. (Not a
/// count: probes come every few seconds, and counting millions of rows takes most of one.)
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .read(|_, store| Ok(store.record(&RecordId([0; 16]))?))
        .await
        .map_err(|_| ApiError::new(ErrorCode::Unavailable))?;
    Ok(Json(json!({
        "status": "ready",
        "indexed_subjects": state.platform.search.num_subjects(),
        "catalog_version": state.platform.catalog.version,
    })))
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let indexed = state.platform.search.num_subjects() as f64;
    let text = state.metrics.render(&[(
        "gongxin_search_indexed_subjects",
        "Subjects in the search index.",
        indexed,
    )]);
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The OpenAPI 3 document, kept as a file beside the code it describes; a test checks that
/// every route is in it and every error code too.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /api/docs`: the API described for people, from the same document.
pub async fn docs() -> Html<String> {
    let spec: Value = serde_json::from_str(OPENAPI).expect("the embedded OpenAPI document is JSON");
    let mut html = String::from(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>公信 API</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;\
         margin:auto;padding:1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .2em}\
         section{border-top:1px solid #ddd;padding:.5rem 0}.m{font-weight:bold;color:#a10}\
         </style></head><body>",
    );
    let info = &spec["info"];
    html.push_str(&format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/api/openapi.json\">openapi.json</a></p>",
        escape(info["title"].as_str().unwrap_or_default()),
        escape(info["description"].as_str().unwrap_or_default())
    ));
    if let Some(paths) = spec["paths"].as_object() {
        for (path, operations) in paths {
            for (method, operation) in operations.as_object().into_iter().flatten() {
                html.push_str(&format!(
                    "<section><p><span class=\"m\">{}</span> <code>{}</code></p><p>{}</p>",
                    method.to_uppercase(),
                    escape(path),
                    escape(operation["summary"].as_str().unwrap_or_default())
                ));
                if let Some(parameters) = operation["parameters"].as_array() {
                    html.push_str("<ul>");
                    for parameter in parameters {
                        html.push_str(&format!(
                            "<li><code>{}</code> ({}) {}</li>",
                            escape(parameter["name"].as_str().unwrap_or_default()),
                            escape(parameter["in"].as_str().unwrap_or_default()),
                            escape(parameter["description"].as_str().unwrap_or_default())
                        ));
                    }
                    html.push_str("</ul>");
                }
                html.push_str("</section>");
            }
        }
    }
    html.push_str("<h2>错误代码 / Error codes</h2><ul>");
    for code in ErrorCode::ALL {
        let (zh, en) = code.meaning();
        html.push_str(&format!(
            "<li><code>{}</code> HTTP {} — {} / {}</li>",
            code.as_str(),
            code.status().as_u16(),
            escape(zh),
            escape(en)
        ));
    }
    html.push_str("</ul></body></html>");
    Html(html)
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
