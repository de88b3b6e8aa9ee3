//! Messages, the room event log, read markers and search.

use std::convert::Infallible;

use chat_store::messages;
use chat_wire::api::{
    EditMessageRequest, EventsQuery, EventsResponse, MessageResponse, MessagesQuery,
    MessagesResponse, ReadMarkerRequest, SearchQuery, SendMessageRequest,
};
use chat_wire::{ErrorBody, limits};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, Query, json, query};
use super::{created, no_content, ok, respond};
use crate::error::ApiError;
use crate::service::messages::{self as service, NewMessage};
use crate::state::Ctx;

/// Events are read in bigger pages than messages: catching up is their job.
const EVENTS_PAGE_DEFAULT: i64 = 100;
const EVENTS_PAGE_MAX: i64 = 1000;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
    limit: usize,
) -> BoxedFilter<(Response,)> {
    let send = path!("api" / "v1" / "rooms" / i64 / "messages")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(send_message);
    let list = path!("api" / "v1" / "rooms" / i64 / "messages")
        .and(warp::get())
        .and(ctx.clone())
        .and(query())
        .then(list_messages);
    let edit = path!("api" / "v1" / "rooms" / i64 / "messages" / i64)
        .and(warp::patch())
        .and(ctx.clone())
        .and(json(limit))
        .then(edit_message);
    let one = path!("api" / "v1" / "rooms" / i64 / "messages" / i64)
        .and(warp::get())
        .and(ctx.clone())
        .then(get_message);
    let delete = path!("api" / "v1" / "rooms" / i64 / "messages" / i64)
        .and(warp::delete())
        .and(ctx.clone())
        .then(delete_message);
    let events = path!("api" / "v1" / "rooms" / i64 / "events")
        .and(warp::get())
        .and(ctx.clone())
        .and(query())
        .then(list_events);
    let read = path!("api" / "v1" / "rooms" / i64 / "read")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(mark_read);
    let search = path!("api" / "v1" / "search")
        .and(warp::get())
        .and(ctx)
        .and(query())
        .then(search);
    send.or(list)
        .unify()
        .or(edit)
        .unify()
        .or(one)
        .unify()
        .or(delete)
        .unify()
        .or(events)
        .unify()
        .or(read)
        .unify()
        .or(search)
        .unify()
        .map(respond)
        .boxed()
}

pub(super) fn page_limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(format!("limit must be 1-{max}"))),
    }
}

pub(super) fn seq_param(name: &str, value: Option<i64>) -> Result<Option<i64>, ApiError> {
    match value {
        Some(v) if v < 0 => Err(ApiError::invalid(format!("{name} must not be negative"))),
        other => Ok(other),
    }
}

/// Send a message. With a `client_id`, a retry returns the original message
/// (200) instead of creating a second one.
#[utoipa::path(post, path = "/api/v1/rooms/{room_id}/messages", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    request_body = SendMessageRequest,
    responses(
        (status = 201, description = "Sent", body = MessageResponse),
        (status = 200, description = "A retry: the message this client_id already sent", body = MessageResponse),
        (status = 400, description = "Empty or too long body, bad client_id, reply_to or thread_root", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
        (status = 409, description = "The client_id already sent a different text", body = ErrorBody),
    ))]
pub async fn send_message(
    room_id: i64,
    ctx: Ctx,
    body: Body<SendMessageRequest>,
) -> Result<Response, ApiError> {
    let me = ctx.caller().await?;
    let req = body?;
    let new = NewMessage {
        body: &req.body,
        client_id: req.client_id.as_deref(),
        reply_to: req.reply_to,
        thread_root: req.thread_root,
        attachments: &req.attachments,
    };
    let sent = service::send(&ctx.state, &me, room_id, new).await?;
    let response = MessageResponse {
        message: sent.message,
    };
    if sent.created {
        created(&response)
    } else {
        ok(&response)
    }
}

/// A page of a room's messages, ascending by seq.
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/messages", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), MessagesQuery),
    responses(
        (status = 200, description = "Messages, oldest first", body = MessagesResponse),
        (status = 400, description = "Bad paging parameters", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
    ))]
pub async fn list_messages(
    room_id: i64,
    ctx: Ctx,
    query: Query<MessagesQuery>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let q = query?;
    let page = messages::Page {
        before: seq_param("before", q.before)?,
        after: seq_param("after", q.after)?,
        limit: page_limit(q.limit, limits::PAGE_DEFAULT, limits::PAGE_MAX)?,
    };
    let (messages, has_more) = service::page(call, room_id, page).await?;
    ok(&MessagesResponse { messages, has_more })
}

/// One message as it is now (a thread reply or a top-level message).
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/messages/{message_id}", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path)),
    responses(
        (status = 200, description = "The message", body = MessageResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room or message", body = ErrorBody),
    ))]
pub async fn get_message(room_id: i64, message_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    let message = service::get(ctx.call().await?, room_id, message_id).await?;
    ok(&MessageResponse { message })
}

/// Edit one's own message.
#[utoipa::path(patch, path = "/api/v1/rooms/{room_id}/messages/{message_id}", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path)),
    request_body = EditMessageRequest,
    responses(
        (status = 200, description = "The edited message", body = MessageResponse),
        (status = 400, description = "Empty or too long body", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not the author", body = ErrorBody),
        (status = 404, description = "No such room or message", body = ErrorBody),
        (status = 409, description = "The message was deleted", body = ErrorBody),
    ))]
pub async fn edit_message(
    room_id: i64,
    message_id: i64,
    ctx: Ctx,
    body: Body<EditMessageRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let message = service::edit(call, room_id, message_id, &req.body).await?;
    ok(&MessageResponse { message })
}

/// Delete a message: its author, or the room's owner or admins. The message
/// stays as a tombstone without its text.
#[utoipa::path(delete, path = "/api/v1/rooms/{room_id}/messages/{message_id}", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted (or already deleted)"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Neither the author nor a moderator", body = ErrorBody),
        (status = 404, description = "No such room or message", body = ErrorBody),
    ))]
pub async fn delete_message(room_id: i64, message_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    service::delete(ctx.call().await?, room_id, message_id).await?;
    no_content()
}

/// The room's event log after a seq, ascending.
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/events", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), EventsQuery),
    responses(
        (status = 200, description = "Events, ascending by seq", body = EventsResponse),
        (status = 400, description = "Bad paging parameters", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
    ))]
pub async fn list_events(
    room_id: i64,
    ctx: Ctx,
    query: Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let q = query?;
    let after = seq_param("after", q.after)?.unwrap_or(0);
    let limit = page_limit(q.limit, EVENTS_PAGE_DEFAULT, EVENTS_PAGE_MAX)?;
    let events = service::events(call, room_id, after, limit).await?;
    ok(&EventsResponse { events })
}

/// Move the caller's read marker forward.
#[utoipa::path(post, path = "/api/v1/rooms/{room_id}/read", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    request_body = ReadMarkerRequest,
    responses(
        (status = 204, description = "Marker set (it never moves back)"),
        (status = 400, description = "Negative seq", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
    ))]
pub async fn mark_read(
    room_id: i64,
    ctx: Ctx,
    body: Body<ReadMarkerRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let seq = seq_param("seq", Some(req.seq))?.unwrap_or(0);
    service::mark_read(call, room_id, seq).await?;
    no_content()
}

/// Full-text search over the caller's rooms, newest first.
#[utoipa::path(get, path = "/api/v1/search", tag = "messages",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching messages, newest first", body = MessagesResponse),
        (status = 400, description = "Missing or empty q", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn search(ctx: Ctx, query: Query<SearchQuery>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let q = query?;
    let limit = page_limit(q.limit, limits::PAGE_DEFAULT, limits::PAGE_MAX)?;
    let messages = service::search(call, &q.q, q.room_id, limit).await?;
    ok(&MessagesResponse {
        messages,
        has_more: false,
    })
}
