//! The `blocks` table: whom each user has blocked. A block keeps the
//! blocked user out of direct conversations with the one who blocked them
//! (checked when a conversation is opened, and by the send statement in
//! [`crate::messages`]) and stops their mentions of them counting.

use chat_wire::User;

use crate::rows::{self, USER_COLUMNS};
use crate::{GenericClient, StoreResult};

/// `user_id` blocks `blocked_id`; blocking again changes nothing. The
/// caller has checked they differ (the table's CHECK refuses it anyway).
pub async fn block(db: &impl GenericClient, user_id: i64, blocked_id: i64) -> StoreResult<()> {
    db.execute(
        "INSERT INTO blocks (user_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&user_id, &blocked_id],
    )
    .await?;
    Ok(())
}

/// Lifts a block; lifting one that does not exist changes nothing.
pub async fn unblock(db: &impl GenericClient, user_id: i64, blocked_id: i64) -> StoreResult<()> {
    db.execute(
        "DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2",
        &[&user_id, &blocked_id],
    )
    .await?;
    Ok(())
}

/// The users `user_id` has blocked, most recently blocked first.
pub async fn list(db: &impl GenericClient, user_id: i64) -> StoreResult<Vec<User>> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM blocks b JOIN users u ON u.id = b.blocked_id \
         WHERE b.user_id = $1 ORDER BY b.created_at DESC, u.id"
    );
    let rows = db.query(&sql, &[&user_id]).await?;
    Ok(rows.iter().map(rows::user).collect())
}

/// Whether either of two users has blocked the other.
pub async fn between(db: &impl GenericClient, a: i64, b: i64) -> StoreResult<bool> {
    Ok(db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM blocks \
                            WHERE (user_id = $1 AND blocked_id = $2) \
                               OR (user_id = $2 AND blocked_id = $1))",
            &[&a, &b],
        )
        .await?
        .get(0))
}
