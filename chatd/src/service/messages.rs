//! Messages: sending, editing, deleting, and the reads that need
//! membership (history, the event log, read markers, search).

use chat_store::messages::{self as store, Draft, Page};
use chat_store::sessions::SessionUser;
use chat_store::{Refusal, StoreError, events, members, moderation};
use chat_wire::api::FollowedThread;
use chat_wire::files::MAX_ATTACHMENTS;
use chat_wire::{Event, Message, Seq, mentions, validate};

use super::{Call, as_member};
use crate::error::ApiError;
use crate::sends::Stored;
use crate::state::AppState;

/// A message to send, as the client gave it.
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    pub body: &'a str,
    pub client_id: Option<&'a str>,
    pub reply_to: Option<i64>,
    /// A reply in this top-level message's thread.
    pub thread_root: Option<i64>,
    /// Files the sender uploaded.
    pub attachments: &'a [i64],
}

/// Sends a message: the sender's rate limit, validation, then the send
/// writer, which stores it (checking membership in the same statement) and
/// publishes its event after the commit.
pub async fn send(
    state: &AppState,
    author: &SessionUser,
    room_id: i64,
    new: NewMessage<'_>,
) -> Result<Stored, ApiError> {
    let draft = prepare(state, author, room_id, new)?;
    Ok(state.sends.send(draft).await?)
}

/// The checks a send passes before it reaches the writer: the sender's
/// rate limit (REST and WebSocket sends share one budget per user) and
/// validation. Membership is checked by the statement that stores it.
pub fn prepare(
    state: &AppState,
    author: &SessionUser,
    room_id: i64,
    new: NewMessage<'_>,
) -> Result<Draft, ApiError> {
    state
        .limiter
        .send(author.user_id, author.rate_limit_exempt)?;
    if new.attachments.len() > MAX_ATTACHMENTS {
        return Err(ApiError::invalid(format!(
            "a message carries at most {MAX_ATTACHMENTS} attachments"
        )));
    }
    let mut attachments = new.attachments.to_vec();
    attachments.sort_unstable();
    attachments.dedup();
    if attachments.len() != new.attachments.len() {
        return Err(ApiError::invalid("attachments must not repeat a file"));
    }
    // With files, the text is optional.
    let body = if !new.attachments.is_empty() && new.body.trim().is_empty() {
        String::new()
    } else {
        validate::message_body(new.body, state.config.max_message_chars)
            .map_err(ApiError::invalid)?
    };
    let client_id = new
        .client_id
        .map(validate::client_id)
        .transpose()
        .map_err(ApiError::invalid)?;
    Ok(Draft {
        room_id,
        author_id: author.user_id,
        client_id,
        reply_to: new.reply_to,
        thread_root: new.thread_root,
        mentions: mentions::parse(&body),
        attachments: new.attachments.to_vec(),
        body,
    })
}

/// A page of a room's history, and whether more lie beyond it.
pub async fn page(call: Call, room_id: i64, page: Page) -> Result<(Vec<Message>, bool), ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(store::page(&call.db, room_id, page).await?)
}

/// One message of a room the caller is in.
pub async fn get(call: Call, room_id: i64, message_id: i64) -> Result<Message, ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    store::get(&call.db, room_id, message_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => Refusal::NoSuchMessage.into(),
            other => other,
        })
        .map_err(ApiError::from)
}

/// Edits one's own message.
pub async fn edit(
    mut call: Call,
    room_id: i64,
    message_id: i64,
    body: &str,
) -> Result<Message, ApiError> {
    call.spend_write()?;
    as_member(&call.db, room_id, call.me.user_id).await?;
    let body = validate::message_body(body, call.state.config.max_message_chars)
        .map_err(ApiError::invalid)?;
    let mentioned = mentions::parse(&body);
    let (message, event) = store::edit(
        &mut call.db,
        room_id,
        message_id,
        call.me.user_id,
        &body,
        &mentioned,
    )
    .await?;
    call.state.gateway.publish(event);
    Ok(message)
}

/// Deletes a message: its author, the room's owner or admins, or a server
/// admin (in any room, member or not). Deleting a tombstone again changes
/// nothing.
pub async fn delete(mut call: Call, room_id: i64, message_id: i64) -> Result<(), ApiError> {
    call.spend_write()?;
    let me = call.me.user_id;
    // A member deletes as the author first: server admin rights are looked
    // up only when that is refused (someone else's message) or for a
    // stranger to the room.
    let moderates = match as_member(&call.db, room_id, me).await {
        Ok((_, role)) => role.moderates(),
        Err(refused) => {
            if !moderation::is_server_admin(&call.db, me).await? {
                return Err(refused);
            }
            true
        }
    };
    let mut deleted = store::delete(&mut call.db, room_id, message_id, me, moderates).await;
    if matches!(deleted, Err(StoreError::Refused(Refusal::NotAuthor)))
        && moderation::is_server_admin(&call.db, me).await?
    {
        deleted = store::delete(&mut call.db, room_id, message_id, me, true).await;
    }
    let deleted = deleted.map_err(|e| match e {
        StoreError::Refused(Refusal::NotAuthor) => ApiError::forbidden(
            "only the author, the room's owner or admins, or a server admin may delete a message",
        ),
        StoreError::NotFound => ApiError::not_found("no such room"),
        other => other.into(),
    })?;
    call.state.gateway.publish(deleted);
    Ok(())
}

/// A page of one thread's replies, and whether more lie beyond it.
pub async fn thread_page(
    call: Call,
    room_id: i64,
    root_id: i64,
    page: Page,
) -> Result<(Vec<Message>, bool), ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(store::thread_page(&call.db, room_id, root_id, page).await?)
}

/// Moves the caller's read marker in a thread forward.
pub async fn mark_thread_read(
    call: Call,
    room_id: i64,
    root_id: i64,
    seq: Seq,
) -> Result<(), ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(store::mark_thread_read(&call.db, room_id, root_id, call.me.user_id, seq).await?)
}

/// The threads the caller follows, with their unread counts.
pub async fn followed_threads(call: Call, limit: i64) -> Result<Vec<FollowedThread>, ApiError> {
    let threads = store::follow_list(&call.db, call.me.user_id, limit).await?;
    Ok(threads
        .into_iter()
        .map(|(root, unread_count)| FollowedThread {
            room_id: root.room_id,
            root,
            unread_count,
        })
        .collect())
}

/// Messages in the caller's rooms that mention them, newest first.
pub async fn mentions(
    call: Call,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>, ApiError> {
    Ok(store::mentions_of(&call.db, call.me.user_id, before, limit).await?)
}

/// The room's event log after a seq.
pub async fn events(
    call: Call,
    room_id: i64,
    after: Seq,
    limit: i64,
) -> Result<Vec<Event>, ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(events::list_after(&call.db, room_id, after, limit).await?)
}

/// Moves the caller's read marker forward.
pub async fn mark_read(call: Call, room_id: i64, seq: Seq) -> Result<(), ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(members::mark_read(&call.db, room_id, call.me.user_id, seq).await?)
}

/// Full-text search over the caller's rooms.
pub async fn search(
    call: Call,
    query: &str,
    room_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Message>, ApiError> {
    // Control characters (NUL above all, which PostgreSQL's text refuses)
    // are never part of a message, so they are never worth searching for.
    let text = validate::text("q", query).map_err(ApiError::invalid)?;
    if text.is_empty() || text.chars().count() > 200 {
        return Err(ApiError::invalid("q must be 1-200 characters"));
    }
    Ok(store::search(&call.db, call.me.user_id, &text, room_id, limit).await?)
}
