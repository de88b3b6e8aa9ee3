//! The `messages` table: sending, editing, deleting, paging and searching;
//! threads and mentions hang off it.

mod attached;
mod lone;
mod send;
mod steps;
mod threads;

use chat_wire::api::Revision;
use chat_wire::mentions::Mentions;
use chat_wire::{EventType, Message, Seq};

pub use send::{Draft, Sent, send, send_batch, send_draft};
pub use threads::{follow_list, mark_thread_read, mentions_of, thread_page};

use crate::audit::{self, AuditActor};
use crate::events::Appends;
use crate::rows::{self, MESSAGE_COLUMNS, MESSAGE_FROM};
use crate::{Client, Committed, GenericClient, Refusal, StoreError, StoreResult};

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
/// [`Refusal::MessageDeleted`]. The message's mentions become what the new
/// text mentions, so mention counts follow the edit.
pub async fn edit(
    client: &mut Client,
    room_id: i64,
    message_id: i64,
    editor_id: i64,
    body: &str,
    mentions: &Mentions,
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
                  changed AS (UPDATE messages SET body = $3, edited_at = now(), \
                                  mentions_room = $6 \
                              WHERE room_id = $1 AND id = $2 AND author_id = $4 \
                                AND deleted_at IS NULL RETURNING id), \
                  kept AS (INSERT INTO message_revisions (room_id, message_id, seq, body) \
                           SELECT $1, $2, $5, t.body FROM target t \
                           WHERE EXISTS (SELECT 1 FROM changed) AND t.body <> $3) \
             SELECT EXISTS (SELECT 1 FROM changed), t.author_id, t.deleted \
             FROM (SELECT 1) one LEFT JOIN target t ON true",
            &[
                &room_id,
                &message_id,
                &body,
                &editor_id,
                &seq,
                &mentions.room,
            ],
        )
        .await?;
    refuse_unless_changed(&row, editor_id, true)?;
    threads::remention(&tx, room_id, message_id, &mentions.usernames).await?;
    let message = get(&tx, room_id, message_id).await?;
    Ok((message, log.commit(tx).await?))
}

/// Turns a message into a tombstone (its text, edit history and reactions
/// are erased, its pin removed) and logs `message.deleted`.
/// `may_delete_others` is the actor's right to delete anyone's message (a
/// moderator); otherwise only their own. Deleting someone else's message is
/// recorded in the audit log. Nothing
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
            // A moderator's deletion of someone else's message is audited
            // in the same transaction.
            let author: i64 = row.get(1);
            if author != actor_id {
                audit::message_deleted(
                    &tx,
                    AuditActor::User(actor_id),
                    room_id,
                    message_id,
                    author,
                )
                .await?;
            }
            log.commit(tx).await
        }
    }
}

/// Erases what hangs off a deleted message: its earlier texts, its
/// reactions, its mentions, its pin, and its attachments (the files stay
/// until the sweep finds no message, avatar or upload grace keeping them). No events: `message.deleted`
/// carries the message as it is now, with none of them. A deleted root
/// keeps its thread: the replies and their summary stay readable.
async fn erase(tx: &impl GenericClient, room_id: i64, message_id: i64) -> StoreResult<()> {
    tx.execute(
        "WITH revisions AS (DELETE FROM message_revisions WHERE room_id = $1 AND message_id = $2), \
              reactions AS (DELETE FROM reactions WHERE room_id = $1 AND message_id = $2), \
              mentioned AS (DELETE FROM mentions WHERE room_id = $1 AND message_id = $2), \
              attached AS (DELETE FROM message_attachments \
                           WHERE room_id = $1 AND message_id = $2), \
              everyone AS (UPDATE messages SET mentions_room = false \
                           WHERE room_id = $1 AND id = $2 AND mentions_room) \
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
/// Thread replies are not part of the room's history (see [`thread_page`]).
pub async fn page(
    db: &impl GenericClient,
    room_id: i64,
    page: Page,
) -> StoreResult<(Vec<Message>, bool)> {
    paged(db, room_id, None, page).await
}

/// A page of a room's top-level messages, or of one thread's replies.
async fn paged(
    db: &impl GenericClient,
    room_id: i64,
    thread: Option<i64>,
    page: Page,
) -> StoreResult<(Vec<Message>, bool)> {
    let ascending = page.after.is_some();
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
         WHERE m.room_id = $1 AND m.seq > $2 AND m.seq < $3 AND {} \
         ORDER BY m.seq {} LIMIT $4",
        if thread.is_some() {
            "m.thread_root = $5"
        } else {
            "m.thread_root IS NULL"
        },
        if ascending { "ASC" } else { "DESC" }
    );
    let stmt = db.prepare_cached(&sql).await?;
    let (after, before, limit) = (
        page.after.unwrap_or(0),
        page.before.unwrap_or(i64::MAX),
        page.limit + 1,
    );
    // One row more than asked for tells whether the page is the last.
    let rows = match &thread {
        Some(root) => {
            db.query(&stmt, &[&room_id, &after, &before, &limit, root])
                .await?
        }
        None => {
            db.query(&stmt, &[&room_id, &after, &before, &limit])
                .await?
        }
    };
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
