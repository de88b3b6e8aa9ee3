//! The `room_events` table: each room's ordered log.
//!
//! Appending an event bumps `rooms.latest_seq` with `UPDATE ... RETURNING`.
//! The row lock that takes lasts until the transaction ends, so a second
//! writer in the same room waits for the first to commit before it gets its
//! number: seq order is commit order, and a reader that has seen seq S and
//! asks for `after = S` can never miss an event that commits later.

use chat_wire::{Event, EventType, Message, RoomId, RoomUpdate, Seq, UserRef};
use deadpool_postgres::Transaction;

use crate::rows::{self, MESSAGE_COLUMNS};
use crate::{Committed, GenericClient, StoreError, StoreResult};

/// The events one transaction appends. [`Appends::commit`] reads them back
/// as they stand and ends the transaction, so the [`Committed`] value it
/// returns carries exactly what the log holds.
#[derive(Debug, Default)]
pub(crate) struct Appends(Vec<(RoomId, Seq)>);

impl Appends {
    /// [`append`], remembered for the commit.
    pub(crate) async fn append(
        &mut self,
        db: &impl GenericClient,
        room_id: RoomId,
        kind: EventType,
        message_id: Option<i64>,
        user_id: Option<i64>,
        data: Option<serde_json::Value>,
    ) -> StoreResult<Seq> {
        let seq = append(db, room_id, kind, message_id, user_id, data).await?;
        self.0.push((room_id, seq));
        Ok(seq)
    }

    /// Reads the appended events, then commits the transaction.
    pub(crate) async fn commit(self, tx: Transaction<'_>) -> StoreResult<Committed> {
        let events = self.read(&tx).await?;
        tx.commit().await?;
        Ok(Committed::new(events))
    }

    async fn read(&self, db: &impl GenericClient) -> StoreResult<Vec<Event>> {
        if self.0.is_empty() {
            return Ok(Vec::new());
        }
        let (rooms, seqs): (Vec<RoomId>, Vec<Seq>) = self.0.iter().copied().unzip();
        let sql = format!(
            "{} WHERE (e.room_id, e.seq) IN \
                 (SELECT * FROM unnest($1::bigint[], $2::bigint[])) \
             ORDER BY e.room_id, e.seq",
            event_select()
        );
        let stmt = db.prepare_cached(&sql).await?;
        db.query(&stmt, &[&rooms, &seqs])
            .await?
            .iter()
            .map(event)
            .collect()
    }
}

/// Selects events with the user each is about, who acted (`data.by`, read
/// by name as `by_*`) and its message as it is now; the caller adds WHERE
/// and ORDER BY.
fn event_select() -> String {
    format!(
        "SELECT e.kind, e.room_id, e.seq, e.created_at, e.data, \
                eu.id, eu.username, eu.display_name, {MESSAGE_COLUMNS}, \
                bu.id AS by_id, bu.username AS by_username, bu.display_name AS by_display_name, \
                bu.avatar_file_id AS by_avatar_id, eu.avatar_file_id AS user_avatar_id \
         FROM room_events e \
         LEFT JOIN users eu ON eu.id = e.user_id \
         LEFT JOIN users bu ON bu.id = (e.data->>'by')::bigint \
         LEFT JOIN messages m ON m.room_id = e.room_id AND m.id = e.message_id \
         LEFT JOIN users au ON au.id = m.author_id"
    )
}

/// Appends one event to a room's log and returns its seq. Must run inside
/// the transaction that makes the change the event reports; `NotFound` if
/// the room does not exist.
async fn append(
    db: &impl GenericClient,
    room_id: i64,
    kind: EventType,
    message_id: Option<i64>,
    user_id: Option<i64>,
    data: Option<serde_json::Value>,
) -> StoreResult<Seq> {
    let row = db
        .query_opt(
            "WITH next AS ( \
                 UPDATE rooms SET latest_seq = latest_seq + 1 WHERE id = $1 RETURNING latest_seq) \
             INSERT INTO room_events (room_id, seq, kind, message_id, user_id, data) \
             SELECT $1, latest_seq, $2, $3, $4, $5 FROM next RETURNING seq",
            &[&room_id, &kind.as_str(), &message_id, &user_id, &data],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.get(0))
}

/// Up to `limit` events of a room after `after`, ascending by seq.
pub async fn list_after(
    db: &impl GenericClient,
    room_id: i64,
    after: Seq,
    limit: i64,
) -> StoreResult<Vec<Event>> {
    let sql = format!(
        "{} WHERE e.room_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3",
        event_select()
    );
    let rows = db.prepare_cached(&sql).await?;
    db.query(&rows, &[&room_id, &after, &limit])
        .await?
        .iter()
        .map(event)
        .collect()
}

/// The `message.created` event a send logged for `message`, as the log
/// holds it now (empty if the message is not stored). For a send found to
/// be a retry: its first attempt may have committed without anyone
/// publishing it (the answer was lost, or the instance died first).
pub async fn message_created(db: &impl GenericClient, message: &Message) -> StoreResult<Committed> {
    let sql = format!(
        "{} WHERE e.room_id = $1 AND e.seq = $2 \
           AND e.kind = 'message.created' AND e.message_id = $3",
        event_select()
    );
    let stmt = db.prepare_cached(&sql).await?;
    let events = db
        .query(&stmt, &[&message.room_id, &message.seq, &message.id])
        .await?
        .iter()
        .map(event)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Committed::new(events))
}

fn event(row: &tokio_postgres::Row) -> StoreResult<Event> {
    let name: &str = row.get(0);
    let kind = EventType::parse(name)
        .ok_or_else(|| StoreError::Internal(format!("unknown event kind {name:?}")))?;
    let user_id: Option<i64> = row.get(5);
    let message_id: Option<i64> = row.get(8);
    let data: Option<serde_json::Value> = row.get(4);
    let role = match (kind, &data) {
        (EventType::MemberUpdated, Some(data)) => Some(rows::member_role(
            data["role"].as_str().unwrap_or_default(),
        )?),
        _ => None,
    };
    let by = row.get::<_, Option<i64>>("by_id").map(|id| UserRef {
        id,
        username: row.get("by_username"),
        display_name: row.get("by_display_name"),
        avatar_id: row.get("by_avatar_id"),
    });
    // Reaction events keep their emoji in `data`.
    let emoji = match (kind, &data) {
        (EventType::ReactionAdded | EventType::ReactionRemoved, Some(data)) => {
            data["emoji"].as_str().map(str::to_owned)
        }
        _ => None,
    };
    let room = match (kind, data) {
        (EventType::RoomUpdated, Some(data)) => Some(RoomUpdate {
            name: data["name"].as_str().unwrap_or_default().to_owned(),
            topic: data["topic"].as_str().unwrap_or_default().to_owned(),
            avatar: rows::json_value(Some(data["avatar"].clone())),
            archived: data["archived"].as_bool().unwrap_or(false),
        }),
        _ => None,
    };
    Ok(Event {
        kind,
        room_id: row.get(1),
        seq: row.get(2),
        created_at: row.get(3),
        user: user_id.map(|id| UserRef {
            id,
            username: row.get(6),
            display_name: row.get(7),
            avatar_id: row.get("user_avatar_id"),
        }),
        message: message_id.map(|_| rows::message_at(row, 8)),
        room,
        role,
        by,
        emoji,
    })
}
