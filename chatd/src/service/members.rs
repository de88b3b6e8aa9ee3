//! Membership: joining, leaving, adding people, and the member list.

use chat_store::members::{self as store};
use chat_store::{Refusal, StoreError, rooms};
use chat_wire::{Member, MemberRole, Room, RoomKind, UserRef, Visibility};

use super::rooms::user_named;
use super::{Call, as_member};
use crate::error::ApiError;

/// Joins a public room; joining a room one is already in changes nothing.
pub async fn join(mut call: Call, room_id: i64) -> Result<Room, ApiError> {
    call.spend_write()?;
    let access = store::access(&call.db, room_id, call.me.user_id).await?;
    if access.role.is_none() {
        if !access.joinable() {
            return Err(Refusal::NoSuchRoom.into());
        }
        if access.archived {
            return Err(Refusal::Archived.into());
        }
        let joined = store::add(&mut call.db, room_id, call.me.user_id, MemberRole::Member)
            .await
            .map_err(|e| match e {
                StoreError::Refused(Refusal::Banned) => {
                    ApiError::forbidden("you are banned from this room")
                }
                other => other.into(),
            })?;
        call.state.gateway.publish(joined);
    }
    Ok(rooms::view(&call.db, room_id, call.me.user_id).await?)
}

/// Leaves a room.
pub async fn leave(mut call: Call, room_id: i64) -> Result<(), ApiError> {
    call.spend_write()?;
    let not_member = || ApiError::not_found("not a member of such a room");
    let left = store::remove(&mut call.db, room_id, call.me.user_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound | StoreError::Refused(Refusal::NoSuchRoom) => not_member(),
            other => other.into(),
        })?;
    call.state.gateway.publish(left);
    Ok(())
}

/// Adds a user to a room: owners and admins of a private room, any member
/// of a public one.
pub async fn add(mut call: Call, room_id: i64, username: &str) -> Result<Member, ApiError> {
    call.spend_write()?;
    let (access, role) = as_member(&call.db, room_id, call.me.user_id).await?;
    if access.kind == RoomKind::Direct {
        return Err(ApiError::forbidden(
            "direct conversations are between two people",
        ));
    }
    if access.visibility == Visibility::Private && !role.moderates() {
        return Err(ApiError::forbidden(
            "only the room's owner or admins may add members",
        ));
    }
    if access.archived {
        return Err(Refusal::Archived.into());
    }
    let user = user_named(&call, username).await?;
    let added = store::add(&mut call.db, room_id, user.id, MemberRole::Member)
        .await
        .map_err(|e| match e {
            StoreError::Refused(Refusal::Banned) => {
                ApiError::forbidden(format!("{} is banned from this room", user.username))
            }
            other => other.into(),
        })?;
    if added.is_empty() {
        return Err(ApiError::conflict("already a member"));
    }
    call.state.gateway.publish(added);
    Ok(Member {
        user: UserRef {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            avatar_id: user.avatar.map(|f| f.id),
        },
        role: MemberRole::Member,
    })
}

/// Everyone in a room (members only).
pub async fn list(call: Call, room_id: i64) -> Result<Vec<Member>, ApiError> {
    as_member(&call.db, room_id, call.me.user_id).await?;
    Ok(store::list(&call.db, room_id).await?)
}
