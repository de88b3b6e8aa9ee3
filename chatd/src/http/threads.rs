//! Threads and mentions: a thread's replies and read marker, the threads I
//! follow, and the messages that mention me.

use std::convert::Infallible;

use chat_store::messages::Page;
use chat_wire::api::{
    MentionsQuery, MessagesQuery, MessagesResponse, ReadMarkerRequest, ThreadsResponse,
};
use chat_wire::{ErrorBody, limits};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, Query, json, query};
use super::messages::{page_limit, seq_param};
use super::{no_content, ok, respond};
use crate::error::ApiError;
use crate::service::messages as service;
use crate::state::Ctx;

/// Most threads `GET /api/v1/threads` lists.
const THREADS_MAX: i64 = 100;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
    limit: usize,
) -> BoxedFilter<(Response,)> {
    let replies = path!("api" / "v1" / "rooms" / i64 / "threads" / i64 / "messages")
        .and(warp::get())
        .and(ctx.clone())
        .and(query())
        .then(list_thread_messages);
    let read = path!("api" / "v1" / "rooms" / i64 / "threads" / i64 / "read")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(mark_thread_read);
    let followed = path!("api" / "v1" / "threads")
        .and(warp::get())
        .and(ctx.clone())
        .then(list_threads);
    let mentions = path!("api" / "v1" / "mentions")
        .and(warp::get())
        .and(ctx)
        .and(query())
        .then(list_mentions);
    replies
        .or(read)
        .unify()
        .or(followed)
        .unify()
        .or(mentions)
        .unify()
        .map(respond)
        .boxed()
}

/// A page of a thread's replies, ascending by seq.
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/threads/{root_id}/messages",
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("root_id" = i64, Path), MessagesQuery),
    responses(
        (status = 200, description = "Replies, oldest first", body = MessagesResponse),
        (status = 400, description = "Bad paging parameters", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room, or no such top-level message in it",
            body = ErrorBody),
    ))]
pub async fn list_thread_messages(
    room_id: i64,
    root_id: i64,
    ctx: Ctx,
    query: Query<MessagesQuery>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let q = query?;
    let page = Page {
        before: seq_param("before", q.before)?,
        after: seq_param("after", q.after)?,
        limit: page_limit(q.limit, limits::PAGE_DEFAULT, limits::PAGE_MAX)?,
    };
    let (messages, has_more) = service::thread_page(call, room_id, root_id, page).await?;
    ok(&MessagesResponse { messages, has_more })
}

/// Move the caller's read marker in a thread forward.
#[utoipa::path(post, path = "/api/v1/rooms/{room_id}/threads/{root_id}/read", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("root_id" = i64, Path)),
    request_body = ReadMarkerRequest,
    responses(
        (status = 204, description = "Marker set (it never moves back)"),
        (status = 400, description = "Negative seq", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room, or no such top-level message in it",
            body = ErrorBody),
    ))]
pub async fn mark_thread_read(
    room_id: i64,
    root_id: i64,
    ctx: Ctx,
    body: Body<ReadMarkerRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let seq = seq_param("seq", Some(req.seq))?.unwrap_or(0);
    service::mark_thread_read(call, room_id, root_id, seq).await?;
    no_content()
}

/// The threads I follow (I wrote the root or a reply, or was mentioned in
/// one), most recent reply first, with my unread count in each.
#[utoipa::path(get, path = "/api/v1/threads", tag = "messages",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Followed threads, most recent activity first",
            body = ThreadsResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_threads(ctx: Ctx) -> Result<Response, ApiError> {
    let threads = service::followed_threads(ctx.call().await?, THREADS_MAX).await?;
    ok(&ThreadsResponse { threads })
}

/// Messages in my rooms that mention me by name or `@room`, newest first.
#[utoipa::path(get, path = "/api/v1/mentions", tag = "messages",
    security(("bearer" = [])),
    params(MentionsQuery),
    responses(
        (status = 200, description = "Messages that mention me, newest first; \
            `has_more` says whether older ones remain", body = MessagesResponse),
        (status = 400, description = "Bad paging parameters", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_mentions(ctx: Ctx, query: Query<MentionsQuery>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let q = query?;
    let before = seq_param("before", q.before)?;
    let limit = page_limit(q.limit, limits::PAGE_DEFAULT, limits::PAGE_MAX)?;
    let mut messages = service::mentions(call, before, limit + 1).await?;
    let has_more = messages.len() as i64 > limit;
    messages.truncate(limit as usize);
    ok(&MessagesResponse { messages, has_more })
}
