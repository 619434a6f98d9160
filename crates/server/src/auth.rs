//! Who is calling: an API key in `Authorization: Bearer …` names a principal; no key is the
//! public. Keys are random secrets of which only a SHA-256 digest is stored.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use gongxin_core::access::Principal;
use gongxin_store::{ApiKey, Store, StoreError};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Every secret starts with this, so that a leaked key is recognisable in logs and scanners.
const SECRET_PREFIX: &str = "gx_";

/// A freshly created key: its secret is shown once and never stored.
#[derive(Debug)]
pub struct NewKey {
    pub key: ApiKey,
    pub secret: String,
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

/// Creates and stores a key for `principal`.
pub fn create_key(
    store: &mut dyn Store,
    name: &str,
    principal: Principal,
    created_by: &str,
    at_us: i64,
) -> Result<NewKey, StoreError> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random)
        .map_err(|e| StoreError::Database(format!("no system randomness: {e}")))?;
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(random));
    let key = ApiKey {
        id: format!("k{}", &hex::encode(&digest(&secret)[..6])),
        name: name.to_owned(),
        principal,
        created_at_us: at_us,
        created_by: created_by.to_owned(),
        revoked_at_us: None,
    };
    store.add_key(&key, &digest(&secret))?;
    Ok(NewKey { key, secret })
}

/// The caller of a request, as established from its key and connection.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub key_id: Option<String>,
    pub client: Option<IpAddr>,
}

impl Caller {
    pub fn unit(&self) -> Option<&str> {
        match &self.principal {
            Principal::Department { unit, .. } => Some(unit),
            _ => None,
        }
    }

    /// Refuses an anonymous caller with 401 (`invalid_key`), saying what needs a key.
    pub fn require_key(&self, what_zh: &str, what_en: &str) -> Result<(), ApiError> {
        if self.principal == Principal::Public {
            return Err(ApiError::with_message(
                ErrorCode::InvalidKey,
                format!("{what_zh}需要 API 密钥"),
                format!("{what_en} requires an API key"),
            ));
        }
        Ok(())
    }

    /// The name events and audit entries record for this caller.
    pub fn actor_name(&self) -> String {
        match (&self.key_id, self.unit()) {
            (Some(key), Some(unit)) => format!("{unit} (key {key})"),
            (Some(key), None) => format!("{} (key {key})", self.principal.role()),
            (None, _) => "public".to_owned(),
        }
    }
}

/// The client's address: the connection's peer, or the first `X-Forwarded-For` entry when
/// the deployment says a proxy in front sets it.
pub fn client_address(parts: &Parts, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = client_address(parts, state.config.trust_forwarded_for);
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Ok(Caller {
                principal: Principal::Public,
                key_id: None,
                client,
            });
        };
        let digest = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .and_then(secret_digest)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidKey))?;
        match key_of_digest(state, digest).await? {
            Some(key) => Ok(Caller {
                principal: key.principal,
                key_id: Some(key.id),
                client,
            }),
            None => Err(ApiError::new(ErrorCode::InvalidKey)),
        }
    }
}

/// The digest a secret is stored under, if the text looks like a secret at all.
pub(crate) fn secret_digest(secret: &str) -> Option<[u8; 32]> {
    let secret = secret.trim();
    secret.starts_with(SECRET_PREFIX).then(|| digest(secret))
}

/// The key stored under `digest`, unless there is none or it was revoked: how a request's
/// key is checked, for the `Authorization` header and for the portal's sign-in alike.
pub(crate) async fn key_of_digest(
    state: &AppState,
    digest: [u8; 32],
) -> Result<Option<ApiKey>, ApiError> {
    let key = state
        .read(move |_, store| Ok(store.key_by_secret(&digest)?))
        .await?;
    Ok(key.filter(|key| key.revoked_at_us.is_none()))
}
