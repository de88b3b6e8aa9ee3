//! Rooms, membership and direct conversations.

use std::convert::Infallible;

use chat_store::{GenericClient, StoreError, members, rooms, users};

use chat_wire::api::{
    CreateRoomRequest, MemberResponse, MembersResponse, RoomResponse, RoomsResponse,
    UpdateRoomRequest, UsernameRequest,
};
use chat_wire::validate::{self, Username};
use chat_wire::{ErrorBody, MemberRole, RoomKind, Visibility};
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, json};
use super::{created, json_reply, no_content, ok, respond};
use crate::actions::{is_joinable, require_member};
use crate::error::ApiError;
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
        .or(dms)
        .unify()
        .map(respond)
        .boxed()
}

fn no_such_room() -> ApiError {
    ApiError::not_found("no such room")
}

/// Create a room; the caller becomes its owner.
#[utoipa::path(post, path = "/api/v1/rooms", tag = "rooms",
    security(("bearer" = [])),
    request_body = CreateRoomRequest,
    responses(
        (status = 201, description = "The new room", body = RoomResponse),
        (status = 400, description = "Invalid name or topic", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn create_room(ctx: Ctx, body: Body<CreateRoomRequest>) -> Result<Response, ApiError> {
    let (me, mut db) = ctx.authed().await?;
    let req = body?;
    let name = validate::name("name", &req.name).map_err(ApiError::invalid)?;
    let topic = validate::text("topic", req.topic.as_deref().unwrap_or_default())
        .map_err(ApiError::invalid)?;
    let room = rooms::create(&mut db, me.user_id, &name, req.visibility, &topic).await?;
    // The owner's join is the room's first event.
    ctx.state.gateway.committed(room.id, 1, Some(me.user_id));
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
    let (me, db) = ctx.authed().await?;
    let rooms = rooms::list_joined(&db, me.user_id).await?;
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
    let (me, db) = ctx.authed().await?;
    let rooms = rooms::list_public(&db, me.user_id).await?;
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
    let (me, db) = ctx.authed().await?;
    let room = rooms::view(&db, room_id, me.user_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_room(),
            other => other.into(),
        })?;
    if room.role.is_none() && !is_joinable(&room) {
        return Err(no_such_room());
    }
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
    ))]
pub async fn update_room(
    room_id: i64,
    ctx: Ctx,
    body: Body<UpdateRoomRequest>,
) -> Result<Response, ApiError> {
    let (me, mut db) = ctx.authed().await?;
    let role = require_member(&db, room_id, me.user_id).await?;
    let req = body?;
    if !role.moderates() {
        return Err(ApiError::forbidden(
            "only the room's owner or admins may change it",
        ));
    }
    let room = rooms::view(&db, room_id, me.user_id).await?;
    if room.kind == RoomKind::Direct {
        return Err(ApiError::forbidden(
            "direct conversations have no name or topic",
        ));
    }
    let name = req
        .name
        .as_deref()
        .map(|n| validate::name("name", n))
        .transpose()
        .map_err(ApiError::invalid)?;
    let topic = req
        .topic
        .as_deref()
        .map(|t| validate::text("topic", t))
        .transpose()
        .map_err(ApiError::invalid)?;
    let room = rooms::update(
        &mut db,
        room_id,
        me.user_id,
        name.as_deref(),
        topic.as_deref(),
    )
    .await?;
    ctx.state.gateway.committed(room_id, room.latest_seq, None);
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
    let (me, mut db) = ctx.authed().await?;
    let room = rooms::view(&db, room_id, me.user_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_room(),
            other => other.into(),
        })?;
    if room.role.is_some() {
        return ok(&RoomResponse { room });
    }
    if !is_joinable(&room) {
        return Err(no_such_room());
    }
    if rooms::is_archived(&db, room_id).await? {
        return Err(ApiError::forbidden("the room is archived"));
    }
    if let Some(seq) = members::add(&mut db, room_id, me.user_id, MemberRole::Member).await? {
        ctx.state.gateway.committed(room_id, seq, Some(me.user_id));
    }
    let room = rooms::view(&db, room_id, me.user_id).await?;
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
    let (me, mut db) = ctx.authed().await?;
    let seq = members::remove(&mut db, room_id, me.user_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("not a member of such a room"),
            other => other.into(),
        })?;
    ctx.state.gateway.committed(room_id, seq, None);
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
    let (me, mut db) = ctx.authed().await?;
    let role = require_member(&db, room_id, me.user_id).await?;
    let req = body?;
    let room = rooms::view(&db, room_id, me.user_id).await?;
    if room.kind == RoomKind::Direct {
        return Err(ApiError::forbidden(
            "direct conversations are between two people",
        ));
    }
    if room.visibility == Visibility::Private && !role.moderates() {
        return Err(ApiError::forbidden(
            "only the room's owner or admins may add members",
        ));
    }
    if rooms::is_archived(&db, room_id).await? {
        return Err(ApiError::forbidden("the room is archived"));
    }
    let user = lookup_user(&db, &req.username).await?;
    let Some(seq) = members::add(&mut db, room_id, user.id, MemberRole::Member).await? else {
        return Err(ApiError::conflict("already a member"));
    };
    ctx.state.gateway.committed(room_id, seq, Some(user.id));
    let member = chat_wire::Member {
        user: chat_wire::UserRef {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
        },
        role: MemberRole::Member,
    };
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
    let (me, db) = ctx.authed().await?;
    require_member(&db, room_id, me.user_id).await?;
    let members = members::list(&db, room_id).await?;
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
    let (me, mut db) = ctx.authed().await?;
    let req = body?;
    let peer = lookup_user(&db, &req.username).await?;
    if peer.id == me.user_id {
        return Err(ApiError::invalid(
            "cannot open a direct conversation with yourself",
        ));
    }
    let direct = rooms::open_direct(
        &mut db,
        (me.user_id, &me.username),
        (peer.id, &peer.username),
    )
    .await?;
    for &(seq, user) in &direct.joined {
        ctx.state.gateway.committed(direct.room.id, seq, Some(user));
    }
    let (room, was_created) = (direct.room, direct.created);
    let status = if was_created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_reply(status, &RoomResponse { room }))
}

async fn lookup_user(db: &impl GenericClient, username: &str) -> Result<chat_wire::User, ApiError> {
    let no_such_user = || ApiError::not_found("no such user");
    let name = Username::parse(username).map_err(|_| no_such_user())?;
    users::by_username(db, name.as_str())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_user(),
            other => other.into(),
        })
}
