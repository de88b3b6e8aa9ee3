//! Shared column lists and row decoders, so every query that returns a user,
//! a room or a message selects and decodes it the same way.

use chat_wire::{
    MemberRole, Message, Reaction, Room, RoomKind, ThreadSummary, User, UserRef, Visibility,
};
use tokio_postgres::Row;

use crate::{StoreError, StoreResult};

/// The columns of a message's own row and its author.
macro_rules! message_row_columns {
    () => {
        "m.id, m.room_id, m.seq, m.author_id, au.username, \
         au.display_name, m.body, m.client_id, m.reply_to, m.created_at, m.edited_at, \
         m.deleted_at IS NOT NULL, m.thread_root, m.mentions_room, m.reply_count, \
         m.last_reply_at, m.thread_participants, au.avatar_file_id, m.last_reply_seq"
    };
}

/// A message's reactions: a jsonb array of `{emoji, count, user_ids}` in
/// first-reaction order, or NULL for none. One index range of
/// (room_id, message_id).
macro_rules! message_reactions_column {
    () => {
        "(SELECT jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, \
                 'user_ids', g.users) ORDER BY g.first) \
          FROM (SELECT r.emoji, count(*) AS n, min(r.seq) AS first, \
                       array_agg(r.user_id ORDER BY r.seq) AS users \
                FROM reactions r WHERE r.room_id = m.room_id AND r.message_id = m.id \
                GROUP BY r.emoji) g)"
    };
}
pub(crate) use message_reactions_column;

/// Whether the message is pinned: one index probe.
macro_rules! message_pinned_column {
    () => {
        "EXISTS (SELECT 1 FROM pins p WHERE p.room_id = m.room_id AND p.message_id = m.id)"
    };
}
pub(crate) use message_pinned_column;

/// The members a message mentions by name, ascending: one index range.
macro_rules! message_mentions_column {
    () => {
        "ARRAY(SELECT mn.user_id FROM mentions mn \
               WHERE mn.room_id = m.room_id AND mn.message_id = m.id ORDER BY mn.user_id)"
    };
}
pub(crate) use message_mentions_column;

/// A file as `FileInfo`'s JSON, from `files f`.
macro_rules! file_json {
    () => {
        "jsonb_build_object('id', f.id, 'name', f.name, 'content_type', f.content_type, \
             'size', f.size, 'sha256', f.sha256, 'width', f.width, 'height', f.height, \
             'has_thumbnail', f.thumb_sha256 IS NOT NULL, 'created_at', f.created_at)"
    };
}
pub(crate) use file_json;

/// The file named by a column (an avatar) as `FileInfo`'s JSON, or NULL.
macro_rules! avatar_json {
    ($id:literal) => {
        concat!(
            "(SELECT ",
            $crate::rows::file_json!(),
            " FROM files f WHERE f.id = ",
            $id,
            ")"
        )
    };
}
pub(crate) use avatar_json;

/// Columns of a public profile, from `users u`: the avatar's file as JSON
/// (one primary-key probe, only for users who have one).
pub(crate) const USER_COLUMNS: &str = concat!(
    "u.id, u.username, u.display_name, u.bio, u.created_at, ",
    avatar_json!("u.avatar_file_id")
);

/// How many columns [`USER_COLUMNS`] has: a query's own columns follow.
pub(crate) const USER_COLUMN_COUNT: usize = 6;

pub(crate) fn user(row: &Row) -> User {
    User {
        id: row.get(0),
        username: row.get(1),
        display_name: row.get(2),
        bio: row.get(3),
        created_at: row.get(4),
        avatar: json_value(row.get(5)),
    }
}

/// A message's attachments in order: a jsonb array of files, or NULL.
macro_rules! message_attachments_column {
    () => {
        concat!(
            "(SELECT jsonb_agg(",
            $crate::rows::file_json!(),
            " ORDER BY ma.position) \
             FROM message_attachments ma JOIN files f ON f.id = ma.file_id \
             WHERE ma.room_id = m.room_id AND ma.message_id = m.id)"
        )
    };
}
pub(crate) use message_attachments_column;

/// Columns of a message with its author, reactions, pin, mentions and
/// attachments, from `messages m JOIN users au ON au.id = m.author_id`.
pub(crate) const MESSAGE_COLUMNS: &str = concat!(
    message_row_columns!(),
    ", ",
    message_reactions_column!(),
    ", ",
    message_pinned_column!(),
    ", ",
    message_mentions_column!(),
    ", ",
    message_attachments_column!()
);
/// The message's own columns, without reactions, pin and mentions; a send
/// adds those three itself (a new message has no reactions and no pin, and
/// its mentions are the rows the same statement inserted).
pub(crate) const MESSAGE_ROW_COLUMNS: &str = message_row_columns!();
/// How many columns [`MESSAGE_COLUMNS`] has: a query's own columns follow.
pub(crate) const MESSAGE_COLUMN_COUNT: usize = 23;
pub(crate) const MESSAGE_FROM: &str = "messages m JOIN users au ON au.id = m.author_id";

/// Decodes a message whose columns start at `at` (events select more
/// columns before it).
pub(crate) fn message_at(row: &Row, at: usize) -> Message {
    let deleted: bool = row.get(at + 11);
    Message {
        id: row.get(at),
        room_id: row.get(at + 1),
        seq: row.get(at + 2),
        author: UserRef {
            id: row.get(at + 3),
            username: row.get(at + 4),
            display_name: row.get(at + 5),
            avatar_id: row.get(at + 17),
        },
        body: if deleted { None } else { Some(row.get(at + 6)) },
        client_id: row.get(at + 7),
        reply_to: row.get(at + 8),
        created_at: row.get(at + 9),
        edited_at: row.get(at + 10),
        deleted,
        thread_root: row.get(at + 12),
        mentions_room: row.get(at + 13),
        thread: thread(
            row.get(at + 14),
            row.get(at + 15),
            row.get(at + 16),
            row.get(at + 18),
        ),
        reactions: reactions(row.get(at + 19)),
        pinned: row.get(at + 20),
        mentions: row.get(at + 21),
        attachments: json_list(row.get(at + 22)),
    }
}

/// The summary a thread's root carries; none before the first reply.
fn thread(
    reply_count: i32,
    last_reply_at: Option<time::OffsetDateTime>,
    participant_ids: Vec<i64>,
    last_reply_seq: Option<i64>,
) -> Option<ThreadSummary> {
    (reply_count > 0).then(|| ThreadSummary {
        reply_count: reply_count.into(),
        last_reply_at,
        participant_ids,
        last_reply_seq: last_reply_seq.unwrap_or(0),
    })
}

/// Decodes the reactions column (NULL when there are none).
fn reactions(value: Option<serde_json::Value>) -> Vec<Reaction> {
    json_list(value)
}

/// Decodes a jsonb array column (NULL when empty). The database builds it,
/// so a shape it cannot have would be a bug: it reads as empty.
fn json_list<T: serde::de::DeserializeOwned>(value: Option<serde_json::Value>) -> Vec<T> {
    value
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Decodes a jsonb object column (NULL for none), as [`json_list`] does.
pub(crate) fn json_value<T: serde::de::DeserializeOwned>(
    value: Option<serde_json::Value>,
) -> Option<T> {
    value.and_then(|v| serde_json::from_value(v).ok())
}

pub(crate) fn message(row: &Row) -> Message {
    message_at(row, 0)
}

/// A room as one user sees it. `$1` must be the viewer's user id. Direct
/// rooms are named after the other participant; membership fields are NULL
/// for a non-member.
pub(crate) const ROOM_SELECT: &str = concat!(
    "SELECT r.id, r.kind, \
       CASE WHEN r.kind = 'direct' THEN coalesce(peer.username, r.name) ELSE r.name END, \
       r.topic, r.visibility, r.created_at, r.latest_seq, mem.role, mem.read_seq, \
       CASE WHEN mem.user_id IS NULL THEN NULL ELSE ( \
           SELECT count(*) FROM messages um \
           WHERE um.room_id = r.id AND um.seq > mem.read_seq \
             AND um.author_id <> $1 AND um.deleted_at IS NULL AND um.thread_root IS NULL) END, \
       CASE WHEN mem.user_id IS NULL THEN NULL ELSE ( \
           SELECT count(*) FROM ( \
               SELECT mn.message_id FROM mentions mn \
               WHERE mn.room_id = r.id AND mn.user_id = $1 AND mn.seq > mem.read_seq \
                 AND mn.author_id <> $1 AND NOT EXISTS ( \
                     SELECT 1 FROM blocks b WHERE b.user_id = $1 AND b.blocked_id = mn.author_id) \
               UNION \
               SELECT rm.id FROM messages rm \
               WHERE rm.room_id = r.id AND rm.mentions_room AND rm.seq > mem.read_seq \
                 AND rm.author_id <> $1 AND rm.deleted_at IS NULL AND NOT EXISTS ( \
                     SELECT 1 FROM blocks b WHERE b.user_id = $1 AND b.blocked_id = rm.author_id) \
               ) mentioned) END, \
       ",
    avatar_json!("CASE WHEN r.kind = 'direct' THEN peer.avatar_file_id ELSE r.avatar_file_id END"),
    " FROM rooms r \
     LEFT JOIN memberships mem ON mem.room_id = r.id AND mem.user_id = $1 \
     LEFT JOIN users peer ON r.kind = 'direct' \
          AND peer.id = CASE WHEN r.dm_low = $1 THEN r.dm_high ELSE r.dm_low END"
);

pub(crate) fn room(row: &Row) -> StoreResult<Room> {
    let role: Option<String> = row.get(7);
    Ok(Room {
        id: row.get(0),
        kind: room_kind(row.get(1))?,
        name: row.get(2),
        topic: row.get(3),
        visibility: visibility(row.get(4))?,
        created_at: row.get(5),
        latest_seq: row.get(6),
        role: role.as_deref().map(member_role).transpose()?,
        read_seq: row.get(8),
        unread_count: row.get(9),
        mention_count: row.get(10),
        avatar: json_value(row.get(11)),
    })
}

pub(crate) fn room_kind(s: &str) -> StoreResult<RoomKind> {
    match s {
        "room" => Ok(RoomKind::Room),
        "direct" => Ok(RoomKind::Direct),
        other => Err(corrupt("rooms.kind", other)),
    }
}

pub(crate) fn visibility(s: &str) -> StoreResult<Visibility> {
    match s {
        "public" => Ok(Visibility::Public),
        "private" => Ok(Visibility::Private),
        other => Err(corrupt("rooms.visibility", other)),
    }
}

pub(crate) fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Private => "private",
    }
}

pub(crate) fn member_role(s: &str) -> StoreResult<MemberRole> {
    match s {
        "owner" => Ok(MemberRole::Owner),
        "admin" => Ok(MemberRole::Admin),
        "member" => Ok(MemberRole::Member),
        other => Err(corrupt("memberships.role", other)),
    }
}

pub(crate) fn member_role_str(r: MemberRole) -> &'static str {
    match r {
        MemberRole::Owner => "owner",
        MemberRole::Admin => "admin",
        MemberRole::Member => "member",
    }
}

fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Internal(format!("unexpected value {value:?} in {column}"))
}
