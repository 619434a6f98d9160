//! `GET /api/v1/inbox`: the case notices for the caller (see `crate::inbox`).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::email::{EmailView, own_email};
use crate::auth::Caller;
use crate::error::{ApiError, QueryParams};
use crate::inbox::{Notice, inbox};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct InboxParams {
    #[serde(default)]
    limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct Inbox {
    pub notices: Vec<Notice>,
    /// How many of them are overdue.
    pub overdue: usize,
    /// The address the caller's party gets these notices at by e-mail, if it set one.
    pub email: Option<EmailView>,
}

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1_000;

pub async fn notices(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams<InboxParams>,
) -> Result<Json<Inbox>, ApiError> {
    caller.require_key("消息", "the inbox")?;
    let today = state.platform.clock.today();
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let principal = caller.principal.clone();
    let (notices, email) = state
        .read(move |state, store| {
            Ok((
                inbox(store, &principal, today, limit)?,
                own_email(state, store, &principal)?,
            ))
        })
        .await?;
    let overdue = notices.iter().filter(|n| n.overdue).count();
    Ok(Json(Inbox {
        notices,
        overdue,
        email,
    }))
}
