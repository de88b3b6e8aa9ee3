//! The `memberships` table: who is in which room, in what role, and how far
//! they have read. Joins and leaves are logged as room events.

use chat_wire::{EventType, Member, MemberRole, RoomKind, Seq, UserRef, Visibility};

use crate::events::Appends;
use crate::rows::{member_role, member_role_str, room_kind, visibility};
use crate::{Client, Committed, GenericClient, Refusal, StoreError, StoreResult, moderation};

/// What decides what a user may do in a room: its kind, visibility and
/// state, and their role in it.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub kind: RoomKind,
    pub visibility: Visibility,
    pub archived: bool,
    /// `None` when the user is not a member.
    pub role: Option<MemberRole>,
}

impl Access {
    /// Public named rooms are the ones anyone may see and join.
    pub fn joinable(&self) -> bool {
        self.kind == RoomKind::Room && self.visibility == Visibility::Public
    }

    /// The member's role, or the refusal a non-member gets.
    pub fn member(&self) -> Result<MemberRole, Refusal> {
        self.role.ok_or(Refusal::NotMember {
            joinable: self.joinable(),
        })
    }
}

/// One statement that answers every authorization question about a room
/// for one user. [`Refusal::NoSuchRoom`] if the room does not exist.
pub async fn access(db: &impl GenericClient, room_id: i64, user_id: i64) -> StoreResult<Access> {
    let stmt = db
        .prepare_cached(
            "SELECT r.kind, r.visibility, r.archived_at IS NOT NULL, m.role FROM rooms r \
             LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = $2 WHERE r.id = $1",
        )
        .await?;
    let row = db
        .query_opt(&stmt, &[&room_id, &user_id])
        .await?
        .ok_or(Refusal::NoSuchRoom)?;
    let role: Option<&str> = row.get(3);
    Ok(Access {
        kind: room_kind(row.get(0))?,
        visibility: visibility(row.get(1))?,
        archived: row.get(2),
        role: role.map(member_role).transpose()?,
    })
}

/// Inserts a membership and logs `member.joined`, inside the caller's
/// transaction. False (and nothing logged) if the user was already a member.
pub(crate) async fn insert(
    db: &impl GenericClient,
    log: &mut Appends,
    room_id: i64,
    user_id: i64,
    role: MemberRole,
) -> StoreResult<bool> {
    let added = db
        .execute(
            "INSERT INTO memberships (room_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            &[&room_id, &user_id, &member_role_str(role)],
        )
        .await?
        == 1;
    if added {
        log.append(
            db,
            room_id,
            EventType::MemberJoined,
            None,
            Some(user_id),
            None,
        )
        .await?;
    }
    Ok(added)
}

/// Adds a user to a room and logs `member.joined`; the returned value is
/// empty if they were already in it. [`Refusal::Banned`] if they are
/// banned from it.
pub async fn add(
    client: &mut Client,
    room_id: i64,
    user_id: i64,
    role: MemberRole,
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    // The room's row lock first, as a ban takes it: a ban and a join
    // cannot cross, so a banned user never slips in.
    tx.query_opt(
        "SELECT 1 FROM rooms WHERE id = $1 FOR NO KEY UPDATE",
        &[&room_id],
    )
    .await?
    .ok_or(Refusal::NoSuchRoom)?;
    if moderation::banned(&tx, room_id, user_id).await? {
        return Err(Refusal::Banned.into());
    }
    let mut log = Appends::default();
    insert(&tx, &mut log, room_id, user_id, role).await?;
    log.commit(tx).await
}

/// Removes a user from a room and logs `member.left`. When the last owner
/// leaves a room that still has members, the longest-standing admin (or
/// else member) becomes owner, so no room is left without one.
/// `NotFound` if the user was not a member.
pub async fn remove(client: &mut Client, room_id: i64, user_id: i64) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    remove_in(&tx, &mut log, room_id, user_id).await?;
    log.commit(tx).await
}

/// [`remove`] inside the caller's transaction, which must be rolled back
/// on `NotFound` (the event is already appended then).
pub(crate) async fn remove_in(
    tx: &impl GenericClient,
    log: &mut Appends,
    room_id: i64,
    user_id: i64,
) -> StoreResult<()> {
    remove_in_by(tx, log, room_id, user_id, None).await
}

/// [`remove_in`], noting in the event who removed the member when it was
/// someone else (`by`).
pub(crate) async fn remove_in_by(
    tx: &impl GenericClient,
    log: &mut Appends,
    room_id: i64,
    user_id: i64,
    by: Option<i64>,
) -> StoreResult<()> {
    let data = by.map(|by| serde_json::json!({ "by": by }));
    // Lock the room first, as every writer does, by appending the event.
    log.append(
        tx,
        room_id,
        EventType::MemberLeft,
        None,
        Some(user_id),
        data,
    )
    .await?;
    let removed = tx
        .execute(
            "DELETE FROM memberships WHERE room_id = $1 AND user_id = $2",
            &[&room_id, &user_id],
        )
        .await?;
    if removed == 0 {
        return Err(StoreError::NotFound);
    }
    let heir = tx
        .query_opt(
            "SELECT user_id FROM memberships WHERE room_id = $1 \
               AND NOT EXISTS (SELECT 1 FROM memberships WHERE room_id = $1 AND role = 'owner') \
               AND EXISTS (SELECT 1 FROM rooms WHERE id = $1 AND kind = 'room') \
             ORDER BY (role = 'admin') DESC, joined_at, user_id LIMIT 1",
            &[&room_id],
        )
        .await?;
    if let Some(heir) = heir {
        // Logged like any role change, so clients see the new owner.
        moderation::update_role(tx, log, room_id, heir.get(0), MemberRole::Owner, None).await?;
    }
    Ok(())
}

/// Everyone in a room, owners first.
pub async fn list(db: &impl GenericClient, room_id: i64) -> StoreResult<Vec<Member>> {
    db.query(
        "SELECT u.id, u.username, u.display_name, u.avatar_file_id, m.role FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.room_id = $1 \
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, u.username",
        &[&room_id],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(Member {
            user: UserRef {
                id: row.get(0),
                username: row.get(1),
                display_name: row.get(2),
                avatar_id: row.get(3),
            },
            role: member_role(row.get(4))?,
        })
    })
    .collect()
}

/// Moves a read marker forward (never back), clamped to the room's latest
/// seq. `NotFound` if the user is not a member.
pub async fn mark_read(
    db: &impl GenericClient,
    room_id: i64,
    user_id: i64,
    seq: Seq,
) -> StoreResult<()> {
    let updated = db
        .execute(
            "UPDATE memberships SET read_seq = greatest(read_seq, \
                 least($3, (SELECT latest_seq FROM rooms WHERE id = $1))) \
             WHERE room_id = $1 AND user_id = $2",
            &[&room_id, &user_id, &seq],
        )
        .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The rooms a user is in, with each room's latest seq.
pub async fn positions(db: &impl GenericClient, user_id: i64) -> StoreResult<Vec<(i64, Seq)>> {
    let stmt = db
        .prepare_cached(
            "SELECT r.id, r.latest_seq FROM memberships m JOIN rooms r ON r.id = m.room_id \
             WHERE m.user_id = $1 ORDER BY r.id",
        )
        .await?;
    Ok(db
        .query(&stmt, &[&user_id])
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect())
}

/// Those of `candidates` (users online now) who share a room with
/// `user_id`, not counting `user_id` itself.
pub async fn online_peers(
    db: &impl GenericClient,
    user_id: i64,
    candidates: &[i64],
) -> StoreResult<Vec<UserRef>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = db
        .prepare_cached(
            "SELECT u.id, u.username, u.display_name, u.avatar_file_id FROM users u \
             WHERE u.id = ANY($2) AND u.id <> $1 AND EXISTS ( \
                 SELECT 1 FROM memberships mine \
                 JOIN memberships theirs ON theirs.room_id = mine.room_id \
                 WHERE mine.user_id = $1 AND theirs.user_id = u.id) \
             ORDER BY u.id",
        )
        .await?;
    Ok(db
        .query(&stmt, &[&user_id, &candidates])
        .await?
        .iter()
        .map(|row| UserRef {
            id: row.get(0),
            username: row.get(1),
            display_name: row.get(2),
            avatar_id: row.get(3),
        })
        .collect())
}
