//! Pins: any member pins or unpins a message; members read the list.

use chat_store::pins as store;
use chat_wire::Message;

use super::{Call, as_member};
use crate::error::ApiError;

/// Pins (`pin`) or unpins a message. Idempotent: nothing is published when
/// nothing changes. A missing or deleted message is `404 no such message`.
pub async fn set(mut call: Call, room_id: i64, message_id: i64, pin: bool) -> Result<(), ApiError> {
    call.spend_write()?;
    as_member(&call.db, room_id, call.me.user_id).await?;
    let committed = store::set(&mut call.db, room_id, message_id, call.me.user_id, pin).await?;
    call.state.gateway.publish(committed);
    Ok(())
}

/// The room's pinned messages, most recently pinned first.
pub async fn list(call: Call, room_id: i64) -> Result<Vec<Message>, ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(store::list(&call.db, room_id).await?)
}
