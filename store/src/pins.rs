//! The `pins` table: the messages a room keeps pinned. Pinning and
//! unpinning are room events (`message.pinned`, `message.unpinned`).

use chat_wire::{EventType, Message};

use crate::events::Appends;
use crate::rows::{self, MESSAGE_COLUMNS};
use crate::{Client, Committed, GenericClient, Refusal, StoreResult};

/// Pins (`pin`) or unpins a message and logs the event; a message already
/// so changes nothing and logs nothing (the value is empty).
/// [`Refusal::NoSuchMessage`] for a missing or deleted message.
pub async fn set(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
    user_id: i64,
    pin: bool,
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    let kind = if pin {
        EventType::MessagePinned
    } else {
        EventType::MessageUnpinned
    };
    // The event first: appending takes the room's lock, which every writer
    // takes before touching the room's messages.
    let seq = log
        .append(&tx, room_id, kind, Some(message_id), Some(user_id), None)
        .await?;
    let row = tx
        .query_opt(
            "SELECT m.deleted_at IS NOT NULL, p.message_id IS NOT NULL FROM messages m \
             LEFT JOIN pins p ON p.room_id = m.room_id AND p.message_id = m.id \
             WHERE m.room_id = $1 AND m.id = $2",
            &[&room_id, &message_id],
        )
        .await?
        .ok_or(Refusal::NoSuchMessage)?;
    let (deleted, pinned): (bool, bool) = (row.get(0), row.get(1));
    if deleted {
        return Err(Refusal::NoSuchMessage.into());
    }
    if pinned == pin {
        // Dropping the transaction rolls the event back.
        return Ok(Committed::default());
    }
    if pin {
        tx.execute(
            "INSERT INTO pins (room_id, message_id, pinned_by, seq) VALUES ($1, $2, $3, $4)",
            &[&room_id, &message_id, &user_id, &seq],
        )
        .await?;
    } else {
        tx.execute(
            "DELETE FROM pins WHERE room_id = $1 AND message_id = $2",
            &[&room_id, &message_id],
        )
        .await?;
    }
    log.commit(tx).await
}

/// The room's pinned messages, most recently pinned first.
pub async fn list(db: &impl GenericClient, room_id: i64) -> StoreResult<Vec<Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM pins pn \
         JOIN messages m ON m.room_id = pn.room_id AND m.id = pn.message_id \
         JOIN users au ON au.id = m.author_id \
         WHERE pn.room_id = $1 ORDER BY pn.seq DESC"
    );
    Ok(db
        .query(&sql, &[&room_id])
        .await?
        .iter()
        .map(rows::message)
        .collect())
}
