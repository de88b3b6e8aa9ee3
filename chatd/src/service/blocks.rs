//! Blocking: a user keeps another out of direct conversations with them.
//! The blocked user is never told beyond a generic 403, which is the same
//! whichever of the two blocked the other.

use chat_store::blocks as store;
use chat_wire::User;

use super::Call;
use super::rooms::user_named;
use crate::error::ApiError;

/// Blocks a user; blocking them again changes nothing.
pub async fn block(call: Call, username: &str) -> Result<(), ApiError> {
    let target = user_named(&call, username).await?;
    if target.id == call.me.user_id {
        return Err(ApiError::invalid("you cannot block yourself"));
    }
    Ok(store::block(&call.db, call.me.user_id, target.id).await?)
}

/// Lifts a block; lifting one that is not there changes nothing.
pub async fn unblock(call: Call, username: &str) -> Result<(), ApiError> {
    let target = user_named(&call, username).await?;
    Ok(store::unblock(&call.db, call.me.user_id, target.id).await?)
}

/// The users the caller has blocked, most recent first.
pub async fn list(call: Call) -> Result<Vec<User>, ApiError> {
    Ok(store::list(&call.db, call.me.user_id).await?)
}

/// Refuses a direct conversation between the caller and `peer` when either
/// has blocked the other, with an answer that does not say which (or that
/// a block is the reason).
pub async fn refuse_direct_if_blocked(call: &Call, peer: i64) -> Result<(), ApiError> {
    if store::between(&call.db, call.me.user_id, peer).await? {
        return Err(ApiError::forbidden(
            "you cannot open a direct conversation with this user",
        ));
    }
    Ok(())
}
