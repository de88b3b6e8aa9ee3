//! The `rooms` table: named rooms and direct conversations.

use chat_wire::{EventType, MemberRole, Room, RoomKind, Seq, Visibility};
use time::OffsetDateTime;

use crate::events::Appends;
use crate::rows::{self, ROOM_SELECT, avatar_json, visibility_str};
use crate::{Client, Committed, GenericClient, StoreError, StoreResult, members};

/// The unique index that keeps public room names apart (ignoring case);
/// a create or rename that would repeat one fails with
/// `StoreError::Conflict` naming it.
pub const PUBLIC_NAME_KEY: &str = "rooms_public_name_key";

/// Creates a room with `owner_id` as its owner; logs the owner's join,
/// the room's first event.
pub async fn create(
    client: &mut Client,
    owner_id: i64,
    name: &str,
    visibility: Visibility,
    topic: &str,
) -> StoreResult<(Room, Committed)> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    let id: i64 = tx
        .query_one(
            "INSERT INTO rooms (kind, name, topic, visibility) VALUES ('room', $1, $2, $3) RETURNING id",
            &[&name, &topic, &visibility_str(visibility)],
        )
        .await?
        .get(0);
    members::insert(&tx, &mut log, id, owner_id, MemberRole::Owner).await?;
    let room = view(&tx, id, owner_id).await?;
    Ok((room, log.commit(tx).await?))
}

/// A room as `viewer` sees it, whether or not they are a member; callers
/// decide what a non-member may see. `NotFound` if it does not exist.
pub async fn view(db: &impl GenericClient, room_id: i64, viewer: i64) -> StoreResult<Room> {
    let stmt = db
        .prepare_cached(&format!("{ROOM_SELECT} WHERE r.id = $2"))
        .await?;
    let row = db
        .query_opt(&stmt, &[&viewer, &room_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    rows::room(&row)
}

/// The rooms `viewer` is a member of, with unread counts.
pub async fn list_joined(db: &impl GenericClient, viewer: i64) -> StoreResult<Vec<Room>> {
    db.query(
        &format!("{ROOM_SELECT} WHERE mem.user_id IS NOT NULL ORDER BY r.id"),
        &[&viewer],
    )
    .await?
    .iter()
    .map(rows::room)
    .collect()
}

/// Public rooms anyone may join (archived ones excluded).
pub async fn list_public(db: &impl GenericClient, viewer: i64) -> StoreResult<Vec<Room>> {
    db.query(
        &format!(
            "{ROOM_SELECT} WHERE r.kind = 'room' AND r.visibility = 'public' \
             AND r.archived_at IS NULL ORDER BY r.id"
        ),
        &[&viewer],
    )
    .await?
    .iter()
    .map(rows::room)
    .collect()
}

/// The outcome of opening a direct conversation.
#[derive(Debug)]
pub struct Direct {
    pub room: Room,
    pub created: bool,
    /// The `member.joined` events it logged.
    pub events: Committed,
}

/// Finds or creates the direct room of two users. Re-adds either
/// participant who had left it.
pub async fn open_direct(
    client: &mut Client,
    me: (i64, &str),
    peer: (i64, &str),
) -> StoreResult<Direct> {
    let (low, high) = if me.0 < peer.0 {
        (me, peer)
    } else {
        (peer, me)
    };
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    // ON CONFLICT waits for a concurrent creator of the same pair to commit,
    // then does nothing; the lookup below then finds its room.
    let created = tx
        .query_opt(
            "INSERT INTO rooms (kind, name, visibility, dm_low, dm_high) \
             VALUES ('direct', $3, 'private', $1, $2) \
             ON CONFLICT (dm_low, dm_high) WHERE kind = 'direct' DO NOTHING RETURNING id",
            &[&low.0, &high.0, &format!("{}, {}", low.1, high.1)],
        )
        .await?;
    let id: i64 = match &created {
        Some(row) => row.get(0),
        None => tx
            .query_one(
                "SELECT id FROM rooms WHERE kind = 'direct' AND dm_low = $1 AND dm_high = $2",
                &[&low.0, &high.0],
            )
            .await?
            .get(0),
    };
    for user in [me.0, peer.0] {
        members::insert(&tx, &mut log, id, user, MemberRole::Member).await?;
    }
    let room = view(&tx, id, me.0).await?;
    Ok(Direct {
        room,
        created: created.is_some(),
        events: log.commit(tx).await?,
    })
}

/// Adds participants of a direct room who had left it back in (each with
/// its `member.joined` event), so a message sent there reaches them: a
/// direct conversation has no one else to read it.
pub async fn rejoin_direct(
    client: &mut Client,
    room_id: i64,
    users: &[i64],
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    for &user in users {
        members::insert(&tx, &mut log, room_id, user, MemberRole::Member).await?;
    }
    log.commit(tx).await
}

/// What a `room.updated` event records, from `rooms r` after the change:
/// the room's name, topic and avatar (a file's JSON, or null), so the
/// newest such event alone says how the room looks.
const UPDATED_DATA: &str = concat!(
    "jsonb_build_object('name', r.name, 'topic', r.topic, 'avatar', ",
    avatar_json!("r.avatar_file_id"),
    ")"
);

/// Renames a room or changes its topic, logging `room.updated`. The
/// returned room's `latest_seq` is that event's seq.
pub async fn update(
    client: &mut Client,
    room_id: i64,
    viewer: i64,
    name: Option<&str>,
    topic: Option<&str>,
) -> StoreResult<(Room, Committed)> {
    let tx = client.transaction().await?;
    let row = tx
        .query_one(
            &format!(
                "UPDATE rooms r SET name = coalesce($2, r.name), topic = coalesce($3, r.topic) \
                 WHERE r.id = $1 RETURNING {UPDATED_DATA}"
            ),
            &[&room_id, &name, &topic],
        )
        .await?;
    updated(tx, room_id, viewer, row.get(0)).await
}

/// Sets (or with `None` clears) a named room's avatar, logging
/// `room.updated`. The caller has checked that `viewer` may and that the
/// file is an image they uploaded. `NotFound` if there is no such named
/// room.
pub async fn set_avatar(
    client: &mut Client,
    room_id: i64,
    viewer: i64,
    file_id: Option<i64>,
) -> StoreResult<(Room, Committed)> {
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            &format!(
                "UPDATE rooms r SET avatar_file_id = $2 WHERE r.id = $1 AND r.kind = 'room' \
                 RETURNING {UPDATED_DATA}"
            ),
            &[&room_id, &file_id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    updated(tx, room_id, viewer, row.get(0)).await
}

/// The end of a change to a room's look: logs `room.updated` with `data`
/// (the room as it now looks), reads the room back as `viewer` sees it
/// and commits.
async fn updated(
    tx: deadpool_postgres::Transaction<'_>,
    room_id: i64,
    viewer: i64,
    data: serde_json::Value,
) -> StoreResult<(Room, Committed)> {
    let mut log = Appends::default();
    log.append(
        &tx,
        room_id,
        EventType::RoomUpdated,
        None,
        Some(viewer),
        Some(data),
    )
    .await?;
    let room = view(&tx, room_id, viewer).await?;
    Ok((room, log.commit(tx).await?))
}

/// A room as an administrator sees it, with its size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoomSummary {
    pub id: i64,
    pub kind: RoomKind,
    pub name: String,
    pub topic: String,
    pub visibility: Visibility,
    pub archived: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub latest_seq: Seq,
    pub members: i64,
    pub messages: i64,
}

const SUMMARY_SELECT: &str = "SELECT r.id, r.kind, \
       CASE WHEN r.kind = 'direct' \
            THEN (SELECT string_agg(u.username, ', ' ORDER BY u.id) FROM users u \
                  WHERE u.id IN (r.dm_low, r.dm_high)) \
            ELSE r.name END, \
       r.topic, r.visibility, r.archived_at IS NOT NULL, r.created_at, r.latest_seq, \
       (SELECT count(*) FROM memberships m WHERE m.room_id = r.id), \
       (SELECT count(*) FROM messages m WHERE m.room_id = r.id AND m.deleted_at IS NULL) \
     FROM rooms r";

fn summary(row: &tokio_postgres::Row) -> StoreResult<RoomSummary> {
    Ok(RoomSummary {
        id: row.get(0),
        kind: rows::room_kind(row.get(1))?,
        name: row.get(2),
        topic: row.get(3),
        visibility: rows::visibility(row.get(4))?,
        archived: row.get(5),
        created_at: row.get(6),
        latest_seq: row.get(7),
        members: row.get(8),
        messages: row.get(9),
    })
}

/// Every room, for administrators; direct rooms and archived rooms only
/// when asked for.
pub async fn list_all(
    db: &impl GenericClient,
    with_direct: bool,
    with_archived: bool,
) -> StoreResult<Vec<RoomSummary>> {
    db.query(
        &format!(
            "{SUMMARY_SELECT} WHERE ($1 OR r.kind = 'room') \
               AND ($2 OR r.archived_at IS NULL) ORDER BY r.id"
        ),
        &[&with_direct, &with_archived],
    )
    .await?
    .iter()
    .map(summary)
    .collect()
}

/// Named rooms (not direct conversations) called `name`, ignoring case,
/// for administrators; public names are unique, private ones need not be.
pub async fn named(db: &impl GenericClient, name: &str) -> StoreResult<Vec<RoomSummary>> {
    db.query(
        &format!(
            "{SUMMARY_SELECT} WHERE r.kind = 'room' AND lower(r.name) = lower($1) ORDER BY r.id"
        ),
        &[&name],
    )
    .await?
    .iter()
    .map(summary)
    .collect()
}

/// One room for administrators; `NotFound` if it does not exist.
pub async fn summary_of(db: &impl GenericClient, room_id: i64) -> StoreResult<RoomSummary> {
    let row = db
        .query_opt(&format!("{SUMMARY_SELECT} WHERE r.id = $1"), &[&room_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    summary(&row)
}

/// Archives a room: it keeps its history and members but takes no new
/// messages or members and leaves the public list. Logs `room.updated`
/// with `"archived": true`; the returned value is empty if it was already
/// archived. `NotFound` if there is no such named room.
pub async fn archive(client: &mut Client, room_id: i64) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    let row = tx
        .query_opt(
            &format!(
                "UPDATE rooms r SET archived_at = now() \
                 WHERE r.id = $1 AND r.kind = 'room' AND r.archived_at IS NULL \
                 RETURNING {UPDATED_DATA} || jsonb_build_object('archived', true)"
            ),
            &[&room_id],
        )
        .await?;
    let Some(row) = row else {
        let exists = tx
            .query_opt(
                "SELECT 1 FROM rooms WHERE id = $1 AND kind = 'room'",
                &[&room_id],
            )
            .await?;
        return if exists.is_some() {
            Ok(Committed::default())
        } else {
            Err(StoreError::NotFound)
        };
    };
    let data: serde_json::Value = row.get(0);
    log.append(&tx, room_id, EventType::RoomUpdated, None, None, Some(data))
        .await?;
    log.commit(tx).await
}
