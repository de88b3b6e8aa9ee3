//! Rooms: creating, listing, viewing and changing them, and direct
//! conversations.

use chat_store::{StoreError, members, moderation, rooms as store, users};
use chat_wire::files::FileId;
use chat_wire::validate::{self, Username};
use chat_wire::{Room, RoomKind, User, Visibility};

use super::names::refuse_mixed_scripts;
use super::people::check_avatar;
use super::{Call, as_member};
use crate::error::ApiError;

/// What the caller asked a new room to be.
#[derive(Debug, Clone, Copy)]
pub struct NewRoom<'a> {
    pub name: &'a str,
    pub visibility: Visibility,
    pub topic: Option<&'a str>,
}

/// Creates a room with the caller as its owner.
pub async fn create(mut call: Call, new: NewRoom<'_>) -> Result<Room, ApiError> {
    call.spend_write()?;
    let name = validate::name("name", new.name).map_err(ApiError::invalid)?;
    refuse_mixed_scripts("name", &name)?;
    let topic =
        validate::text("topic", new.topic.unwrap_or_default()).map_err(ApiError::invalid)?;
    let (room, event) = store::create(&mut call.db, call.me.user_id, &name, new.visibility, &topic)
        .await
        .map_err(|e| name_taken(e, &name))?;
    call.state.gateway.publish(event);
    Ok(room)
}

/// The rooms the caller is in, with unread counts.
pub async fn joined(call: Call) -> Result<Vec<Room>, ApiError> {
    Ok(store::list_joined(&call.db, call.me.user_id).await?)
}

/// Public rooms anyone may join.
pub async fn public(call: Call) -> Result<Vec<Room>, ApiError> {
    Ok(store::list_public(&call.db, call.me.user_id).await?)
}

/// One room: any public room, or a private one the caller is in.
pub async fn view(call: &Call, room_id: i64) -> Result<Room, ApiError> {
    let room = store::view(&call.db, room_id, call.me.user_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_room(),
            other => other.into(),
        })?;
    if room.role.is_none()
        && !(room.kind == RoomKind::Room && room.visibility == Visibility::Public)
    {
        return Err(no_such_room());
    }
    Ok(room)
}

/// Renames a room or changes its topic (owner or admins).
pub async fn update(
    mut call: Call,
    room_id: i64,
    name: Option<&str>,
    topic: Option<&str>,
) -> Result<Room, ApiError> {
    call.spend_write()?;
    let (access, role) = as_member(&call.db, room_id, call.me.user_id).await?;
    if !role.moderates() {
        return Err(ApiError::forbidden(
            "only the room's owner or admins may change it",
        ));
    }
    if access.kind == RoomKind::Direct {
        return Err(ApiError::forbidden(
            "direct conversations have no name or topic",
        ));
    }
    let name = name
        .map(|n| validate::name("name", n))
        .transpose()
        .map_err(ApiError::invalid)?;
    if let Some(name) = &name {
        refuse_mixed_scripts("name", name)?;
    }
    let topic = topic
        .map(|t| validate::text("topic", t))
        .transpose()
        .map_err(ApiError::invalid)?;
    let (room, event) = store::update(
        &mut call.db,
        room_id,
        call.me.user_id,
        name.as_deref(),
        topic.as_deref(),
    )
    .await
    .map_err(|e| name_taken(e, name.as_deref().unwrap_or_default()))?;
    call.state.gateway.publish(event);
    Ok(room)
}

/// Sets a room's avatar to an image the caller uploaded, or clears it with
/// `None`: the room's owners and admins, and server admins (member or
/// not, as with other moderation). Members hear of it as `room.updated`.
pub async fn set_avatar(
    mut call: Call,
    room_id: i64,
    file_id: Option<FileId>,
) -> Result<Room, ApiError> {
    call.spend_write()?;
    let access = members::access(&call.db, room_id, call.me.user_id).await?;
    let moderates = access.role.is_some_and(|r| r.moderates())
        || moderation::is_server_admin(&call.db, call.me.user_id).await?;
    if !moderates {
        // A stranger to a private room learns nothing of it.
        access.member()?;
    }
    if access.kind == RoomKind::Direct {
        return Err(ApiError::forbidden(
            "direct conversations show the other participant's avatar, not one of their own",
        ));
    }
    if !moderates {
        return Err(ApiError::forbidden(
            "only the room's owner or admins may change its avatar",
        ));
    }
    if let Some(file_id) = file_id {
        check_avatar(&call, file_id).await?;
    }
    let (room, event) = store::set_avatar(&mut call.db, room_id, call.me.user_id, file_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_room(),
            other => other.into(),
        })?;
    call.state.gateway.publish(event);
    Ok(room)
}

/// Opens (or finds) the direct conversation with another user; true when
/// it was created now.
pub async fn open_direct(mut call: Call, username: &str) -> Result<(Room, bool), ApiError> {
    call.spend_write()?;
    let peer = user_named(&call, username).await?;
    if peer.id == call.me.user_id {
        return Err(ApiError::invalid(
            "cannot open a direct conversation with yourself",
        ));
    }
    super::blocks::refuse_direct_if_blocked(&call, peer.id).await?;
    let direct = store::open_direct(
        &mut call.db,
        (call.me.user_id, &call.me.username),
        (peer.id, &peer.username),
    )
    .await?;
    call.state.gateway.publish(direct.events);
    Ok((direct.room, direct.created))
}

/// An active user by name; 404 for anything that names no one.
pub(super) async fn user_named(call: &Call, username: &str) -> Result<User, ApiError> {
    let no_such_user = || ApiError::not_found("no such user");
    let name = Username::parse(username).map_err(|_| no_such_user())?;
    users::by_username(&call.db, name.as_str())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_user(),
            other => other.into(),
        })
}

/// Public room names are unique (ignoring case): a clear 409 for a taken one.
fn name_taken(error: StoreError, name: &str) -> ApiError {
    match error {
        StoreError::Conflict(key) if key == store::PUBLIC_NAME_KEY => ApiError::conflict(format!(
            "a public room named {name:?} already exists; join it, or pick another name"
        )),
        other => other.into(),
    }
}

fn no_such_room() -> ApiError {
    ApiError::not_found("no such room")
}
