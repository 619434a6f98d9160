//! Search and subject profiles.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use gongxin_core::access::Principal;
use gongxin_core::value::mask_id;
use gongxin_search::SearchQuery;
use gongxin_store::Store;
use serde::{Deserialize, Serialize};

use super::{PurposeParam, audit_entry, record_audit};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode, QueryParams};
use crate::profiles::Answer;
use crate::state::{AppState, Platform};
use crate::view::{
    RecordGroup, RecordSelection, SubjectView, cursor_text, newest_visible, page_of, subject_view,
};

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: String,
    region: Option<String>,
    #[serde(rename = "type")]
    subject_type: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
    /// With a key allowed personal data: the purpose that lets the search match legal
    /// representatives' names and identity numbers (and has it audited).
    purpose: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SearchAnswer {
    /// Matches found; a lower bound when `exhaustive` is false (a very broad query stops
    /// counting, exact and prefix matches are never lost).
    pub total: u64,
    pub exhaustive: bool,
    pub hits: Vec<Hit>,
}

#[derive(Debug, Serialize)]
pub struct Hit {
    pub code: String,
    pub name: String,
    pub former_names: Vec<String>,
    pub old_codes: Vec<String>,
    pub region_code: Option<String>,
    pub subject_type: Option<String>,
    /// Every record held about the subject, public or not: for the credit office only. To
    /// anyone else the number would tell of records they may not see (a penalty past its
    /// publication, a revoked one, one not shared with their unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_count: Option<u64>,
    /// Which field matched: name, former_name, code, old_code or legal_representative.
    pub matched: &'static str,
    pub match_kind: &'static str,
}

/// Who may find subjects by their legal representative's name: roles that see personal data.
fn may_match_representatives(principal: &Principal) -> bool {
    matches!(principal, Principal::Admin | Principal::Department { .. })
}

/// 18 characters, 17 digits and a digit or `X`: the resident identity card layout.
pub(crate) fn looks_like_id_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X')
}

/// Runs a search; `personal` asks to match personal data too (legal representatives' names,
/// identity numbers), which only the roles allowed it get.
pub fn run_search(
    state: &AppState,
    principal: &Principal,
    params: SearchQuery,
    personal: bool,
) -> Result<SearchAnswer, ApiError> {
    let allowed = personal && may_match_representatives(principal);
    // An identity number is looked for by its keyed hash, the only form the index holds.
    let personal_id_hash = allowed
        .then(|| params.text.trim().to_ascii_uppercase())
        .filter(|text| looks_like_id_number(text))
        .map(|number| state.platform.personal_key.matching_hash(&number));
    let query = SearchQuery {
        match_legal_representatives: allowed,
        personal_id_hash,
        ..params
    };
    let results = state.platform.search.search(&query)?;
    Ok(SearchAnswer {
        total: results.total,
        exhaustive: results.exhaustive,
        hits: results
            .hits
            .into_iter()
            .map(|hit| Hit {
                code: hit.code,
                name: hit.name,
                former_names: hit.former_names,
                old_codes: hit.old_codes,
                region_code: hit.region_code,
                subject_type: hit.subject_type,
                record_count: (*principal == Principal::Admin).then_some(hit.record_count),
                matched: hit.matched.as_str(),
                match_kind: hit.match_kind.as_str(),
            })
            .collect(),
    })
}

/// `GET /api/v1/subjects?q=`: find subjects by any name or code.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<SearchParams>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let mut query = SearchQuery::new(params.q);
    query.region = params.region;
    query.subject_type = params.subject_type;
    if let Some(limit) = params.limit {
        query.limit = limit;
    }
    query.offset = params.offset.unwrap_or(0);
    // Matching people is reading personal data: only with a stated purpose, and audited.
    let purpose = params
        .purpose
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty() && may_match_representatives(&caller.principal))
        .map(str::to_owned);
    let personal = purpose.is_some();
    let asked = if looks_like_id_number(&query.text.trim().to_ascii_uppercase()) {
        mask_id(query.text.trim())
    } else {
        query.text.clone()
    };
    let searcher = state.clone();
    let principal = caller.principal.clone();
    let answer =
        tokio::task::spawn_blocking(move || run_search(&searcher, &principal, query, personal))
            .await
            .map_err(ApiError::internal)??;
    for hit in answer
        .hits
        .iter()
        .filter(|h| h.matched == "legal_representative")
    {
        let entry = audit_entry(
            &caller,
            "search_personal",
            Some(&hit.code),
            Some(asked.clone()),
            purpose.clone(),
        );
        record_audit(&state, entry).await?;
    }
    Ok(Json(answer))
}

#[derive(Debug, Serialize)]
pub struct Profile {
    #[serde(flatten)]
    pub subject: SubjectView,
    pub groups: Vec<RecordGroup>,
}

/// How many records of each catalog group a profile shows, newest first; the rest are a
/// page away (`GET /api/v1/subjects/{code}/records?category=&after=`), so that a profile
/// costs the same for a subject with five records and one with five thousand.
pub const PROFILE_RECORDS_PER_GROUP: usize = 10;

/// A profile as [`build_profile`] built it.
#[derive(Debug)]
pub struct BuiltProfile {
    pub profile: Profile,
    /// Whether it holds more than the public view: such reads are audited.
    pub beyond_public: bool,
    /// The first day after the one it was built for on which it may read otherwise (one of
    /// the subject's records enters or leaves publication), if any.
    pub changes_on: Option<NaiveDate>,
}

/// The profile of the subject with `code` (any of its codes) as `principal` may see it, with
/// up to `per_group` records of each catalog group: the work of the profile endpoint, without
/// HTTP, for the portal, the profile cache and the benchmarks.
pub fn build_profile(
    platform: &Platform,
    store: &dyn Store,
    principal: &Principal,
    code: &str,
    today: NaiveDate,
    per_group: usize,
) -> Result<BuiltProfile, ApiError> {
    let Some(subject) = store.subject(code)? else {
        return Err(not_found_subject(code));
    };
    let catalog = &platform.catalog;
    let per_group = per_group.max(1);
    // The newest of every item at once; each group then takes the newest of its items'.
    let selection = RecordSelection {
        items: catalog.items.iter().collect(),
        from: None,
        to: None,
        after: None,
        limit: per_group,
    };
    let newest = newest_visible(platform, store, principal, &subject.code, &selection, today)?;
    let mut views = newest.views;
    let mut groups = Vec::new();
    for category in &catalog.categories {
        let (in_group, rest) = views.into_iter().partition(|v| v.category == category.id);
        views = rest;
        let page = page_of(in_group, per_group);
        if !page.records.is_empty() {
            groups.push(RecordGroup {
                category: category.id.clone(),
                name_zh: category.name_zh.clone(),
                name_en: category.name_en.clone(),
                records: page.records,
                next: page.next.map(cursor_text),
            });
        }
    }
    let beyond_public = groups
        .iter()
        .flat_map(|g| &g.records)
        .any(|v| v.beyond_public);
    Ok(BuiltProfile {
        profile: Profile {
            subject: subject_view(&subject),
            groups,
        },
        beyond_public,
        changes_on: newest.changes_on,
    })
}

/// Looks up a subject by any of its codes and builds what `caller` may see of it, auditing
/// reads beyond the public view.
pub async fn load_profile(
    state: &AppState,
    caller: &Caller,
    code: &str,
    purpose: Option<String>,
) -> Result<Profile, ApiError> {
    let code = gongxin_codes::normalise(code);
    let principal = caller.principal.clone();
    let built = state
        .read(move |state, store| {
            build_profile(
                &state.platform,
                store,
                &principal,
                &code,
                state.platform.clock.today(),
                PROFILE_RECORDS_PER_GROUP,
            )
        })
        .await?;
    if built.beyond_public {
        let entry = audit_entry(
            caller,
            "read_profile",
            Some(&built.profile.subject.code),
            None,
            purpose,
        );
        record_audit(state, entry).await?;
    }
    Ok(built.profile)
}

pub fn not_found_subject(code: &str) -> ApiError {
    ApiError::with_message(
        ErrorCode::NotFound,
        format!("未找到代码为 {code} 的主体"),
        format!("no subject with code {code}"),
    )
}

/// `GET /api/v1/subjects/{code}`: basic information and the records the caller may see,
/// grouped as the catalog groups them. The public's answer comes from the profile cache
/// (`crate::profiles`) when it holds one.
pub async fn profile(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(code): Path<String>,
    QueryParams(purpose): QueryParams<PurposeParam>,
) -> Result<Response, ApiError> {
    let purpose = purpose.check(&caller)?;
    if caller.principal == Principal::Public {
        let json = [(header::CONTENT_TYPE, "application/json")];
        let vary = [(header::VARY, "accept-encoding")];
        return Ok(match crate::profiles::answer(&state, &code).await? {
            Answer::Gzip(gzip) if accepts_gzip(&headers) => {
                (json, vary, [(header::CONTENT_ENCODING, "gzip")], gzip).into_response()
            }
            answer => (json, vary, answer.into_json()?).into_response(),
        });
    }
    Ok(Json(load_profile(&state, &caller, &code, purpose).await?).into_response())
}

/// Whether the request's `Accept-Encoding` takes gzip (with a weight above zero).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}
