//! The `memberships` table: who is in which room, in what role, and how far
//! they have read. Joins and leaves are logged as room events.

use chat_wire::{EventType, Member, MemberRole, Seq, UserRef};

use crate::rows::{member_role, member_role_str};
use crate::{Client, GenericClient, StoreError, StoreResult, events};

/// The user's role in the room, or `None` when they are not a member.
pub async fn role(
    db: &impl GenericClient,
    room_id: i64,
    user_id: i64,
) -> StoreResult<Option<MemberRole>> {
    let stmt = db
        .prepare_cached("SELECT role FROM memberships WHERE room_id = $1 AND user_id = $2")
        .await?;
    db.query_opt(&stmt, &[&room_id, &user_id])
        .await?
        .map(|row| member_role(row.get(0)))
        .transpose()
}

/// Inserts a membership and logs `member.joined`, inside the caller's
/// transaction. Returns the event's seq, or `None` (and logs nothing) if
/// the user was already a member.
pub(crate) async fn insert(
    db: &impl GenericClient,
    room_id: i64,
    user_id: i64,
    role: MemberRole,
) -> StoreResult<Option<Seq>> {
    let added = db
        .execute(
            "INSERT INTO memberships (room_id, user_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            &[&room_id, &user_id, &member_role_str(role)],
        )
        .await?
        == 1;
    if !added {
        return Ok(None);
    }
    let seq = events::append(
        db,
        room_id,
        EventType::MemberJoined,
        None,
        Some(user_id),
        None,
    )
    .await?;
    Ok(Some(seq))
}

/// Adds a user to a room. Returns the `member.joined` seq, or `None` if
/// they were already in it.
pub async fn add(
    client: &mut Client,
    room_id: i64,
    user_id: i64,
    role: MemberRole,
) -> StoreResult<Option<Seq>> {
    let tx = client.transaction().await?;
    let added = insert(&tx, room_id, user_id, role).await?;
    tx.commit().await?;
    Ok(added)
}

/// Removes a user from a room and logs `member.left`. When the last owner
/// leaves a room that still has members, the longest-standing admin (or
/// else member) becomes owner, so no room is left without one.
/// Returns the `member.left` seq; `NotFound` if the user was not a member.
pub async fn remove(client: &mut Client, room_id: i64, user_id: i64) -> StoreResult<Seq> {
    let tx = client.transaction().await?;
    let seq = remove_in(&tx, room_id, user_id).await?;
    tx.commit().await?;
    Ok(seq)
}

/// [`remove`] inside the caller's transaction, which must be rolled back
/// on `NotFound` (the event is already appended then).
pub(crate) async fn remove_in(
    tx: &impl GenericClient,
    room_id: i64,
    user_id: i64,
) -> StoreResult<Seq> {
    // Lock the room first, as every writer does, by appending the event.
    let seq = events::append(
        tx,
        room_id,
        EventType::MemberLeft,
        None,
        Some(user_id),
        None,
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
    tx.execute(
        "UPDATE memberships SET role = 'owner' \
         WHERE room_id = $1 AND user_id = ( \
             SELECT user_id FROM memberships WHERE room_id = $1 \
             ORDER BY (role = 'admin') DESC, joined_at, user_id LIMIT 1) \
           AND NOT EXISTS (SELECT 1 FROM memberships WHERE room_id = $1 AND role = 'owner')",
        &[&room_id],
    )
    .await?;
    Ok(seq)
}

/// Changes a member's role. `NotFound` if the user is not a member.
pub async fn set_role(
    db: &impl GenericClient,
    room_id: i64,
    user_id: i64,
    role: MemberRole,
) -> StoreResult<()> {
    let updated = db
        .execute(
            "UPDATE memberships SET role = $3 WHERE room_id = $1 AND user_id = $2",
            &[&room_id, &user_id, &member_role_str(role)],
        )
        .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Everyone in a room, owners first.
pub async fn list(db: &impl GenericClient, room_id: i64) -> StoreResult<Vec<Member>> {
    db.query(
        "SELECT u.id, u.username, u.display_name, m.role FROM memberships m \
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
            },
            role: member_role(row.get(3))?,
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
