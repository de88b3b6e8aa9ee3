//! Rooms, membership and direct conversations.

use std::convert::Infallible;

use chat_wire::ErrorBody;
use chat_wire::api::{
    CreateRoomRequest, MemberResponse, MembersResponse, RoomResponse, RoomsResponse,
    UpdateRoomRequest, UsernameRequest,
};
use chat_wire::files::SetAvatarRequest;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, json};
use super::{created, json_reply, no_content, ok, respond};
use crate::error::ApiError;
use crate::service::members;
use crate::service::rooms::{self, NewRoom};
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
    limit: usize,
) -> BoxedFilter<(Response,)> {
    let create = path!("api" / "v1" / "rooms")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(create_room);
    let list = path!("api" / "v1" / "rooms")
        .and(warp::get())
        .and(ctx.clone())
        .then(list_rooms);
    let public = path!("api" / "v1" / "rooms" / "public")
        .and(warp::get())
        .and(ctx.clone())
        .then(list_public_rooms);
    let get = path!("api" / "v1" / "rooms" / i64)
        .and(warp::get())
        .and(ctx.clone())
        .then(get_room);
    let update = path!("api" / "v1" / "rooms" / i64)
        .and(warp::patch())
        .and(ctx.clone())
        .and(json(limit))
        .then(update_room);
    let join = path!("api" / "v1" / "rooms" / i64 / "join")
        .and(warp::post())
        .and(ctx.clone())
        .then(join_room);
    let leave = path!("api" / "v1" / "rooms" / i64 / "leave")
        .and(warp::post())
        .and(ctx.clone())
        .then(leave_room);
    let add = path!("api" / "v1" / "rooms" / i64 / "members")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(add_member);
    let members = path!("api" / "v1" / "rooms" / i64 / "members")
        .and(warp::get())
        .and(ctx.clone())
        .then(list_members);
    let set_avatar = path!("api" / "v1" / "rooms" / i64 / "avatar")
        .and(warp::put())
        .and(ctx.clone())
        .and(json(limit))
        .then(set_room_avatar);
    let clear_avatar = path!("api" / "v1" / "rooms" / i64 / "avatar")
        .and(warp::delete())
        .and(ctx.clone())
        .then(clear_room_avatar);
    let dms = path!("api" / "v1" / "dms")
        .and(warp::post())
        .and(ctx)
        .and(json(limit))
        .then(open_direct);
    create
        .or(list)
        .unify()
        .or(public)
        .unify()
        .or(get)
        .unify()
        .or(update)
        .unify()
        .or(join)
        .unify()
        .or(leave)
        .unify()
        .or(add)
        .unify()
        .or(members)
        .unify()
        .or(set_avatar)
        .unify()
        .or(clear_avatar)
        .unify()
        .or(dms)
        .unify()
        .map(respond)
        .boxed()
}

/// Create a room; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/rooms", tag = "rooms",
    security(("bearer" = [])),
    request_body = CreateRoomRequest,
    responses(
        (status = 201, description = "The new room", body = RoomResponse),
        (status = 400, description = "Invalid name or topic", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 409, description = "A public room of that name (ignoring case) exists", body = ErrorBody),
    ))]
pub async fn create_room(ctx: Ctx, body: Body<CreateRoomRequest>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let new = NewRoom {
        name: &req.name,
        visibility: req.visibility,
        topic: req.topic.as_deref(),
    };
    let room = rooms::create(call, new).await?;
    created(&RoomResponse { room })
}

/// The rooms the caller is in, with unread counts.
#[utoipa::path(get, path = "/api/v1/rooms", tag = "rooms",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's rooms", body = RoomsResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_rooms(ctx: Ctx) -> Result<Response, ApiError> {
    let rooms = rooms::joined(ctx.call().await?).await?;
    ok(&RoomsResponse { rooms })
}

/// Public rooms anyone may join.
#[utoipa::path(get, path = "/api/v1/rooms/public", tag = "rooms",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Public rooms", body = RoomsResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_public_rooms(ctx: Ctx) -> Result<Response, ApiError> {
    let rooms = rooms::public(ctx.call().await?).await?;
    ok(&RoomsResponse { rooms })
}

/// One room: any public room, or a private one the caller is in.
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    responses(
        (status = 200, description = "The room", body = RoomResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such room, or a private room the caller is not in", body = ErrorBody),
    ))]
pub async fn get_room(room_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    let room = rooms::view(&ctx.call().await?, room_id).await?;
    ok(&RoomResponse { room })
}

/// Rename a room or change its topic (owner or admin).
#[utoipa::path(patch, path = "/api/v1/rooms/{room_id}", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    request_body = UpdateRoomRequest,
    responses(
        (status = 200, description = "The updated room", body = RoomResponse),
        (status = 400, description = "Invalid name or topic", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an owner or admin of the room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
        (status = 409, description = "Another public room has that name", body = ErrorBody),
    ))]
pub async fn update_room(
    room_id: i64,
    ctx: Ctx,
    body: Body<UpdateRoomRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let room = rooms::update(call, room_id, req.name.as_deref(), req.topic.as_deref()).await?;
    ok(&RoomResponse { room })
}

/// Set a room's avatar (owners and admins of the room, and server admins):
/// an image the caller uploaded, shown through its thumbnail. A null
/// `file_id` clears it. Members hear of it as `room.updated`.
#[utoipa::path(put, path = "/api/v1/rooms/{room_id}/avatar", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    request_body = SetAvatarRequest,
    responses(
        (status = 200, description = "The room with its new avatar", body = RoomResponse),
        (status = 400, description = "`invalid_request`: file_id names no file the caller uploaded; `not_an_image`: the file is not a JPEG, PNG, WebP or GIF image", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an owner or admin of the room, or a direct conversation", body = ErrorBody),
        (status = 404, description = "No such room, or a private room the caller is not in", body = ErrorBody),
    ))]
pub async fn set_room_avatar(
    room_id: i64,
    ctx: Ctx,
    body: Body<SetAvatarRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let room = rooms::set_avatar(call, room_id, req.file_id).await?;
    ok(&RoomResponse { room })
}

/// Remove a room's avatar (same rules as setting one).
#[utoipa::path(delete, path = "/api/v1/rooms/{room_id}/avatar", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    responses(
        (status = 200, description = "The room without an avatar", body = RoomResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not an owner or admin of the room, or a direct conversation", body = ErrorBody),
        (status = 404, description = "No such room, or a private room the caller is not in", body = ErrorBody),
    ))]
pub async fn clear_room_avatar(room_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    let room = rooms::set_avatar(ctx.call().await?, room_id, None).await?;
    ok(&RoomResponse { room })
}

/// Join a public room. Joining a room one is already in changes nothing.
#[utoipa::path(post, path = "/api/v1/rooms/{room_id}/join", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    responses(
        (status = 200, description = "The joined room", body = RoomResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such room, or a private room the caller was not added to", body = ErrorBody),
    ))]
pub async fn join_room(room_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    let room = members::join(ctx.call().await?, room_id).await?;
    ok(&RoomResponse { room })
}

/// Leave a room.
#[utoipa::path(post, path = "/api/v1/rooms/{room_id}/leave", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    responses(
        (status = 204, description = "Left the room"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "Not a member of such a room", body = ErrorBody),
    ))]
pub async fn leave_room(room_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    members::leave(ctx.call().await?, room_id).await?;
    no_content()
}

/// Add a user to a room: owners and admins of a private room, any member of
/// a public one.
#[utoipa::path(post, path = "/api/v1/rooms/{room_id}/members", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    request_body = UsernameRequest,
    responses(
        (status = 201, description = "Added", body = MemberResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not allowed to add members here", body = ErrorBody),
        (status = 404, description = "No such room or user", body = ErrorBody),
        (status = 409, description = "Already a member", body = ErrorBody),
    ))]
pub async fn add_member(
    room_id: i64,
    ctx: Ctx,
    body: Body<UsernameRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let member = members::add(call, room_id, &req.username).await?;
    created(&MemberResponse { member })
}

/// Everyone in a room (members only).
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/members", tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    responses(
        (status = 200, description = "The members", body = MembersResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
    ))]
pub async fn list_members(room_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    let members = members::list(ctx.call().await?, room_id).await?;
    ok(&MembersResponse { members })
}

/// Open (or find) the direct conversation with another user.
#[utoipa::path(post, path = "/api/v1/dms", tag = "rooms",
    security(("bearer" = [])),
    request_body = UsernameRequest,
    responses(
        (status = 201, description = "A new direct room", body = RoomResponse),
        (status = 200, description = "The existing direct room of the pair", body = RoomResponse),
        (status = 400, description = "A conversation with oneself", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn open_direct(ctx: Ctx, body: Body<UsernameRequest>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let (room, was_created) = rooms::open_direct(call, &req.username).await?;
    let status = if was_created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_reply(status, &RoomResponse { room }))
}
