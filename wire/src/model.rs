//! The API's resources: users, rooms, members, messages and room events.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::files::{FileId, FileInfo};

pub type UserId = i64;
pub type RoomId = i64;
pub type MessageId = i64;
/// Position in a room's event log; strictly increasing in commit order.
pub type Seq = i64;

/// A user's public profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Their avatar: an image they uploaded, shown through its thumbnail
    /// (`GET /api/v1/files/{id}/thumbnail`, readable by every user). Boxed:
    /// a `ready` frame carries a user, and every frame value as large.
    #[serde(default)]
    pub avatar: Option<Box<FileInfo>>,
}

/// The short form of a user carried inside messages and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// The file id of their avatar, as it is now (absent without one): its
    /// image is `GET /api/v1/files/{avatar_id}/thumbnail`. An id rather
    /// than the file, so every message stays small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_id: Option<FileId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Room,
    Direct,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

/// A member's standing in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Owner,
    Admin,
    Member,
}

impl MemberRole {
    /// Owners and admins moderate: they add members to private rooms and
    /// delete other people's messages.
    pub fn moderates(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// A room or a direct conversation, as seen by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Room {
    pub id: RoomId,
    pub kind: RoomKind,
    /// For a direct room, the other participant's username.
    pub name: String,
    pub topic: String,
    pub visibility: Visibility,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The seq of the newest event in the room's log (0 when empty).
    pub latest_seq: Seq,
    /// Messages of others after the caller's read marker; only in the
    /// caller's own room list and room lookups of rooms they are in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<i64>,
    /// Messages after the caller's read marker that mention them by name
    /// or `@room` (their own and blocked senders' excepted); present where
    /// `unread_count` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_count: Option<i64>,
    /// The caller's role, when they are a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MemberRole>,
    /// The caller's read marker, when they are a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_seq: Option<Seq>,
    /// The room's avatar, set by its owners and admins; for a direct room,
    /// the other participant's. Boxed, as [`User::avatar`] is.
    #[serde(default)]
    pub avatar: Option<Box<FileInfo>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user: UserRef,
    pub role: MemberRole,
}

/// A chat message. A deleted message stays as a tombstone: `deleted` is
/// true and `body` is null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: MessageId,
    pub room_id: RoomId,
    /// The seq of the `message.created` event that introduced it.
    pub seq: Seq,
    pub author: UserRef,
    pub body: Option<String>,
    pub client_id: Option<String>,
    pub reply_to: Option<MessageId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    pub deleted: bool,
    /// One entry per emoji, in first-reaction order (empty once deleted).
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    /// Pinned to the room (never once deleted).
    #[serde(default)]
    pub pinned: bool,
    /// Members mentioned by `@username` (empty once deleted).
    #[serde(default)]
    pub mentions: Vec<UserId>,
    /// `@room` was written: every member is mentioned.
    #[serde(default)]
    pub mentions_room: bool,
    /// On a thread reply: the top-level message it replies in.
    #[serde(default)]
    pub thread_root: Option<MessageId>,
    /// On a thread's root: its replies so far (null without replies).
    #[serde(default)]
    pub thread: Option<ThreadSummary>,
    /// Files the author attached, in the order given (empty once deleted).
    #[serde(default)]
    pub attachments: Vec<FileInfo>,
}

/// A thread as its root shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThreadSummary {
    /// Replies, deleted ones (tombstones) included.
    pub reply_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_reply_at: Option<OffsetDateTime>,
    /// Who replied, in the order of their first reply.
    pub participant_ids: Vec<UserId>,
    /// The seq of the newest reply counted here. A client that holds this
    /// summary and then hears a reply's `message.created` counts the reply
    /// only if its seq is greater (a page of history read after the reply
    /// already counts it).
    #[serde(default)]
    pub last_reply_seq: i64,
}

/// The reactions of one emoji on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reaction {
    /// One emoji (NFC) or a `:short_name:`.
    pub emoji: String,
    pub count: i64,
    /// Who reacted, in the order they did.
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "message.updated")]
    MessageUpdated,
    #[serde(rename = "message.deleted")]
    MessageDeleted,
    #[serde(rename = "member.joined")]
    MemberJoined,
    #[serde(rename = "member.left")]
    MemberLeft,
    #[serde(rename = "member.updated")]
    MemberUpdated,
    #[serde(rename = "room.updated")]
    RoomUpdated,
    #[serde(rename = "reaction.added")]
    ReactionAdded,
    #[serde(rename = "reaction.removed")]
    ReactionRemoved,
    #[serde(rename = "message.pinned")]
    MessagePinned,
    #[serde(rename = "message.unpinned")]
    MessageUnpinned,
}

impl EventType {
    /// The name stored in the event log and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessageCreated => "message.created",
            Self::MessageUpdated => "message.updated",
            Self::MessageDeleted => "message.deleted",
            Self::MemberJoined => "member.joined",
            Self::MemberLeft => "member.left",
            Self::MemberUpdated => "member.updated",
            Self::RoomUpdated => "room.updated",
            Self::ReactionAdded => "reaction.added",
            Self::ReactionRemoved => "reaction.removed",
            Self::MessagePinned => "message.pinned",
            Self::MessageUnpinned => "message.unpinned",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::MessageCreated,
            Self::MessageUpdated,
            Self::MessageDeleted,
            Self::MemberJoined,
            Self::MemberLeft,
            Self::MemberUpdated,
            Self::RoomUpdated,
            Self::ReactionAdded,
            Self::ReactionRemoved,
            Self::MessagePinned,
            Self::MessageUnpinned,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

/// One entry of a room's event log.
///
/// Message events carry the message as it is now (an edited message shows
/// its new body, a deleted one is a tombstone), so a client that replays the
/// log converges on the current state and never sees deleted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: EventType,
    pub room_id: RoomId,
    pub seq: Seq,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// For `message.*` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// For `member.*` events: who joined or left; for `reaction.*` and
    /// `message.pinned`/`unpinned`: who reacted or pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    /// For `room.updated`: the room's new name, topic and avatar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomUpdate>,
    /// For `member.updated`: the member's new role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MemberRole>,
    /// For `member.left` when someone else removed the member, and for
    /// `member.updated`: who did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserRef>,
    /// For `reaction.*`: the emoji added or removed (by `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
}

/// The fields a `room.updated` event reports: the room's name, topic and
/// avatar as they are after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomUpdate {
    pub name: String,
    pub topic: String,
    /// Null when the room has none.
    #[serde(default)]
    pub avatar: Option<FileInfo>,
    /// The room was archived: it keeps its history but takes no new
    /// messages or members.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_names_round_trip() {
        for name in [
            "message.created",
            "message.updated",
            "message.deleted",
            "member.joined",
            "member.left",
            "member.updated",
            "room.updated",
            "reaction.added",
            "reaction.removed",
            "message.pinned",
            "message.unpinned",
        ] {
            let t = EventType::parse(name).unwrap();
            assert_eq!(t.as_str(), name);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{name}\""));
        }
        assert_eq!(EventType::parse("message.exploded"), None);
    }

    #[test]
    fn avatars_are_optional_on_the_wire() {
        // Older servers send neither field; a user without one is read as
        // having none.
        let old: UserRef =
            serde_json::from_str(r#"{"id": 1, "username": "a", "display_name": ""}"#).unwrap();
        assert_eq!(old.avatar_id, None);
        // The short form leaves it out when there is none, and keeps it
        // when there is one.
        assert!(!serde_json::to_string(&old).unwrap().contains("avatar_id"));
        let with = UserRef {
            avatar_id: Some(7),
            ..old
        };
        assert!(
            serde_json::to_string(&with)
                .unwrap()
                .contains(r#""avatar_id":7"#)
        );
        let update: RoomUpdate = serde_json::from_str(r#"{"name": "n", "topic": ""}"#).unwrap();
        assert_eq!(update.avatar, None);
        assert!(
            serde_json::to_string(&update)
                .unwrap()
                .contains(r#""avatar":null"#)
        );
    }
}
