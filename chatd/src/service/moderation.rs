//! Running a room: removing members, changing roles, bans. The rules are
//! [`chat_store::roles`], checked by the store inside each change's
//! transaction (chatctl's room commands use the same functions), which
//! also records each change made to someone else in the audit log.
//!
//! Server admins (account role `admin`) moderate every room they can name
//! by id, member or not; reading a private room stays for its members.

use chat_store::StoreError;
use chat_store::moderation::{self as store, Actor};
use chat_wire::api::Ban;
use chat_wire::{Member, MemberRole, validate};

use super::Call;
use super::rooms::user_named;
use crate::error::ApiError;

/// Removes a member (owners and admins; anyone may remove themselves).
pub async fn remove(mut call: Call, room_id: i64, username: &str) -> Result<(), ApiError> {
    call.spend_write()?;
    let target = user_named(&call, username).await?;
    let actor = Actor::User(call.me.user_id);
    let removed = store::remove(&mut call.db, room_id, actor, target.id)
        .await
        .map_err(|e| not_member(e, &target.username))?;
    call.state.gateway.publish(removed);
    Ok(())
}

/// Changes a member's role (see [`chat_store::roles`] for who may).
pub async fn set_role(
    mut call: Call,
    room_id: i64,
    username: &str,
    role: MemberRole,
) -> Result<Member, ApiError> {
    call.spend_write()?;
    let target = user_named(&call, username).await?;
    let actor = Actor::User(call.me.user_id);
    let (member, changed) = store::set_role(&mut call.db, room_id, actor, target.id, role)
        .await
        .map_err(|e| not_member(e, &target.username))?;
    call.state.gateway.publish(changed);
    Ok(member)
}

/// Bans a user from a room, removing them if they are in it.
pub async fn ban(
    mut call: Call,
    room_id: i64,
    username: &str,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    call.spend_write()?;
    let reason = validate::text("reason", reason.unwrap_or_default()).map_err(ApiError::invalid)?;
    let target = user_named(&call, username).await?;
    let actor = Actor::User(call.me.user_id);
    let banned = store::ban(&mut call.db, room_id, actor, target.id, &reason).await?;
    call.state.gateway.publish(banned);
    Ok(())
}

/// Lifts a ban.
pub async fn unban(mut call: Call, room_id: i64, username: &str) -> Result<(), ApiError> {
    call.spend_write()?;
    let target = user_named(&call, username).await?;
    let actor = Actor::User(call.me.user_id);
    store::unban(&mut call.db, room_id, actor, target.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                ApiError::not_found(format!("{} is not banned from this room", target.username))
            }
            other => other.into(),
        })
}

/// The room's bans (owners and admins).
pub async fn bans(call: Call, room_id: i64) -> Result<Vec<Ban>, ApiError> {
    Ok(store::bans(&call.db, room_id, Actor::User(call.me.user_id)).await?)
}

/// A target who is not in the room gets a 404 that says so.
fn not_member(error: StoreError, username: &str) -> ApiError {
    match error {
        StoreError::NotFound => {
            ApiError::not_found(format!("{username} is not a member of this room"))
        }
        other => other.into(),
    }
}
