//! Running a room: removing members, changing roles, bans.

use std::convert::Infallible;

use chat_wire::ErrorBody;
use chat_wire::api::{BanRequest, BansResponse, MemberResponse, SetRoleRequest};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, json, json_or_empty};
use super::{no_content, ok, respond};
use crate::error::ApiError;
use crate::service::moderation as service;
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
    limit: usize,
) -> BoxedFilter<(Response,)> {
    let remove = path!("api" / "v1" / "rooms" / i64 / "members" / String)
        .and(warp::delete())
        .and(ctx.clone())
        .then(remove_member);
    let set_role = path!("api" / "v1" / "rooms" / i64 / "members" / String)
        .and(warp::patch())
        .and(ctx.clone())
        .and(json(limit))
        .then(set_role);
    let ban = path!("api" / "v1" / "rooms" / i64 / "bans" / String)
        .and(warp::put())
        .and(ctx.clone())
        .and(json_or_empty(limit))
        .then(ban);
    let unban = path!("api" / "v1" / "rooms" / i64 / "bans" / String)
        .and(warp::delete())
        .and(ctx.clone())
        .then(unban);
    let bans = path!("api" / "v1" / "rooms" / i64 / "bans")
        .and(warp::get())
        .and(ctx)
        .then(list_bans);
    remove
        .or(set_role)
        .unify()
        .or(ban)
        .unify()
        .or(unban)
        .unify()
        .or(bans)
        .unify()
        .map(respond)
        .boxed()
}

/// Remove a member: the room's owner or admins (an admin only plain
/// members), or the member themselves. Logged as `member.left` with `by`.
#[utoipa::path(delete, path = "/api/v1/rooms/{room_id}/members/{username}", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("username" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not allowed by the room's rules (or a public room the caller is not in)", body = ErrorBody),
        (status = 404, description = "No such room or user, or the user is not a member", body = ErrorBody),
    ))]
pub async fn remove_member(room_id: i64, username: String, ctx: Ctx) -> Result<Response, ApiError> {
    service::remove(ctx.call().await?, room_id, &username).await?;
    no_content()
}

/// Change a member's role. Only the owner hands out admin or ownership;
/// making someone owner makes the current owner an admin; the last owner
/// cannot step down without naming a successor (409). Logged as
/// `member.updated`.
#[utoipa::path(patch, path = "/api/v1/rooms/{room_id}/members/{username}", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("username" = String, Path)),
    request_body = SetRoleRequest,
    responses(
        (status = 200, description = "The member with their new role", body = MemberResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not allowed by the room's rules", body = ErrorBody),
        (status = 404, description = "No such room or user, or the user is not a member", body = ErrorBody),
        (status = 409, description = "The last owner cannot step down without a successor", body = ErrorBody),
    ))]
pub async fn set_role(
    room_id: i64,
    username: String,
    ctx: Ctx,
    body: Body<SetRoleRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let member = service::set_role(call, room_id, &username, req.role).await?;
    ok(&MemberResponse { member })
}

/// Ban a user from the room (owner or admins): removed if present, and
/// refused when they join or are added (403). The body may be empty.
#[utoipa::path(put, path = "/api/v1/rooms/{room_id}/bans/{username}", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("username" = String, Path)),
    request_body = BanRequest,
    responses(
        (status = 204, description = "Banned"),
        (status = 400, description = "Banning oneself, or a reason too long", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not allowed by the room's rules", body = ErrorBody),
        (status = 404, description = "No such room or user", body = ErrorBody),
    ))]
pub async fn ban(
    room_id: i64,
    username: String,
    ctx: Ctx,
    body: Body<BanRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    service::ban(call, room_id, &username, req.reason.as_deref()).await?;
    no_content()
}

/// Lift a ban (owner or admins).
#[utoipa::path(delete, path = "/api/v1/rooms/{room_id}/bans/{username}", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("username" = String, Path)),
    responses(
        (status = 204, description = "Lifted"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an owner or admin of the room", body = ErrorBody),
        (status = 404, description = "No such room or user, or no such ban", body = ErrorBody),
    ))]
pub async fn unban(room_id: i64, username: String, ctx: Ctx) -> Result<Response, ApiError> {
    service::unban(ctx.call().await?, room_id, &username).await?;
    no_content()
}

/// The room's bans, newest first (owner or admins).
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/bans", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    responses(
        (status = 200, description = "The bans", body = BansResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an owner or admin of the room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
    ))]
pub async fn list_bans(room_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    let bans = service::bans(ctx.call().await?, room_id).await?;
    ok(&BansResponse { bans })
}
