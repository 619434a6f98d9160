//! The portal: server-rendered HTML pages in Chinese with an English switch (`?lang=en`),
//! built from the same loaders and handlers as the API.
//!
//! The public pages (`/`, `/search`, `/entity/…`, `/record/…`) are always the public view:
//! they never look at an `Authorization` header or the session cookie, so neither a key nor a
//! sign-in can turn a web page into a non-public (and audited) read.
//!
//! The self-service pages (`/me`, `/me/objection`, `/me/repair`, `/me/case/…`, `/inbox`) are
//! for a key signed in at `/login` ([`session`]): a subject sees everything held about it,
//! objects and applies for credit repair; a unit sees its inbox. They act as that key through
//! the API's own handlers, and only they read the session cookie. Form posts from other sites
//! are refused.
//!
//! Pages carry no script and no external asset; a strict Content-Security-Policy says so to
//! the browser. Forms are plain HTML forms.

mod own;
mod own_render;
mod page;
mod render;
mod session;
mod upload;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Extension, FromRequestParts, Path, Query, State};
use axum::http::Uri;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use gongxin_core::access::Principal;
use gongxin_search::SearchQuery;

use crate::api::records::{RecordFilter, RecordQuery, load_record, load_records};
use crate::api::subjects::{load_profile, run_search};
use crate::auth::{Caller, client_address};
use crate::error::ApiError;
use crate::state::AppState;

use page::{Lang, Page};

/// Hits per page of search results, unless the request asks otherwise.
const PAGE_SIZE: usize = 20;
/// The largest page a request may ask for (the search index allows 100).
const MAX_PAGE_SIZE: usize = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/entity/{code}", get(entity))
        .route("/entity/{code}/records", get(entity_records))
        .route("/record/{id}", get(record))
        .route("/login", get(own::login_form).post(own::login))
        .route("/logout", get(own::logout_form).post(own::logout))
        .route("/me", get(own::me_page))
        // The forms carry files: their size is checked file by file as they are read
        // (`upload::read_form`), against the attachment limit in force.
        .route(
            "/me/objection",
            get(own::objection_form)
                .post(own::objection_submit)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/me/repair",
            get(own::repair_form)
                .post(own::repair_submit)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/me/case/{id}", get(own::case_page))
        .route("/inbox", get(own::inbox_page))
        .layer(Extension(Arc::new(session::Sessions::default())))
}

/// The query string as pairs, read leniently: a page never fails on its query string.
struct Params(Vec<(String, String)>);

impl Params {
    fn from(query: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Self {
        Params(query.map(|Query(pairs)| pairs).unwrap_or_default())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn lang(&self) -> Lang {
        Lang::from_param(self.get("lang"))
    }

    fn number(&self, name: &str) -> Option<usize> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }
}

/// The anonymous caller every portal page acts as, whatever key the request carries (the
/// rate limit in front treats portal requests as anonymous too).
struct PublicCaller(Caller);

impl FromRequestParts<AppState> for PublicCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        Ok(PublicCaller(Caller {
            principal: Principal::Public,
            key_id: None,
            client: client_address(parts, state.config.trust_forwarded_for),
        }))
    }
}

/// `GET /`: the search form and what the platform is.
async fn home(
    State(state): State<AppState>,
    uri: Uri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let params = Params::from(query);
    let page = Page::new(params.lang(), &uri);
    // From the search index, not a count of the store: the home page is the most visited
    // page, and counting millions of rows takes most of a second.
    render::home(&page, state.platform.search.num_subjects())
}

/// `GET /search?q=&type=&offset=&limit=`: the hits of a name or code search.
async fn search(
    State(state): State<AppState>,
    PublicCaller(caller): PublicCaller,
    uri: Uri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let params = Params::from(query);
    let page = Page::new(params.lang(), &uri);
    let form = render::SearchForm {
        q: params.get("q").unwrap_or_default().trim().to_owned(),
        subject_type: params
            .get("type")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
    };
    if form.q.is_empty() {
        return render::search_prompt(&page, &form);
    }
    let limit = params
        .number("limit")
        .unwrap_or(PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    let offset = params.number("offset").unwrap_or(0);
    let mut query = SearchQuery::new(form.q.clone());
    query.subject_type = form.subject_type.clone();
    query.limit = limit;
    query.offset = offset;
    let answer =
        tokio::task::spawn_blocking(move || run_search(&state, &caller.principal, query, false))
            .await
            .map_err(ApiError::internal)
            .and_then(|answer| answer);
    match answer {
        Ok(answer) => render::results(&page, &form, &answer, offset, limit),
        Err(error) => render::search_error(&page, &form, &error),
    }
}

/// `GET /entity/{code}`: a subject's basic information and its public records.
async fn entity(
    State(state): State<AppState>,
    PublicCaller(caller): PublicCaller,
    uri: Uri,
    Path(code): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let page = Page::new(Params::from(query).lang(), &uri);
    match load_profile(&state, &caller, &code, None).await {
        Ok(profile) => render::entity(&page, &profile),
        Err(error) => render::error(&page, &error),
    }
}

/// `GET /entity/{code}/records?category=&after=`: a catalog group's records of a subject, a
/// page at a time (the entity page shows the newest of each group).
async fn entity_records(
    State(state): State<AppState>,
    PublicCaller(caller): PublicCaller,
    uri: Uri,
    Path(code): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let params = Params::from(query);
    let page = Page::new(params.lang(), &uri);
    let filter = RecordFilter {
        category: params.get("category").map(str::to_owned),
        after: params.get("after").map(str::to_owned),
        limit: Some(PAGE_SIZE),
        ..RecordFilter::default()
    };
    let loaded = match RecordQuery::parse(&state, filter) {
        Ok(query) => load_records(&state, &caller, &code, query, None).await,
        Err(error) => Err(error),
    };
    let category = params.get("category").and_then(|id| {
        state
            .platform
            .catalog
            .categories
            .iter()
            .find(|c| c.id == id)
    });
    match loaded {
        Ok(list) => render::entity_records(&page, &list, category),
        Err(error) => render::error(&page, &error),
    }
}

/// `GET /record/{id}`: one record, its publication window and its history.
async fn record(
    State(state): State<AppState>,
    PublicCaller(caller): PublicCaller,
    uri: Uri,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let page = Page::new(Params::from(query).lang(), &uri);
    match load_record(&state, &caller, &id, None).await {
        Ok(detail) => render::record(&page, &detail),
        Err(error) => render::error(&page, &error),
    }
}

/// An error as a portal page, in the language the address asks for: what the application's
/// fallback and rate limit answer outside `/api`, where people rather than programs ask.
pub(crate) fn error_page(uri: &Uri, error: &ApiError) -> Response {
    let page = Page::new(Lang::from_query(uri.query()), uri);
    render::error(&page, error)
}
