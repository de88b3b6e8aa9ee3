//! The `reactions` table: who reacted to a message with which emoji.
//! Adding and removing are room events (`reaction.added`,
//! `reaction.removed`) carrying the emoji in their `data`.

use chat_wire::EventType;
use serde_json::json;

use crate::events::Appends;
use crate::{Client, Committed, GenericClient, Refusal, StoreResult};

/// Most distinct emoji on one message.
pub const MAX_EMOJI_PER_MESSAGE: i64 = 50;
/// Most reactions of one user on one message.
pub const MAX_REACTIONS_PER_USER: i64 = 20;

/// What a reaction write needs to know about the message, read under the
/// room lock.
struct Target {
    deleted: bool,
    /// The user already reacted with this emoji.
    mine: bool,
    /// How many reactions the user has on the message.
    my_count: i64,
    /// How many distinct emoji the message carries, and whether this one
    /// is among them.
    kinds: i64,
    present: bool,
}

async fn target(
    db: &impl GenericClient,
    room_id: i64,
    message_id: i64,
    user_id: i64,
    emoji: &str,
) -> StoreResult<Target> {
    let row = db
        .query_opt(
            "SELECT m.deleted_at IS NOT NULL, \
                    count(*) FILTER (WHERE r.user_id = $3 AND r.emoji = $4) > 0, \
                    count(*) FILTER (WHERE r.user_id = $3), \
                    count(DISTINCT r.emoji), \
                    count(*) FILTER (WHERE r.emoji = $4) > 0 \
             FROM messages m \
             LEFT JOIN reactions r ON r.room_id = m.room_id AND r.message_id = m.id \
             WHERE m.room_id = $1 AND m.id = $2 GROUP BY m.deleted_at",
            &[&room_id, &message_id, &user_id, &emoji],
        )
        .await?
        .ok_or(Refusal::NoSuchMessage)?;
    Ok(Target {
        deleted: row.get(0),
        mine: row.get(1),
        my_count: row.get(2),
        kinds: row.get(3),
        present: row.get(4),
    })
}

/// Adds `user_id`'s reaction and logs `reaction.added`. A reaction the user
/// already made changes nothing and logs nothing (the value is empty).
/// Refusals: [`Refusal::NoSuchMessage`] (also for a deleted message),
/// [`Refusal::TooManyEmoji`], [`Refusal::TooManyReactions`].
pub async fn add(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
    user_id: i64,
    emoji: &str,
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    // The event first: appending takes the room's lock, so the checks
    // below cannot race another reaction.
    let seq = log
        .append(
            &tx,
            room_id,
            EventType::ReactionAdded,
            Some(message_id),
            Some(user_id),
            Some(json!({ "emoji": emoji })),
        )
        .await?;
    let t = target(&tx, room_id, message_id, user_id, emoji).await?;
    if t.deleted {
        return Err(Refusal::NoSuchMessage.into());
    }
    if t.mine {
        // Dropping the transaction rolls the event back.
        return Ok(Committed::default());
    }
    if t.my_count >= MAX_REACTIONS_PER_USER {
        return Err(Refusal::TooManyReactions.into());
    }
    if !t.present && t.kinds >= MAX_EMOJI_PER_MESSAGE {
        return Err(Refusal::TooManyEmoji.into());
    }
    tx.execute(
        "INSERT INTO reactions (room_id, message_id, user_id, emoji, seq) \
         VALUES ($1, $2, $3, $4, $5)",
        &[&room_id, &message_id, &user_id, &emoji, &seq],
    )
    .await?;
    log.commit(tx).await
}

/// Removes `user_id`'s reaction and logs `reaction.removed`; nothing
/// changes (and the value is empty) when they had not reacted so.
/// [`Refusal::NoSuchMessage`] for a missing or deleted message.
pub async fn remove(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
    user_id: i64,
    emoji: &str,
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    log.append(
        &tx,
        room_id,
        EventType::ReactionRemoved,
        Some(message_id),
        Some(user_id),
        Some(json!({ "emoji": emoji })),
    )
    .await?;
    let t = target(&tx, room_id, message_id, user_id, emoji).await?;
    if t.deleted {
        return Err(Refusal::NoSuchMessage.into());
    }
    if !t.mine {
        return Ok(Committed::default());
    }
    tx.execute(
        "DELETE FROM reactions \
         WHERE room_id = $1 AND message_id = $2 AND emoji = $3 AND user_id = $4",
        &[&room_id, &message_id, &emoji, &user_id],
    )
    .await?;
    log.commit(tx).await
}
