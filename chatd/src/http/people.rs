//! People: the user directory, the caller's own sessions and avatar, and
//! whom they block.

use std::convert::Infallible;

use chat_wire::ErrorBody;
use chat_wire::api::{SessionsResponse, UserResponse, UsersQuery, UsersResponse};
use chat_wire::files::SetAvatarRequest;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, Query, json, query};
use super::{no_content, ok, respond};
use crate::error::ApiError;
use crate::service::blocks;
use crate::service::people as service;
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
    limit: usize,
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
        .and(ctx.clone())
        .then(end_session);
    let block = path!("api" / "v1" / "me" / "blocks" / String)
        .and(warp::put())
        .and(ctx.clone())
        .then(block_user);
    let unblock = path!("api" / "v1" / "me" / "blocks" / String)
        .and(warp::delete())
        .and(ctx.clone())
        .then(unblock_user);
    let blocked = path!("api" / "v1" / "me" / "blocks")
        .and(warp::get())
        .and(ctx.clone())
        .then(list_blocks);
    let set_avatar = path!("api" / "v1" / "me" / "avatar")
        .and(warp::put())
        .and(ctx.clone())
        .and(json(limit))
        .then(set_my_avatar);
    let clear_avatar = path!("api" / "v1" / "me" / "avatar")
        .and(warp::delete())
        .and(ctx)
        .then(clear_my_avatar);
    directory
        .or(sessions)
        .unify()
        .or(end)
        .unify()
        .or(block)
        .unify()
        .or(unblock)
        .unify()
        .or(blocked)
        .unify()
        .or(set_avatar)
        .unify()
        .or(clear_avatar)
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

/// Block a user: they can no longer open or write in a direct
/// conversation with the caller (a generic 403 that does not mention the
/// block), and their mentions of the caller do not count. Idempotent.
#[utoipa::path(put, path = "/api/v1/me/blocks/{username}", tag = "accounts",
    security(("bearer" = [])),
    params(("username" = String, Path)),
    responses(
        (status = 204, description = "Blocked (or already blocked)"),
        (status = 400, description = "Blocking oneself", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn block_user(username: String, ctx: Ctx) -> Result<Response, ApiError> {
    blocks::block(ctx.call().await?, &username).await?;
    no_content()
}

/// Lift a block (lifting one that is not there changes nothing).
#[utoipa::path(delete, path = "/api/v1/me/blocks/{username}", tag = "accounts",
    security(("bearer" = [])),
    params(("username" = String, Path)),
    responses(
        (status = 204, description = "Not blocked any more"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn unblock_user(username: String, ctx: Ctx) -> Result<Response, ApiError> {
    blocks::unblock(ctx.call().await?, &username).await?;
    no_content()
}

/// The users the caller has blocked, most recently blocked first.
#[utoipa::path(get, path = "/api/v1/me/blocks", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Blocked users", body = UsersResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_blocks(ctx: Ctx) -> Result<Response, ApiError> {
    let users = blocks::list(ctx.call().await?).await?;
    ok(&UsersResponse { users })
}

/// Set the caller's avatar: an image they uploaded (`POST /api/v1/files`),
/// shown through its thumbnail, which every user may then read. A null
/// `file_id` clears it.
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "accounts",
    security(("bearer" = [])),
    request_body = SetAvatarRequest,
    responses(
        (status = 200, description = "The profile with its new avatar", body = UserResponse),
        (status = 400, description = "`invalid_request`: file_id names no file the caller uploaded; `not_an_image`: the file is not a JPEG, PNG, WebP or GIF image", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn set_my_avatar(ctx: Ctx, body: Body<SetAvatarRequest>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let user = service::set_avatar(call, req.file_id).await?;
    ok(&UserResponse { user })
}

/// Remove the caller's avatar (removing none changes nothing).
#[utoipa::path(delete, path = "/api/v1/me/avatar", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile without an avatar", body = UserResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn clear_my_avatar(ctx: Ctx) -> Result<Response, ApiError> {
    let user = service::set_avatar(ctx.call().await?, None).await?;
    ok(&UserResponse { user })
}
