//! Reactions, pins and edit history: the conversation features around a
//! message (issue 15).

use std::convert::Infallible;

use chat_wire::ErrorBody;
use chat_wire::api::{HistoryResponse, PinsResponse};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::{no_content, ok, respond};
use crate::error::ApiError;
use crate::service::{pins, reactions};
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    let react = path!("api" / "v1" / "rooms" / i64 / "messages" / i64 / "reactions" / String)
        .and(warp::put())
        .and(ctx.clone())
        .then(add_reaction);
    let unreact = path!("api" / "v1" / "rooms" / i64 / "messages" / i64 / "reactions" / String)
        .and(warp::delete())
        .and(ctx.clone())
        .then(remove_reaction);
    let history = path!("api" / "v1" / "rooms" / i64 / "messages" / i64 / "history")
        .and(warp::get())
        .and(ctx.clone())
        .then(message_history);
    let pin = path!("api" / "v1" / "rooms" / i64 / "pins" / i64)
        .and(warp::put())
        .and(ctx.clone())
        .then(pin_message);
    let unpin = path!("api" / "v1" / "rooms" / i64 / "pins" / i64)
        .and(warp::delete())
        .and(ctx.clone())
        .then(unpin_message);
    let list = path!("api" / "v1" / "rooms" / i64 / "pins")
        .and(warp::get())
        .and(ctx)
        .then(list_pins);
    react
        .or(unreact)
        .unify()
        .or(history)
        .unify()
        .or(pin)
        .unify()
        .or(unpin)
        .unify()
        .or(list)
        .unify()
        .map(respond)
        .boxed()
}

/// The `{emoji}` path segment as text: warp hands it over still
/// percent-encoded.
fn emoji_segment(raw: &str) -> Result<String, ApiError> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::invalid("emoji must be percent-encoded UTF-8"))
}

/// Add my reaction to a message. Idempotent.
#[utoipa::path(put, path = "/api/v1/rooms/{room_id}/messages/{message_id}/reactions/{emoji}",
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path),
        ("emoji" = String, Path, description = "URL-encoded: one emoji (a single grapheme cluster, \
            normalised to NFC) or a `:short_name:` of 1-32 of `[a-z0-9_+-]`")),
    responses(
        (status = 204, description = "Reacted (or had already)"),
        (status = 400, description = "Not an emoji or short name; 50 different emoji on the \
            message or 20 of mine already", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room, or no such message (also once deleted)", body = ErrorBody),
    ))]
pub async fn add_reaction(
    room_id: i64,
    message_id: i64,
    emoji: String,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let emoji = emoji_segment(&emoji)?;
    reactions::react(call, room_id, message_id, &emoji, true).await?;
    no_content()
}

/// Remove my reaction from a message. Idempotent.
#[utoipa::path(delete, path = "/api/v1/rooms/{room_id}/messages/{message_id}/reactions/{emoji}",
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path),
        ("emoji" = String, Path, description = "URL-encoded emoji or `:short_name:`")),
    responses(
        (status = 204, description = "Removed (or was not there)"),
        (status = 400, description = "Not an emoji or short name", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room, or no such message (also once deleted)", body = ErrorBody),
    ))]
pub async fn remove_reaction(
    room_id: i64,
    message_id: i64,
    emoji: String,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let emoji = emoji_segment(&emoji)?;
    reactions::react(call, room_id, message_id, &emoji, false).await?;
    no_content()
}

/// Every earlier text of an edited message, oldest first. A delete erases
/// them.
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/messages/{message_id}/history",
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path)),
    responses(
        (status = 200, description = "The earlier texts, oldest first", body = HistoryResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room or message", body = ErrorBody),
    ))]
pub async fn message_history(
    room_id: i64,
    message_id: i64,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let revisions = reactions::history(ctx.call().await?, room_id, message_id).await?;
    ok(&HistoryResponse { revisions })
}

/// Pin a message to the room (any member). Idempotent.
#[utoipa::path(put, path = "/api/v1/rooms/{room_id}/pins/{message_id}", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path)),
    responses(
        (status = 204, description = "Pinned (or was already)"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room, or no such message (also once deleted)", body = ErrorBody),
    ))]
pub async fn pin_message(room_id: i64, message_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    pins::set(ctx.call().await?, room_id, message_id, true).await?;
    no_content()
}

/// Unpin a message (any member). Idempotent.
#[utoipa::path(delete, path = "/api/v1/rooms/{room_id}/pins/{message_id}", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path), ("message_id" = i64, Path)),
    responses(
        (status = 204, description = "Unpinned (or was not pinned)"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room, or no such message (also once deleted)", body = ErrorBody),
    ))]
pub async fn unpin_message(room_id: i64, message_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    pins::set(ctx.call().await?, room_id, message_id, false).await?;
    no_content()
}

/// The room's pinned messages, most recently pinned first.
#[utoipa::path(get, path = "/api/v1/rooms/{room_id}/pins", tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path)),
    responses(
        (status = 200, description = "Pinned messages, most recently pinned first", body = PinsResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a member of this public room", body = ErrorBody),
        (status = 404, description = "No such room", body = ErrorBody),
    ))]
pub async fn list_pins(room_id: i64, ctx: Ctx) -> Result<Response, ApiError> {
    let messages = pins::list(ctx.call().await?, room_id).await?;
    ok(&PinsResponse { messages })
}
