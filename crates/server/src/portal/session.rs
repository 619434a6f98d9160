//! Sign-in for the self-service pages: an API key given once in a form opens a session, named
//! by a random token in an `HttpOnly; SameSite=Strict; Path=/` cookie. Only the self-service
//! pages read the cookie ([`SignedIn`]); the public pages never do, and the API reads only the
//! `Authorization` header, so a cookie can neither widen a public page nor authorise an API
//! call.
//!
//! The cookie carries no `Secure` attribute, since the server itself speaks plain HTTP (as its
//! tests do); a deployment serves the portal through a TLS-terminating proxy, which should add
//! `Secure` (and HSTS). Sessions live in the server's memory: they hold the digest of the key
//! (never the key), end after [`IDLE`] without use or [`LIFETIME`] in all, end at once when the
//! key is revoked (each request checks the key as `crate::auth` does), and do not survive a
//! restart — one signs in again. The store keeps a SHA-256 of each token, not the token.
//!
//! Cross-site requests are refused on every form post ([`SameOrigin`]): besides the
//! `SameSite=Strict` cookie, a request whose `Origin` is not this host, or that the browser
//! marks `Sec-Fetch-Site: cross-site`/`same-site`, is refused before anything is read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use gongxin_core::access::Principal;
use sha2::{Digest, Sha256};

use super::page::{Account, Lang, encode};
use crate::auth::{Caller, client_address, key_of_digest};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "gx_session";
/// A session not used for this long ends.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after sign-in, however busy.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Expired sessions are swept when the table passes this size; beyond twice it, the oldest
/// sessions give way, so that signing in repeatedly cannot exhaust memory.
const SWEEP_ABOVE: usize = 10_000;

/// The open sessions of one application.
#[derive(Debug, Default)]
pub struct Sessions {
    open: Mutex<HashMap<[u8; 32], Session>>,
}

#[derive(Debug, Clone, Copy)]
struct Session {
    /// The SHA-256 digest of the key signed in with, as the store keeps it.
    key: [u8; 32],
    started: Instant,
    used: Instant,
}

impl Session {
    fn live(&self, now: Instant) -> bool {
        now.duration_since(self.used) < IDLE && now.duration_since(self.started) < LIFETIME
    }
}

fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    /// Opens a session for the key with `key_digest`; answers the token for the cookie.
    pub fn open(&self, key_digest: [u8; 32], now: Instant) -> Result<String, ApiError> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(ApiError::internal)?;
        let token = hex::encode(random);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= SWEEP_ABOVE {
            open.retain(|_, session| session.live(now));
        }
        if open.len() >= 2 * SWEEP_ABOVE
            && let Some(oldest) = open
                .iter()
                .min_by_key(|(_, session)| session.used)
                .map(|(id, _)| *id)
        {
            open.remove(&oldest);
        }
        open.insert(
            token_digest(&token),
            Session {
                key: key_digest,
                started: now,
                used: now,
            },
        );
        Ok(token)
    }

    /// The key digest of a live session, marking it used; an expired one is closed.
    fn touch(&self, token: &str, now: Instant) -> Option<[u8; 32]> {
        let id = token_digest(token);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let session = open.get_mut(&id)?;
        if !session.live(now) {
            open.remove(&id);
            return None;
        }
        session.used = now;
        Some(session.key)
    }

    pub fn close(&self, token: &str) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.remove(&token_digest(token));
    }
}

/// The value of cookie `name` among the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(token: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/"
    ))
    .expect("a hex token is a valid header value")
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("gx_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The sessions of the application a request came to (an extension of the portal's router).
pub fn sessions_of(parts: &Parts) -> Result<Arc<Sessions>, ApiError> {
    parts
        .extensions
        .get::<Arc<Sessions>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("the portal's sessions are not installed"))
}

/// A 303 to `location` (a path within the portal).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Where a sign-in may send the browser afterwards: a path of this site, never another site
/// (`//host`, `/\host`) and never the sign-in or sign-out pages themselves.
pub fn local_target(next: &str) -> Option<&str> {
    let next = next.trim();
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    (local && path != "/login" && path != "/logout").then_some(next)
}

/// What the header says about a signed-in key.
pub fn account_of(caller: &Caller) -> Account {
    let key = caller.key_id.as_deref().unwrap_or_default();
    let (who, subject) = match &caller.principal {
        Principal::Subject { code } => (code.clone(), true),
        Principal::Department { unit, .. } => (unit.clone(), false),
        other => (other.role().to_owned(), false),
    };
    Account {
        label: format!("{who} · {key}"),
        subject,
    }
}

/// The key signed in to the self-service pages: what [`crate::auth::Caller`] is for the API,
/// from the session cookie instead of the `Authorization` header. Without a live session the
/// request is sent to `/login`, which returns to the page asked for.
#[derive(Debug)]
pub struct SignedIn {
    pub caller: Caller,
}

impl SignedIn {
    pub fn account(&self) -> Account {
        account_of(&self.caller)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let sessions = sessions_of(parts).map_err(|e| super::error_page(&parts.uri, &e))?;
        let token = cookie(&parts.headers, COOKIE_NAME).map(str::to_owned);
        let key_digest = token
            .as_deref()
            .and_then(|token| sessions.touch(token, Instant::now()));
        let key = match key_digest {
            Some(key_digest) => key_of_digest(state, key_digest)
                .await
                .map_err(|e| super::error_page(&parts.uri, &e))?,
            None => None,
        };
        let Some(key) = key else {
            // Revoked since sign-in, or no session: the session (if any) ends here.
            if let Some(token) = &token {
                sessions.close(token);
            }
            return Err(to_login(&parts.method, &parts.uri, token.is_some()));
        };
        Ok(SignedIn {
            caller: Caller {
                principal: key.principal,
                key_id: Some(key.id),
                client: client_address(parts, state.config.trust_forwarded_for),
            },
        })
    }
}

/// A 303 to the sign-in form, which comes back to `uri` afterwards (to `/me` after a form
/// post, which cannot be repeated by a redirect); a stale cookie is removed.
fn to_login(method: &Method, uri: &Uri, stale_cookie: bool) -> Response {
    let english = Lang::from_query(uri.query()) == Lang::En;
    let back = if method == Method::GET || method == Method::HEAD {
        uri.path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned())
    } else if english {
        "/me?lang=en".to_owned()
    } else {
        "/me".to_owned()
    };
    let mut location = format!("/login?next={}", encode(&back));
    if english {
        location.push_str("&lang=en");
    }
    let mut response = see_other(&location);
    if stale_cookie {
        response.headers_mut().insert(SET_COOKIE, cleared_cookie());
    }
    response
}

/// A form post from this site's own pages. A post from another site is refused with 403
/// before anything in it is read: the browser says where it comes from in `Origin` (and in
/// `Sec-Fetch-Site`), which a page on another site cannot forge.
#[derive(Debug)]
pub struct SameOrigin;

/// Whether the request's `Origin` and `Sec-Fetch-Site`, when present, say it comes from a
/// page of this host. Without either (an older browser, a program) the cookie's
/// `SameSite=Strict` is what keeps other sites out.
pub fn from_this_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or_default();
        if !(site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none")) {
            return false;
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let origin = origin.to_str().unwrap_or_default().trim();
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    match (authority, host) {
        (Some(authority), Some(host)) => authority.eq_ignore_ascii_case(host.trim()),
        _ => false,
    }
}

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        if from_this_site(&parts.headers) {
            return Ok(SameOrigin);
        }
        Err(super::error_page(
            &parts.uri,
            &ApiError::with_message(
                ErrorCode::Forbidden,
                "拒绝来自其他网站的表单提交，请在本站页面上操作",
                "a form posted from another site is refused; use this site's own pages",
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_posts_from_this_host_pass() {
        let host = ("host", "credit.example.gov.cn:8080");
        assert!(from_this_site(&headers(&[host])));
        assert!(from_this_site(&headers(&[
            host,
            ("origin", "http://credit.example.gov.cn:8080")
        ])));
        assert!(from_this_site(&headers(&[
            host,
            ("origin", "https://Credit.Example.gov.cn:8080"),
            ("sec-fetch-site", "same-origin"),
        ])));
        for origin in [
            "http://evil.example.com",
            "http://credit.example.gov.cn:8081",
            "null",
            "credit.example.gov.cn:8080",
        ] {
            assert!(
                !from_this_site(&headers(&[host, ("origin", origin)])),
                "{origin}"
            );
        }
        assert!(!from_this_site(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!from_this_site(&headers(&[
            host,
            ("sec-fetch-site", "same-site")
        ])));
        assert!(!from_this_site(&headers(&[(
            "origin",
            "http://credit.example.gov.cn:8080"
        )])));
    }

    #[test]
    fn sign_in_returns_only_to_pages_of_this_site() {
        assert_eq!(local_target("/me?lang=en"), Some("/me?lang=en"));
        assert_eq!(
            local_target("/me/repair?record=ab"),
            Some("/me/repair?record=ab")
        );
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "me",
            "/login",
            "/logout?x=1",
            "/a\nb",
        ] {
            assert_eq!(local_target(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let map = headers(&[("cookie", "a=1; gx_session=abc ; b=2"), ("cookie", "c=3")]);
        assert_eq!(cookie(&map, COOKIE_NAME), Some("abc"));
        assert_eq!(cookie(&map, "c"), Some("3"));
        assert_eq!(
            cookie(&headers(&[("cookie", "gx_session=")]), COOKIE_NAME),
            None
        );
    }

    #[test]
    fn sessions_end_when_idle_or_old_or_closed() {
        let sessions = Sessions::default();
        let start = Instant::now();
        let token = sessions.open([7; 32], start).unwrap();
        assert_eq!(sessions.touch(&token, start), Some([7; 32]));
        assert_eq!(sessions.touch("nonsense", start), None);
        // Kept alive by use, up to its lifetime.
        let mut now = start;
        while now.duration_since(start) + IDLE / 2 < LIFETIME {
            now += IDLE / 2;
            assert_eq!(sessions.touch(&token, now), Some([7; 32]));
        }
        assert_eq!(sessions.touch(&token, start + LIFETIME), None);
        let idle = sessions.open([8; 32], start).unwrap();
        assert_eq!(sessions.touch(&idle, start + IDLE), None);
        let closed = sessions.open([9; 32], start).unwrap();
        sessions.close(&closed);
        assert_eq!(sessions.touch(&closed, start), None);
    }
}
