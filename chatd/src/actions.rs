//! Operations shared by the REST API and the WebSocket gateway, so both
//! check and publish the same way.

use chat_store::messages::Draft;
use chat_store::sessions::SessionUser;
use chat_store::{GenericClient, StoreError, members, rooms};
use chat_wire::{MemberRole, Message, RoomKind, Visibility, validate};

use crate::error::ApiError;
use crate::state::AppState;

/// The caller's role in a room they must be a member of. A private room
/// they are not in answers 404, so its existence is not revealed; a public
/// one answers 403 (anyone may see it exists and join it).
pub async fn require_member(
    db: &impl GenericClient,
    room_id: i64,
    user_id: i64,
) -> Result<MemberRole, ApiError> {
    if let Some(role) = members::role(db, room_id, user_id).await? {
        return Ok(role);
    }
    match rooms::view(db, room_id, user_id).await {
        Ok(room) if is_joinable(&room) => Err(ApiError::forbidden("join the room first")),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::not_found("no such room")),
        Err(e) => Err(e.into()),
    }
}

/// Public named rooms are the ones anyone may join.
pub fn is_joinable(room: &chat_wire::Room) -> bool {
    room.kind == RoomKind::Room && room.visibility == Visibility::Public
}

/// The outcome of a send.
pub struct Sent {
    pub message: Message,
    /// False when a retry found the message its client_id already sent.
    pub created: bool,
}

/// Checks the sender's rate limit, validates and stores a message, then
/// publishes its event.
pub async fn send_message(
    state: &AppState,
    author: &SessionUser,
    room_id: i64,
    body: &str,
    client_id: Option<&str>,
    reply_to: Option<i64>,
) -> Result<Sent, ApiError> {
    // REST and WebSocket sends share one budget per user.
    state
        .limiter
        .send(author.user_id, author.rate_limit_exempt)?;
    let author_id = author.user_id;
    let text =
        validate::message_body(body, state.config.max_message_chars).map_err(ApiError::invalid)?;
    let client_id = client_id
        .map(validate::client_id)
        .transpose()
        .map_err(ApiError::invalid)?;
    let draft = Draft {
        room_id,
        author_id,
        body: text,
        client_id,
        reply_to,
    };
    // The writer checks membership inside the send itself; only a refusal
    // costs the lookups that pick 403 or 404. It also publishes the event.
    match state.sends.send(draft).await {
        Ok(sent) => Ok(Sent {
            message: sent.message,
            created: sent.created,
        }),
        Err(StoreError::NotFound) => {
            let db = state.pool.get().await.map_err(StoreError::from)?;
            require_member(&db, room_id, author_id).await?;
            if rooms::is_archived(&db, room_id).await? {
                return Err(ApiError::forbidden("the room is archived"));
            }
            Err(ApiError::not_found("no such room"))
        }
        Err(StoreError::MissingReference(_)) => Err(ApiError::invalid(
            "reply_to does not name a message in this room",
        )),
        Err(e) => Err(e.into()),
    }
}
