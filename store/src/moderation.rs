//! Running a room: removing members, changing roles, bans (the
//! `room_bans` table). chatd's API and chatctl's room commands both come
//! here, and each change checks [`crate::roles`] inside its transaction,
//! after locking the room, so the rules hold against concurrent changes.
//! Each change made to someone else is recorded in the audit log in the
//! same transaction.
//!
//! A user whose account role is `admin` (a server admin) moderates every
//! room they can name by id, member or not, with an owner's powers; the
//! database says who is one at the moment of the change.

use chat_wire::api::Ban;
use chat_wire::{EventType, Member, MemberRole, RoomKind, UserRef, Visibility};

use crate::audit::{self, AuditActor, Entry};
use crate::events::Appends;
use crate::roles::{self, Target};
use crate::rows::{member_role, member_role_str, room_kind, visibility};
use crate::{Client, Committed, GenericClient, Refusal, StoreError, StoreResult, members};

/// Who acts on a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A user, by id: a member of the room, or a server admin.
    User(i64),
    /// A server administrator at the shell (chatctl): an owner's powers.
    ServerAdmin,
}

impl Actor {
    fn user_id(self) -> Option<i64> {
        match self {
            Self::User(id) => Some(id),
            Self::ServerAdmin => None,
        }
    }

    fn audit(self) -> AuditActor {
        match self {
            Self::User(id) => AuditActor::User(id),
            Self::ServerAdmin => AuditActor::Shell,
        }
    }
}

/// The room's kind and the actor's standing in it.
struct Standing {
    kind: RoomKind,
    actor: roles::Actor,
}

/// Reads the room and the actor's role. With `lock`, takes the room's row
/// lock first, as every writer of its log does, so concurrent changes to
/// its members (and joins, which check bans under the same lock) happen
/// one at a time. A non-member gets the refusal a stranger gets.
async fn standing(
    db: &impl GenericClient,
    room_id: i64,
    actor: Actor,
    lock: bool,
) -> StoreResult<Standing> {
    let sql = if lock {
        "SELECT kind, visibility FROM rooms WHERE id = $1 FOR NO KEY UPDATE"
    } else {
        "SELECT kind, visibility FROM rooms WHERE id = $1"
    };
    let row = db
        .query_opt(sql, &[&room_id])
        .await?
        .ok_or(Refusal::NoSuchRoom)?;
    let kind = room_kind(row.get(0))?;
    let visibility = visibility(row.get(1))?;
    let actor = match actor {
        Actor::ServerAdmin => roles::Actor::ServerAdmin,
        Actor::User(id) if is_server_admin(db, id).await? => roles::Actor::ServerAdmin,
        Actor::User(id) => match role_of(db, room_id, id, lock).await? {
            Some(role) => roles::Actor::Member(role),
            None => {
                return Err(Refusal::NotMember {
                    joinable: kind == RoomKind::Room && visibility == Visibility::Public,
                }
                .into());
            }
        },
    };
    Ok(Standing { kind, actor })
}

/// Whether a user is a server admin now: an active account whose role is
/// `admin`.
pub async fn is_server_admin(db: &impl GenericClient, user_id: i64) -> StoreResult<bool> {
    Ok(db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'admin' \
                            AND NOT disabled AND deleted_at IS NULL)",
            &[&user_id],
        )
        .await?
        .get(0))
}

/// Records a change made to `target` in a room in the audit log.
async fn record(
    tx: &impl GenericClient,
    actor: Actor,
    action: &str,
    room_id: i64,
    target: i64,
    details: serde_json::Value,
) -> StoreResult<()> {
    let row = tx
        .query_one("SELECT username FROM users WHERE id = $1", &[&target])
        .await?;
    let entry = Entry {
        actor: actor.audit(),
        action,
        target: audit::room_user(room_id, row.get(0)),
        details,
    };
    audit::append(tx, &entry).await?;
    Ok(())
}

/// A user's role in a room; with `lock`, locking their membership row.
async fn role_of(
    db: &impl GenericClient,
    room_id: i64,
    user_id: i64,
    lock: bool,
) -> StoreResult<Option<MemberRole>> {
    let sql = if lock {
        "SELECT role FROM memberships WHERE room_id = $1 AND user_id = $2 FOR UPDATE"
    } else {
        "SELECT role FROM memberships WHERE room_id = $1 AND user_id = $2"
    };
    let row = db.query_opt(sql, &[&room_id, &user_id]).await?;
    row.map(|r| member_role(r.get(0))).transpose()
}

/// Removes `target` from the room, logging `member.left` (with `by` when
/// someone else did it). `NotFound` if they are not a member.
pub async fn remove(
    client: &mut Client,
    room_id: i64,
    actor: Actor,
    target: i64,
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let standing = standing(&tx, room_id, actor, true).await?;
    let role = role_of(&tx, room_id, target, true)
        .await?
        .ok_or(StoreError::NotFound)?;
    let itself = actor.user_id() == Some(target);
    roles::remove(
        standing.kind,
        standing.actor,
        Target {
            role: Some(role),
            itself,
        },
    )
    .map_err(Refusal::from)?;
    let mut log = Appends::default();
    let by = actor.user_id().filter(|_| !itself);
    members::remove_in_by(&tx, &mut log, room_id, target, by).await?;
    if !itself {
        let details = serde_json::json!({ "role": member_role_str(role) });
        record(&tx, actor, "room.remove_member", room_id, target, details).await?;
    }
    log.commit(tx).await
}

/// Gives `target` the role `role`, logging `member.updated`. Making
/// someone owner demotes every other owner to admin (each logged too).
/// `NotFound` if they are not a member; nothing is logged when the role
/// does not change.
pub async fn set_role(
    client: &mut Client,
    room_id: i64,
    actor: Actor,
    target: i64,
    role: MemberRole,
) -> StoreResult<(Member, Committed)> {
    let tx = client.transaction().await?;
    let standing = standing(&tx, room_id, actor, true).await?;
    let current = role_of(&tx, room_id, target, true)
        .await?
        .ok_or(StoreError::NotFound)?;
    let other_owners: i64 = tx
        .query_one(
            "SELECT count(*) FROM memberships \
             WHERE room_id = $1 AND role = 'owner' AND user_id <> $2",
            &[&room_id, &target],
        )
        .await?
        .get(0);
    let itself = actor.user_id() == Some(target);
    roles::set_role(
        standing.kind,
        standing.actor,
        current,
        itself,
        role,
        other_owners,
    )
    .map_err(Refusal::from)?;
    let mut log = Appends::default();
    if role != current {
        let details = serde_json::json!({
            "from": member_role_str(current),
            "to": member_role_str(role),
        });
        record(&tx, actor, "room.set_role", room_id, target, details).await?;
        let by = actor.user_id();
        update_role(&tx, &mut log, room_id, target, role, by).await?;
        if role == MemberRole::Owner {
            let owners: Vec<i64> = tx
                .query(
                    "SELECT user_id FROM memberships \
                     WHERE room_id = $1 AND role = 'owner' AND user_id <> $2 ORDER BY user_id",
                    &[&room_id, &target],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for owner in owners {
                update_role(&tx, &mut log, room_id, owner, MemberRole::Admin, by).await?;
            }
        }
    }
    let row = tx
        .query_one(
            "SELECT id, username, display_name, avatar_file_id FROM users WHERE id = $1",
            &[&target],
        )
        .await?;
    let member = Member {
        user: UserRef {
            id: row.get(0),
            username: row.get(1),
            display_name: row.get(2),
            avatar_id: row.get(3),
        },
        role,
    };
    Ok((member, log.commit(tx).await?))
}

/// Changes a member's role and logs `member.updated` with the new role
/// and who changed it (`None`: the server, or an automatic hand-over).
pub(crate) async fn update_role(
    tx: &impl GenericClient,
    log: &mut Appends,
    room_id: i64,
    user_id: i64,
    role: MemberRole,
    by: Option<i64>,
) -> StoreResult<()> {
    tx.execute(
        "UPDATE memberships SET role = $3 WHERE room_id = $1 AND user_id = $2",
        &[&room_id, &user_id, &member_role_str(role)],
    )
    .await?;
    let data = serde_json::json!({ "role": member_role_str(role), "by": by });
    log.append(
        tx,
        room_id,
        EventType::MemberUpdated,
        None,
        Some(user_id),
        Some(data),
    )
    .await?;
    Ok(())
}

/// Bans `target` from the room (a repeat updates the reason) and removes
/// them if they are in it, logging `member.left` with `by`.
pub async fn ban(
    client: &mut Client,
    room_id: i64,
    actor: Actor,
    target: i64,
    reason: &str,
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let standing = standing(&tx, room_id, actor, true).await?;
    let role = role_of(&tx, room_id, target, true).await?;
    let itself = actor.user_id() == Some(target);
    roles::ban(standing.kind, standing.actor, Target { role, itself }).map_err(Refusal::from)?;
    tx.execute(
        "INSERT INTO room_bans (room_id, user_id, reason, banned_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (room_id, user_id) \
         DO UPDATE SET reason = EXCLUDED.reason, banned_by = EXCLUDED.banned_by",
        &[&room_id, &target, &reason, &actor.user_id()],
    )
    .await?;
    let mut log = Appends::default();
    if role.is_some() {
        members::remove_in_by(&tx, &mut log, room_id, target, actor.user_id()).await?;
    }
    let details = serde_json::json!({ "reason": reason, "was_member": role.is_some() });
    record(&tx, actor, "room.ban", room_id, target, details).await?;
    log.commit(tx).await
}

/// Lifts a ban. `NotFound` if the user was not banned.
pub async fn unban(
    client: &mut Client,
    room_id: i64,
    actor: Actor,
    target: i64,
) -> StoreResult<()> {
    let tx = client.transaction().await?;
    let standing = standing(&tx, room_id, actor, true).await?;
    roles::manage_bans(standing.kind, standing.actor).map_err(Refusal::from)?;
    let lifted = tx
        .execute(
            "DELETE FROM room_bans WHERE room_id = $1 AND user_id = $2",
            &[&room_id, &target],
        )
        .await?;
    if lifted == 0 {
        return Err(StoreError::NotFound);
    }
    record(
        &tx,
        actor,
        "room.unban",
        room_id,
        target,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The room's bans, newest first (owners and admins only).
pub async fn bans(db: &impl GenericClient, room_id: i64, actor: Actor) -> StoreResult<Vec<Ban>> {
    let standing = standing(db, room_id, actor, false).await?;
    roles::manage_bans(standing.kind, standing.actor).map_err(Refusal::from)?;
    let rows = db
        .query(
            "SELECT u.id, u.username, u.display_name, b.reason, \
                    bu.id, bu.username, bu.display_name, b.created_at, \
                    u.avatar_file_id, bu.avatar_file_id \
             FROM room_bans b JOIN users u ON u.id = b.user_id \
             LEFT JOIN users bu ON bu.id = b.banned_by \
             WHERE b.room_id = $1 ORDER BY b.created_at DESC, u.id",
            &[&room_id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Ban {
            user: UserRef {
                id: r.get(0),
                username: r.get(1),
                display_name: r.get(2),
                avatar_id: r.get(8),
            },
            reason: r.get(3),
            by: r.get::<_, Option<i64>>(4).map(|id| UserRef {
                id,
                username: r.get(5),
                display_name: r.get(6),
                avatar_id: r.get(9),
            }),
            created_at: r.get(7),
        })
        .collect())
}

/// Whether a user is banned from a room.
pub async fn banned(db: &impl GenericClient, room_id: i64, user_id: i64) -> StoreResult<bool> {
    Ok(db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM room_bans WHERE room_id = $1 AND user_id = $2)",
            &[&room_id, &user_id],
        )
        .await?
        .get(0))
}
