//! People: the user directory and the caller's own sessions.

use std::convert::Infallible;

use chat_wire::ErrorBody;
use chat_wire::api::{SessionsResponse, UsersQuery, UsersResponse};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Query, query};
use super::{no_content, ok, respond};
use crate::error::ApiError;
use crate::service::people as service;
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    let directory = path!("api" / "v1" / "users")
        .and(warp::get())
        .and(ctx.clone())
        .and(query())
        .then(directory);
    let sessions = path!("api" / "v1" / "me" / "sessions")
        .and(warp::get())
        .and(ctx.clone())
        .then(list_sessions);
    let end = path!("api" / "v1" / "me" / "sessions" / i64)
        .and(warp::delete())
        .and(ctx)
        .then(end_session);
    directory
        .or(sessions)
        .unify()
        .or(end)
        .unify()
        .map(respond)
        .boxed()
}

/// The user directory: active accounts whose username or display name
/// starts with `q`, ignoring case, by username.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    security(("bearer" = [])),
    params(UsersQuery),
    responses(
        (status = 200, description = "Matching accounts (disabled and deleted ones never)", body = UsersResponse),
        (status = 400, description = "Missing or over-long q, or limit out of range", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn directory(ctx: Ctx, query: Query<UsersQuery>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let q = query?;
    let users = service::directory(call, &q.q, q.limit).await?;
    ok(&UsersResponse { users })
}

/// The caller's live sessions, newest first; `current` marks the one
/// making this request.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's sessions", body = SessionsResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_sessions(ctx: Ctx) -> Result<Response, ApiError> {
    let sessions = service::sessions(ctx.call().await?).await?;
    ok(&SessionsResponse { sessions })
}

/// End one of the caller's sessions: its token stops working and its
/// WebSockets close with 4001 at once, on every instance.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session_id}", tag = "accounts",
    security(("bearer" = [])),
    params(("session_id" = i64, Path)),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No live session of the caller's with that id", body = ErrorBody),
    ))]
pub async fn end_session(session_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    service::end_session(ctx.call().await?, session_id).await?;
    no_content()
}
