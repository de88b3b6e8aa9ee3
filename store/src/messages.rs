//! The `messages` table: sending, editing, deleting, paging and searching.

use chat_wire::{EventType, Message, Seq};

use crate::rows::{self, MESSAGE_COLUMNS, MESSAGE_FROM};
use crate::{Client, GenericClient, StoreError, StoreResult, events};

/// A send's result: the message, and whether this call created it (false
/// when a retry with the same client_id found the original).
#[derive(Debug)]
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

/// Sends a message as a member of the room, in one round trip: a single
/// statement checks membership, bumps the room's seq, inserts the message
/// and logs `message.created`, committing atomically without BEGIN/COMMIT.
/// The unique (room, author, client_id) key makes retries durable: a
/// repeated client_id returns the original. `NotFound` when the author is
/// not a member of the room (or it does not exist, or is archived); an unknown `reply_to`
/// is `StoreError::MissingReference`.
pub async fn send(
    db: &impl GenericClient,
    room_id: i64,
    author_id: i64,
    body: &str,
    client_id: Option<&str>,
    reply_to: Option<i64>,
) -> StoreResult<Sent> {
    // A retry (the client_id is already stored) bumps nothing, so it leaves
    // no gap in the room's seqs.
    let stmt = db
        .prepare_cached(&format!(
            "WITH next AS ( \
                 UPDATE rooms SET latest_seq = latest_seq + 1 \
                 WHERE id = $1 AND archived_at IS NULL \
                   AND EXISTS (SELECT 1 FROM memberships WHERE room_id = $1 AND user_id = $2) \
                   AND NOT EXISTS (SELECT 1 FROM messages \
                                   WHERE room_id = $1 AND author_id = $2 AND client_id = $4) \
                 RETURNING latest_seq), \
             m AS ( \
                 INSERT INTO messages (room_id, seq, author_id, body, client_id, reply_to) \
                 SELECT $1, latest_seq, $2, $3, $4, $5 FROM next \
                 ON CONFLICT (room_id, author_id, client_id) DO NOTHING RETURNING *), \
             e AS ( \
                 INSERT INTO room_events (room_id, seq, kind, message_id) \
                 SELECT room_id, seq, 'message.created', id FROM m) \
             SELECT {MESSAGE_COLUMNS} FROM m JOIN users au ON au.id = m.author_id"
        ))
        .await?;
    if let Some(row) = db
        .query_opt(&stmt, &[&room_id, &author_id, &body, &client_id, &reply_to])
        .await?
    {
        return Ok(Sent {
            message: rows::message(&row),
            created: true,
        });
    }
    // Nothing inserted: a retry of a stored client_id, or not a member.
    let stored = match client_id {
        Some(cid) => by_client_id(db, room_id, author_id, cid).await?,
        None => None,
    };
    match stored {
        Some(message) => Ok(Sent {
            message,
            created: false,
        }),
        None => Err(StoreError::NotFound),
    }
}

/// One message of a batch: room, author, body, client_id, reply_to.
#[derive(Debug, Clone)]
pub struct Draft {
    pub room_id: i64,
    pub author_id: i64,
    pub body: String,
    pub client_id: Option<String>,
    pub reply_to: Option<i64>,
}

/// Sends several messages, to one room or many, in one statement and one
/// commit, so busy rooms pay the seq row lock and the commit flush once per
/// batch instead of once per message. Each room's drafts are stored in
/// order with consecutive seqs. The rooms' seq rows are locked in id order,
/// so concurrent batches (here or on other instances) cannot deadlock.
/// The per-draft checks are `LATERAL ... LIMIT 1` lookups so that even a
/// plan cached while the tables were small probes the indexes instead of
/// hashing a whole table on every batch.
/// Returns, per draft, the stored message or `None` for drafts it did not
/// store (author not a member, a retried client_id, an unknown reply_to, an
/// archived room): send those with [`send`] to learn why.
pub async fn send_batch(
    db: &impl GenericClient,
    drafts: &[Draft],
) -> StoreResult<Vec<Option<Message>>> {
    let rooms: Vec<i64> = drafts.iter().map(|d| d.room_id).collect();
    let authors: Vec<i64> = drafts.iter().map(|d| d.author_id).collect();
    let bodies: Vec<&str> = drafts.iter().map(|d| d.body.as_str()).collect();
    let client_ids: Vec<Option<&str>> = drafts.iter().map(|d| d.client_id.as_deref()).collect();
    let replies: Vec<Option<i64>> = drafts.iter().map(|d| d.reply_to).collect();
    let stmt = db
        .prepare_cached(&format!(
            "WITH items AS ( \
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) \
                     WITH ORDINALITY AS i(room_id, author_id, body, client_id, reply_to, ord)), \
             ok AS ( \
                 SELECT i.*, row_number() OVER (PARTITION BY i.room_id ORDER BY i.ord) AS k \
                 FROM items i \
                 CROSS JOIN LATERAL (SELECT 1 FROM memberships mb \
                     WHERE mb.room_id = i.room_id AND mb.user_id = i.author_id LIMIT 1) member \
                 LEFT JOIN LATERAL (SELECT 1 AS hit FROM messages x \
                     WHERE x.room_id = i.room_id AND x.author_id = i.author_id \
                       AND x.client_id = i.client_id LIMIT 1) retry ON true \
                 LEFT JOIN LATERAL (SELECT 1 AS hit FROM messages r \
                     WHERE r.room_id = i.room_id AND r.id = i.reply_to LIMIT 1) parent ON true \
                 WHERE retry.hit IS NULL AND (i.reply_to IS NULL OR parent.hit IS NOT NULL) \
                   AND NOT EXISTS ( \
                        SELECT 1 FROM items j WHERE j.ord < i.ord AND j.room_id = i.room_id \
                        AND j.author_id = i.author_id AND j.client_id = i.client_id)), \
             counts AS (SELECT room_id, count(*) AS n FROM ok GROUP BY room_id), \
             locked AS MATERIALIZED ( \
                 SELECT r.id FROM rooms r JOIN counts c ON c.room_id = r.id \
                 WHERE r.archived_at IS NULL ORDER BY r.id FOR NO KEY UPDATE OF r), \
             next AS ( \
                 UPDATE rooms r SET latest_seq = r.latest_seq + c.n FROM counts c, locked l \
                 WHERE r.id = c.room_id AND l.id = r.id AND r.archived_at IS NULL \
                 RETURNING r.id AS room_id, r.latest_seq - c.n AS base), \
             m AS ( \
                 INSERT INTO messages (room_id, seq, author_id, body, client_id, reply_to) \
                 SELECT ok.room_id, next.base + ok.k, ok.author_id, ok.body, ok.client_id, ok.reply_to \
                 FROM ok JOIN next ON next.room_id = ok.room_id ORDER BY ok.ord \
                 ON CONFLICT (room_id, author_id, client_id) DO NOTHING RETURNING *), \
             e AS ( \
                 INSERT INTO room_events (room_id, seq, kind, message_id) \
                 SELECT room_id, seq, 'message.created', id FROM m) \
             SELECT ok.ord, {MESSAGE_COLUMNS} FROM m \
             JOIN users au ON au.id = m.author_id \
             JOIN next ON next.room_id = m.room_id \
             JOIN ok ON ok.room_id = m.room_id AND ok.k = m.seq - next.base"
        ))
        .await?;
    let stored = db
        .query(&stmt, &[&rooms, &authors, &bodies, &client_ids, &replies])
        .await?;
    let mut out = vec![None; drafts.len()];
    for row in stored {
        let ord: i64 = row.get(0);
        if let Some(slot) = out.get_mut(ord as usize - 1) {
            *slot = Some(rows::message_at(&row, 1));
        }
    }
    Ok(out)
}

async fn by_client_id(
    db: &impl GenericClient,
    room_id: i64,
    author_id: i64,
    client_id: &str,
) -> StoreResult<Option<Message>> {
    let stmt = db
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             WHERE m.room_id = $1 AND m.author_id = $2 AND m.client_id = $3"
        ))
        .await?;
    Ok(db
        .query_opt(&stmt, &[&room_id, &author_id, &client_id])
        .await?
        .map(|row| rows::message(&row)))
}

/// One message of a room. `NotFound` if it is not in that room.
pub async fn get(db: &impl GenericClient, room_id: i64, message_id: i64) -> StoreResult<Message> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.room_id = $1 AND m.id = $2");
    let row = db
        .query_opt(&sql, &[&room_id, &message_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(rows::message(&row))
}

/// Replaces a message's body and logs `message.updated`; returns the
/// message and the event's seq. `NotFound` if the message does not exist
/// or is deleted.
pub async fn edit(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
    body: &str,
) -> StoreResult<(Message, Seq)> {
    let tx = client.transaction().await?;
    let seq = events::append(
        &tx,
        room_id,
        EventType::MessageUpdated,
        Some(message_id),
        None,
        None,
    )
    .await?;
    let changed = tx
        .execute(
            "UPDATE messages SET body = $3, edited_at = now() \
             WHERE room_id = $1 AND id = $2 AND deleted_at IS NULL",
            &[&room_id, &message_id, &body],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    let message = get(&tx, room_id, message_id).await?;
    tx.commit().await?;
    Ok((message, seq))
}

/// Turns a message into a tombstone (its text is erased) and logs
/// `message.deleted`; returns the event's seq, or `None` when the message
/// was already deleted (nothing changes then).
pub async fn delete(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
) -> StoreResult<Option<Seq>> {
    let tx = client.transaction().await?;
    let seq = events::append(
        &tx,
        room_id,
        EventType::MessageDeleted,
        Some(message_id),
        None,
        None,
    )
    .await?;
    let changed = tx
        .execute(
            "UPDATE messages SET body = '', deleted_at = now() \
             WHERE room_id = $1 AND id = $2 AND deleted_at IS NULL",
            &[&room_id, &message_id],
        )
        .await?;
    if changed == 0 {
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(seq))
}

/// Which page of a room's history to read. Keyset pagination on seq.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub before: Option<Seq>,
    pub after: Option<Seq>,
    pub limit: i64,
}

/// A page of messages, always ascending by seq. With `after` it is the
/// oldest `limit` messages after it (bounded by `before` if given); with
/// only `before`, the newest `limit` before it; with neither, the newest.
pub async fn page(db: &impl GenericClient, room_id: i64, page: Page) -> StoreResult<Vec<Message>> {
    let ascending = page.after.is_some();
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         WHERE m.room_id = $1 AND m.seq > $2 AND m.seq < $3 \
         ORDER BY m.seq {} LIMIT $4",
        if ascending { "ASC" } else { "DESC" }
    );
    let stmt = db.prepare_cached(&sql).await?;
    let rows = db
        .query(
            &stmt,
            &[
                &room_id,
                &page.after.unwrap_or(0),
                &page.before.unwrap_or(i64::MAX),
                &page.limit,
            ],
        )
        .await?;
    let mut messages: Vec<Message> = rows.iter().map(rows::message).collect();
    if !ascending {
        messages.reverse();
    }
    Ok(messages)
}

/// Full-text search over the rooms `user_id` is a member of (optionally one
/// room), newest first. Matches whole words through the `simple` text
/// search configuration, and any substring of three or more characters
/// (parts of URLs, identifiers) through the trigram index.
pub async fn search(
    db: &impl GenericClient,
    user_id: i64,
    query: &str,
    room_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Message>> {
    let pattern = format!("%{}%", escape_like(query));
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         WHERE m.room_id IN (SELECT room_id FROM memberships WHERE user_id = $1) \
           AND ($2::bigint IS NULL OR m.room_id = $2) \
           AND m.deleted_at IS NULL \
           AND (m.search @@ websearch_to_tsquery('simple', $3) OR m.body ILIKE $4) \
         ORDER BY m.created_at DESC, m.id DESC LIMIT $5"
    );
    let rows = db
        .query(&sql, &[&user_id, &room_id, &query, &pattern, &limit])
        .await?;
    Ok(rows.iter().map(rows::message).collect())
}

/// Escapes LIKE's wildcards so user input matches literally.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
    }
}
