//! Reactions and edit history: the calls on one message that are not the
//! message itself.

use chat_store::{messages, reactions as store};
use chat_wire::api::Revision;
use chat_wire::emoji::Emoji;

use super::{Call, as_member};
use crate::error::ApiError;

/// Adds (`add`) or removes the caller's reaction. Idempotent: a reaction
/// already there (or already gone) changes nothing and publishes nothing.
/// A missing or deleted message is `404 no such message`.
pub async fn react(
    mut call: Call,
    room_id: i64,
    message_id: i64,
    emoji: &str,
    add: bool,
) -> Result<(), ApiError> {
    call.spend_write()?;
    as_member(&call.db, room_id, call.me.user_id).await?;
    let emoji = Emoji::parse(emoji).map_err(ApiError::invalid)?;
    let user_id = call.me.user_id;
    let committed = if add {
        store::add(&mut call.db, room_id, message_id, user_id, emoji.as_str()).await?
    } else {
        store::remove(&mut call.db, room_id, message_id, user_id, emoji.as_str()).await?
    };
    call.state.gateway.publish(committed);
    Ok(())
}

/// The earlier texts of a message, oldest first (none once deleted).
pub async fn history(call: Call, room_id: i64, message_id: i64) -> Result<Vec<Revision>, ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(messages::history(&call.db, room_id, message_id).await?)
}
