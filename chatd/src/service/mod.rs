//! The service layer: every change a user or an administrator makes, in one
//! function each, used by the REST handlers and the WebSocket gateway alike.
//!
//! Each mutation authorizes the caller, validates its input, stores the
//! change through the store (whose writes to a room's log return a
//! [`chat_store::Committed`] value) and publishes that value. Handlers only
//! parse requests and call one function here; nothing else publishes, apart
//! from the send writer ([`crate::sends`]), which publishes each batch
//! right after its commit.

pub mod accounts;
pub mod blocks;
pub mod files;
pub mod members;
pub mod messages;
pub mod moderation;
mod names;
pub mod people;
pub mod pins;
pub mod reactions;
pub mod reports;
pub mod rooms;

use std::sync::Arc;

use chat_store::members::Access;
use chat_store::sessions::SessionUser;
use chat_store::{Client, GenericClient, members as store_members};
use chat_wire::MemberRole;

use crate::error::ApiError;
use crate::state::AppState;

/// One authenticated call: the shared state, the caller, and a pooled
/// connection to work with.
pub struct Call {
    pub state: Arc<AppState>,
    pub me: SessionUser,
    pub db: Client,
}

impl Call {
    /// Counts one change against the caller's write budget (sends have
    /// their own): 429 once it is spent. Every change here that appends to
    /// a room's log calls it first, before anything is looked up, so a
    /// refused change costs nothing and a flood stops at the budget.
    fn spend_write(&self) -> Result<(), ApiError> {
        let me = &self.me;
        self.state.limiter.write(me.user_id, me.rate_limit_exempt)
    }
}

/// The caller's access to a room, which they must be a member of. A private
/// room they are not in answers exactly like a room that does not exist.
async fn as_member(
    db: &impl GenericClient,
    room_id: i64,
    user_id: i64,
) -> Result<(Access, MemberRole), ApiError> {
    let access = store_members::access(db, room_id, user_id).await?;
    let role = access.member()?;
    Ok((access, role))
}
