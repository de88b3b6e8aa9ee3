//! The `messages` table: sending, editing, deleting, paging and searching.

use chat_wire::api::Revision;
use chat_wire::{EventType, Message, Seq};

use crate::events::Appends;
use crate::rows::{self, MESSAGE_COLUMNS, MESSAGE_FROM, MESSAGE_ROW_COLUMNS, NEW_MESSAGE_COLUMNS};
use crate::{Client, Committed, GenericClient, Refusal, StoreError, StoreResult};

/// A send's outcome.
#[must_use = "publish the event of a new message"]
#[derive(Debug)]
pub enum Sent {
    /// Stored now, with its `message.created` event.
    New { message: Message, event: Committed },
    /// A retry: the message this client_id had already stored.
    Retry(Message),
}

impl Sent {
    pub fn message(&self) -> &Message {
        match self {
            Self::New { message, .. } | Self::Retry(message) => message,
        }
    }

    fn new(message: Message) -> Self {
        Self::New {
            event: Committed::message_created(message.clone()),
            message,
        }
    }
}

/// Sends a message as a member of the room, in one round trip: a single
/// statement checks membership, bumps the room's seq, inserts the message
/// and logs `message.created`, committing atomically without BEGIN/COMMIT.
/// The unique (room, author, client_id) key makes retries durable: a
/// repeated client_id returns the original. When it stores nothing, the
/// same statement says why: [`Refusal::NoSuchRoom`], [`Refusal::NotMember`],
/// [`Refusal::Archived`], [`Refusal::UnknownReplyTo`], or
/// [`Refusal::ClientIdReused`] when the client_id already sent another text.
/// A new message has no reactions and no pin, so the statement reads
/// neither (only a retry looks them up).
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
            "WITH room AS ( \
                 SELECT archived_at IS NOT NULL AS archived, \
                        kind = 'room' AND visibility = 'public' AS joinable \
                 FROM rooms WHERE id = $1), \
             member AS (SELECT 1 FROM memberships WHERE room_id = $1 AND user_id = $2), \
             prior AS (SELECT id, deleted_at IS NOT NULL OR body = $3 AS same FROM messages \
                       WHERE room_id = $1 AND author_id = $2 AND client_id = $4), \
             parent AS (SELECT 1 FROM messages WHERE room_id = $1 AND id = $5), \
             next AS ( \
                 UPDATE rooms SET latest_seq = latest_seq + 1 \
                 WHERE id = $1 AND archived_at IS NULL \
                   AND EXISTS (SELECT 1 FROM member) AND NOT EXISTS (SELECT 1 FROM prior) \
                   AND ($5::bigint IS NULL OR EXISTS (SELECT 1 FROM parent)) \
                 RETURNING latest_seq), \
             ins AS ( \
                 INSERT INTO messages (room_id, seq, author_id, body, client_id, reply_to) \
                 SELECT $1, latest_seq, $2, $3, $4, $5 FROM next \
                 ON CONFLICT (room_id, author_id, client_id) DO NOTHING RETURNING *), \
             e AS ( \
                 INSERT INTO room_events (room_id, seq, kind, message_id) \
                 SELECT room_id, seq, 'message.created', id FROM ins), \
             outcome AS (SELECT CASE \
                 WHEN EXISTS (SELECT 1 FROM ins) THEN 'sent' \
                 WHEN EXISTS (SELECT 1 FROM prior) THEN \
                     CASE WHEN (SELECT same FROM prior) THEN 'retry' ELSE 'reused' END \
                 WHEN NOT EXISTS (SELECT 1 FROM room) THEN 'no_room' \
                 WHEN NOT EXISTS (SELECT 1 FROM member) THEN \
                     CASE WHEN (SELECT joinable FROM room) THEN 'not_member' ELSE 'no_room' END \
                 WHEN (SELECT archived FROM room) THEN 'archived' \
                 WHEN $5::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM parent) \
                     THEN 'bad_reply' \
                 ELSE 'raced' END AS status) \
             SELECT outcome.status, {MESSAGE_ROW_COLUMNS}, \
                    CASE WHEN outcome.status = 'retry' THEN {reactions} END, \
                    CASE WHEN outcome.status = 'retry' THEN {pinned} ELSE false END \
             FROM outcome \
             LEFT JOIN (SELECT * FROM ins UNION ALL \
                        SELECT x.* FROM messages x JOIN prior ON prior.id = x.id) m ON true \
             LEFT JOIN users au ON au.id = m.author_id",
            reactions = rows::message_reactions_column!(),
            pinned = rows::message_pinned_column!(),
        ))
        .await?;
    // A concurrent change the statement's snapshot could not see (a
    // retry's twin committing first, the room archived meanwhile) makes it
    // store nothing without a reason; a second look sees it.
    for _ in 0..3 {
        let row = db
            .query_one(&stmt, &[&room_id, &author_id, &body, &client_id, &reply_to])
            .await?;
        let status: &str = row.get(0);
        return match status {
            "sent" => Ok(Sent::new(rows::message_at(&row, 1))),
            "retry" => Ok(Sent::Retry(rows::message_at(&row, 1))),
            "no_room" => Err(Refusal::NoSuchRoom.into()),
            "not_member" => Err(Refusal::NotMember { joinable: true }.into()),
            "archived" => Err(Refusal::Archived.into()),
            "bad_reply" => Err(Refusal::UnknownReplyTo.into()),
            "reused" => Err(Refusal::ClientIdReused.into()),
            _ => continue,
        };
    }
    Err(StoreError::Unavailable(
        "the room kept changing during the send; retry".into(),
    ))
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
) -> StoreResult<Vec<Option<Sent>>> {
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
             SELECT ok.ord, {NEW_MESSAGE_COLUMNS} FROM m \
             JOIN users au ON au.id = m.author_id \
             JOIN next ON next.room_id = m.room_id \
             JOIN ok ON ok.room_id = m.room_id AND ok.k = m.seq - next.base"
        ))
        .await?;
    let stored = db
        .query(&stmt, &[&rooms, &authors, &bodies, &client_ids, &replies])
        .await?;
    let mut out: Vec<Option<Sent>> = drafts.iter().map(|_| None).collect();
    for row in stored {
        let ord: i64 = row.get(0);
        if let Some(slot) = out.get_mut(ord as usize - 1) {
            *slot = Some(Sent::new(rows::message_at(&row, 1)));
        }
    }
    Ok(out)
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

/// Replaces the body of `editor_id`'s message and logs `message.updated`,
/// keeping the text it replaces in `message_revisions` (unless the edit
/// changes nothing). Returns the edited message and its event. Refusals:
/// [`Refusal::NoSuchMessage`], [`Refusal::NotAuthor`],
/// [`Refusal::MessageDeleted`].
pub async fn edit(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
    editor_id: i64,
    body: &str,
) -> StoreResult<(Message, Committed)> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    // The event comes first: appending takes the room's lock, which every
    // writer takes before touching the room's messages.
    let seq = log
        .append(
            &tx,
            room_id,
            EventType::MessageUpdated,
            Some(message_id),
            None,
            None,
        )
        .await?;
    // `target` reads the text before the update (one snapshot for the
    // whole statement); the room lock keeps other writers out meanwhile.
    let row = tx
        .query_one(
            "WITH target AS (SELECT author_id, deleted_at IS NOT NULL AS deleted, body \
                             FROM messages WHERE room_id = $1 AND id = $2), \
                  changed AS (UPDATE messages SET body = $3, edited_at = now() \
                              WHERE room_id = $1 AND id = $2 AND author_id = $4 \
                                AND deleted_at IS NULL RETURNING id), \
                  kept AS (INSERT INTO message_revisions (room_id, message_id, seq, body) \
                           SELECT $1, $2, $5, t.body FROM target t \
                           WHERE EXISTS (SELECT 1 FROM changed) AND t.body <> $3) \
             SELECT EXISTS (SELECT 1 FROM changed), t.author_id, t.deleted \
             FROM (SELECT 1) one LEFT JOIN target t ON true",
            &[&room_id, &message_id, &body, &editor_id, &seq],
        )
        .await?;
    refuse_unless_changed(&row, editor_id, true)?;
    let message = get(&tx, room_id, message_id).await?;
    Ok((message, log.commit(tx).await?))
}

/// Turns a message into a tombstone (its text, edit history and reactions
/// are erased, its pin removed) and logs `message.deleted`.
/// `may_delete_others` is the actor's right to delete anyone's message (a
/// moderator); otherwise only their own. Nothing
/// changes, and the returned value is empty, when it was already deleted.
/// Refusals: [`Refusal::NoSuchMessage`], [`Refusal::NotAuthor`].
pub async fn delete(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
    actor_id: i64,
    may_delete_others: bool,
) -> StoreResult<Committed> {
    let tx = client.transaction().await?;
    let mut log = Appends::default();
    log.append(
        &tx,
        room_id,
        EventType::MessageDeleted,
        Some(message_id),
        None,
        None,
    )
    .await?;
    let row = tx
        .query_one(
            "WITH target AS (SELECT author_id, deleted_at IS NOT NULL AS deleted \
                             FROM messages WHERE room_id = $1 AND id = $2), \
                  changed AS (UPDATE messages SET body = '', deleted_at = now() \
                              WHERE room_id = $1 AND id = $2 AND deleted_at IS NULL \
                                AND (author_id = $3 OR $4) RETURNING id) \
             SELECT EXISTS (SELECT 1 FROM changed), t.author_id, t.deleted \
             FROM (SELECT 1) one LEFT JOIN target t ON true",
            &[&room_id, &message_id, &actor_id, &may_delete_others],
        )
        .await?;
    match refuse_unless_changed(&row, actor_id, !may_delete_others) {
        // Already a tombstone: roll back the event, change nothing.
        Err(StoreError::Refused(Refusal::MessageDeleted)) => Ok(Committed::default()),
        Err(e) => Err(e),
        Ok(()) => {
            erase(&tx, room_id, message_id).await?;
            log.commit(tx).await
        }
    }
}

/// Erases what hangs off a deleted message: its earlier texts, its
/// reactions and its pin. No events: `message.deleted` carries the
/// message as it is now, with none of them.
async fn erase(tx: &impl GenericClient, room_id: i64, message_id: i64) -> StoreResult<()> {
    tx.execute(
        "WITH revisions AS (DELETE FROM message_revisions WHERE room_id = $1 AND message_id = $2), \
              reactions AS (DELETE FROM reactions WHERE room_id = $1 AND message_id = $2) \
         DELETE FROM pins WHERE room_id = $1 AND message_id = $2",
        &[&room_id, &message_id],
    )
    .await?;
    Ok(())
}

/// The earlier texts of a message, oldest first, each with the time the
/// edit that replaced it was made. [`Refusal::NoSuchMessage`] if the room
/// has no such message; a deleted message has none.
pub async fn history(
    db: &impl GenericClient,
    room_id: i64,
    message_id: i64,
) -> StoreResult<Vec<Revision>> {
    let rows = db
        .query(
            "SELECT r.body, r.edited_at FROM messages m \
             LEFT JOIN message_revisions r ON r.room_id = m.room_id AND r.message_id = m.id \
             WHERE m.room_id = $1 AND m.id = $2 ORDER BY r.seq",
            &[&room_id, &message_id],
        )
        .await?;
    if rows.is_empty() {
        return Err(Refusal::NoSuchMessage.into());
    }
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Revision {
                body: row.get::<_, Option<String>>(0)?,
                edited_at: row.get(1),
            })
        })
        .collect())
}

/// Reads `(changed, author_id, deleted)` of an edit or delete: `Ok` if the
/// message changed, else why not (the author check first, when asked for).
fn refuse_unless_changed(
    row: &tokio_postgres::Row,
    actor_id: i64,
    author_only: bool,
) -> StoreResult<()> {
    let changed: bool = row.get(0);
    let author: Option<i64> = row.get(1);
    let deleted: Option<bool> = row.get(2);
    match (changed, author) {
        (true, _) => Ok(()),
        (false, None) => Err(Refusal::NoSuchMessage.into()),
        (false, Some(author)) if author_only && author != actor_id => {
            Err(Refusal::NotAuthor.into())
        }
        (false, Some(_)) if deleted == Some(true) => Err(Refusal::MessageDeleted.into()),
        (false, Some(_)) => Err(StoreError::Internal(
            "a message neither changed nor refused".into(),
        )),
    }
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
/// The flag says whether more lie beyond the page in the direction read.
pub async fn page(
    db: &impl GenericClient,
    room_id: i64,
    page: Page,
) -> StoreResult<(Vec<Message>, bool)> {
    let ascending = page.after.is_some();
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         WHERE m.room_id = $1 AND m.seq > $2 AND m.seq < $3 \
         ORDER BY m.seq {} LIMIT $4",
        if ascending { "ASC" } else { "DESC" }
    );
    let stmt = db.prepare_cached(&sql).await?;
    // One row more than asked for tells whether the page is the last.
    let rows = db
        .query(
            &stmt,
            &[
                &room_id,
                &page.after.unwrap_or(0),
                &page.before.unwrap_or(i64::MAX),
                &(page.limit + 1),
            ],
        )
        .await?;
    let has_more = rows.len() as i64 > page.limit;
    let mut messages: Vec<Message> = rows
        .iter()
        .take(page.limit as usize)
        .map(rows::message)
        .collect();
    if !ascending {
        messages.reverse();
    }
    Ok((messages, has_more))
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
