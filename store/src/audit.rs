//! The `audit_log` table: every administrative and moderation action,
//! appended in the transaction that makes the change (so the change and
//! its record commit together) and never changed afterwards: migration
//! V10's triggers refuse UPDATE, DELETE and TRUNCATE for every role.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::{GenericClient, StoreResult};

/// The name the server's shell acts under.
pub const SHELL: &str = "chatctl";

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditActor {
    /// A user, by id, acting through chatd's API (their username is
    /// recorded with the id).
    User(i64),
    /// The server's shell (chatctl), which has no account.
    Shell,
}

impl AuditActor {
    /// The acting user's id; `None` for the shell.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Self::User(id) => Some(id),
            Self::Shell => None,
        }
    }
}

/// One action to record. `action` is a dotted verb such as `room.ban`;
/// `target` names what it was done to (`room:7 user:bob`); `details` holds
/// the rest (a reason, a new role).
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: AuditActor,
    pub action: &'a str,
    pub target: String,
    pub details: Value,
}

/// A recorded action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub details: Value,
}

/// Appends an entry; call it inside the transaction that makes the change.
/// A user actor is recorded under their current username.
pub async fn append(db: &impl GenericClient, entry: &Entry<'_>) -> StoreResult<i64> {
    let row = db
        .query_one(
            "INSERT INTO audit_log (actor_id, actor_name, action, target, details) \
             VALUES ($1, COALESCE((SELECT username FROM users WHERE id = $1), $2), $3, $4, $5) \
             RETURNING id",
            &[
                &entry.actor.user_id(),
                &SHELL,
                &entry.action,
                &entry.target,
                &entry.details,
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Only records at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only records by this actor name (a username or `chatctl`), ignoring
    /// case.
    pub actor: Option<&'a str>,
    /// At most this many, the newest ones.
    pub limit: i64,
}

/// Records matching the filter, oldest first (the newest `limit` of them).
pub async fn list(db: &impl GenericClient, filter: &Filter<'_>) -> StoreResult<Vec<Record>> {
    let rows = db
        .query(
            "SELECT id, at, actor_id, actor_name, action, target, details FROM ( \
                 SELECT * FROM audit_log \
                 WHERE ($1::timestamptz IS NULL OR at >= $1) \
                   AND ($2::text IS NULL OR lower(actor_name) = lower($2)) \
                 ORDER BY id DESC LIMIT $3) newest \
             ORDER BY id",
            &[&filter.since, &filter.actor, &filter.limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Record {
            id: r.get(0),
            at: r.get(1),
            actor_id: r.get(2),
            actor_name: r.get(3),
            action: r.get(4),
            target: r.get(5),
            details: r.get(6),
        })
        .collect())
}

/// Records the deletion of someone else's message; call it inside the
/// deleting transaction, only when the actor is not the author.
pub async fn message_deleted(
    db: &impl GenericClient,
    actor: AuditActor,
    room_id: i64,
    message_id: i64,
    author_id: i64,
) -> StoreResult<()> {
    let entry = Entry {
        actor,
        action: "message.delete",
        target: format!("room:{room_id} message:{message_id}"),
        details: serde_json::json!({ "author_id": author_id }),
    };
    append(db, &entry).await?;
    Ok(())
}

/// A target naming a room and a user.
pub fn room_user(room_id: i64, username: &str) -> String {
    format!("room:{room_id} user:{username}")
}
