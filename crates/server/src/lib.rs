//! The HTTP service of gongxin: the API under `/api/v1`, the public portal, health and
//! metrics. Handlers are thin: access rules come from `gongxin_core::access`, data from a
//! [`gongxin_store::Store`], search from [`gongxin_search::SearchIndex`].
//!
//! Built like the crates.io and docs.rs services: [`router`] builds the whole application
//! from an [`AppState`], so tests start it on port 0 with a data directory of their own.

mod api;
mod auth;
pub mod config;
pub mod discipline;
pub mod dispatch;
mod error;
pub mod federation;
mod inbox;
pub mod indexer;
mod limit;
pub mod mail;
mod meta;
mod metrics;
mod portal;
pub mod profiles;
mod state;
mod view;

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Uri;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

pub use api::subjects::{BuiltProfile, PROFILE_RECORDS_PER_GROUP, Profile, build_profile};
pub use auth::{NewKey, create_key};
pub use error::{ApiError, ErrorCode};
pub use state::{AppState, BoxedStore, Clock, Platform, StoreFactory};

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .route("/metrics", get(meta::metrics))
        .route("/api/openapi.json", get(meta::openapi))
        .route("/api/docs", get(meta::docs))
        .nest("/api/v1", api::router())
        .merge(portal::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_anonymous,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Addresses under `/api` (and the probes) are for programs and answer JSON; the rest are
/// the portal's and answer a page.
fn for_people(uri: &Uri) -> bool {
    let path = uri.path();
    !(path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics"))
}

fn error_response(uri: &Uri, error: ApiError) -> Response {
    if for_people(uri) {
        portal::error_page(uri, &error)
    } else {
        error.into_response()
    }
}

async fn not_found(uri: Uri) -> Response {
    error_response(&uri, ApiError::new(ErrorCode::NotFound))
}

/// Anonymous requests are rate limited per client address; keyed API calls are not, since
/// every key is known and revocable. The portal ignores keys, so all its pages are limited.
/// Health and metrics are for the operator's probes.
async fn limit_anonymous(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let probe = matches!(path, "/healthz" | "/readyz" | "/metrics");
    let anonymous = for_people(request.uri()) || !request.headers().contains_key(AUTHORIZATION);
    if !probe && anonymous {
        let (parts, body) = request.into_parts();
        let client = auth::client_address(&parts, state.config.trust_forwarded_for);
        if let Some(client) = client
            && let Err(wait) = state.limiter.check(client, Instant::now())
        {
            let mut response = error_response(&parts.uri, ApiError::new(ErrorCode::RateLimited));
            let seconds = wait.as_secs().max(1).to_string();
            if let Ok(value) = seconds.parse() {
                response.headers_mut().insert("retry-after", value);
            }
            return response;
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    next.run(request).await
}

/// Logs each request and counts it in the metrics, by route pattern (not raw path, which
/// would put subject codes into metric labels).
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .observe(&route, static_method(&method), status, took);
    tracing::info!(
        method = %method,
        route = %route,
        status,
        micros = took.as_micros() as u64,
        "request"
    );
    response
}

fn static_method(method: &axum::http::Method) -> &'static str {
    match *method {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight. Also keeps the search index following the store, delivers webhook
/// subscriptions (`dispatch`) and, with an SMTP relay set, mails case notices (`mail`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if state.config.smtp_relay.is_some() {
        mail::start(&state)
            .await
            .map_err(|e| std::io::Error::other(format!("preparing the mailer: {e:?}")))?;
    }
    let indexer = tokio::spawn(indexer::follow(
        state.clone(),
        Duration::from_millis(state.config.index_interval_ms.max(10)),
        state.platform.data_dir.clone(),
    ));
    let dispatcher = tokio::spawn(dispatch::follow(state.clone()));
    let profiles = tokio::spawn(profiles::follow(state.clone()));
    let mailer = state
        .config
        .smtp_relay
        .is_some()
        .then(|| tokio::spawn(mail::follow(state.clone())));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    // Answers go out as soon as they are written, not held back for the client's delayed
    // ACK when they span several segments.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    indexer.abort();
    dispatcher.abort();
    profiles.abort();
    if let Some(mailer) = mailer {
        mailer.abort();
    }
    served
}
