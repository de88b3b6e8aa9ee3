//! Threads (a reply's `thread_root`, per-user thread read markers and
//! following) and mentions (the `mentions` rows and `@room`).

use chat_wire::{Message, Seq};

use super::{Page, paged};
use crate::rows::{self, MESSAGE_COLUMNS, MESSAGE_COLUMN_COUNT, MESSAGE_FROM};
use crate::{GenericClient, Refusal, StoreResult};

/// [`Refusal::NoSuchMessage`] unless `root_id` is a top-level message of
/// the room (deleted or not: a deleted root keeps its thread readable).
async fn check_root(db: &impl GenericClient, room_id: i64, root_id: i64) -> StoreResult<()> {
    let found = db
        .query_opt(
            "SELECT 1 FROM messages WHERE room_id = $1 AND id = $2 AND thread_root IS NULL",
            &[&room_id, &root_id],
        )
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(Refusal::NoSuchMessage.into()),
    }
}

/// A page of a thread's replies, ascending by seq, paged like room history.
pub async fn thread_page(
    db: &impl GenericClient,
    room_id: i64,
    root_id: i64,
    page: Page,
) -> StoreResult<(Vec<Message>, bool)> {
    check_root(db, room_id, root_id).await?;
    paged(db, room_id, Some(root_id), page).await
}

/// Moves `user_id`'s read marker in a thread forward to `seq` (never back,
/// never past the room's newest event). Reading a thread does not follow
/// it.
pub async fn mark_thread_read(
    db: &impl GenericClient,
    room_id: i64,
    root_id: i64,
    user_id: i64,
    seq: Seq,
) -> StoreResult<()> {
    check_root(db, room_id, root_id).await?;
    db.execute(
        "INSERT INTO thread_reads (room_id, root_id, user_id, read_seq) \
         SELECT $1, $2, $3, least($4, latest_seq) FROM rooms WHERE id = $1 \
         ON CONFLICT (room_id, root_id, user_id) \
         DO UPDATE SET read_seq = greatest(thread_reads.read_seq, excluded.read_seq)",
        &[&room_id, &root_id, &user_id, &seq],
    )
    .await?;
    Ok(())
}

/// The threads `user_id` follows in rooms they are still in, most recent
/// reply first, each with the replies by others after their read marker.
pub async fn follow_list(
    db: &impl GenericClient,
    user_id: i64,
    limit: i64,
) -> StoreResult<Vec<(Message, i64)>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS}, \
                (SELECT count(*) FROM messages x \
                 WHERE x.room_id = tr.room_id AND x.thread_root = tr.root_id \
                   AND x.seq > tr.read_seq AND x.author_id <> $1 AND x.deleted_at IS NULL) \
         FROM thread_reads tr \
         JOIN messages m ON m.room_id = tr.room_id AND m.id = tr.root_id \
         JOIN users au ON au.id = m.author_id \
         WHERE tr.user_id = $1 AND tr.following \
           AND EXISTS (SELECT 1 FROM memberships mb \
                       WHERE mb.room_id = tr.room_id AND mb.user_id = $1) \
         ORDER BY m.last_reply_at DESC NULLS LAST, m.id DESC LIMIT $2"
    );
    let rows = db.query(&sql, &[&user_id, &limit]).await?;
    Ok(rows
        .iter()
        .map(|row| (rows::message(row), row.get(MESSAGE_COLUMN_COUNT)))
        .collect())
}

/// Messages in `user_id`'s rooms that mention them by name or `@room`,
/// newest first, with ids below `before`; their own messages and those of
/// people they blocked excepted.
pub async fn mentions_of(
    db: &impl GenericClient,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Message>> {
    let sql = format!(
        "WITH mine AS (SELECT room_id FROM memberships WHERE user_id = $1), \
         blocked AS (SELECT blocked_id FROM blocks WHERE user_id = $1), \
         hits AS ( \
             (SELECT mn.room_id, mn.message_id AS id FROM mentions mn \
              WHERE mn.user_id = $1 AND mn.message_id < $2 AND mn.author_id <> $1 \
                AND mn.author_id NOT IN (SELECT blocked_id FROM blocked) \
                AND mn.room_id IN (SELECT room_id FROM mine) \
              ORDER BY mn.message_id DESC LIMIT $3) \
             UNION \
             (SELECT rm.room_id, rm.id FROM messages rm \
              WHERE rm.room_id IN (SELECT room_id FROM mine) AND rm.mentions_room \
                AND rm.id < $2 AND rm.author_id <> $1 AND rm.deleted_at IS NULL \
                AND rm.author_id NOT IN (SELECT blocked_id FROM blocked) \
              ORDER BY rm.id DESC LIMIT $3)) \
         SELECT {MESSAGE_COLUMNS} FROM hits h \
         JOIN {MESSAGE_FROM} ON m.room_id = h.room_id AND m.id = h.id \
         ORDER BY m.id DESC LIMIT $3"
    );
    let rows = db
        .query(&sql, &[&user_id, &before.unwrap_or(i64::MAX), &limit])
        .await?;
    Ok(rows.iter().map(rows::message).collect())
}

/// Makes a message's stored mentions those of `usernames` (members of the
/// room only) after an edit. Newly mentioned people follow the thread the
/// message is part of, if any.
pub(super) async fn remention(
    db: &impl GenericClient,
    room_id: i64,
    message_id: i64,
    usernames: &[String],
) -> StoreResult<()> {
    db.execute(
        "WITH msg AS ( \
             SELECT author_id, seq, \
                    coalesce(thread_root, CASE WHEN reply_count > 0 THEN id END) AS thread \
             FROM messages WHERE room_id = $1 AND id = $2), \
         wanted AS ( \
             SELECT u.id FROM users u \
             JOIN memberships mb ON mb.room_id = $1 AND mb.user_id = u.id \
             WHERE lower(u.username) = ANY ($3::text[])), \
         gone AS ( \
             DELETE FROM mentions WHERE room_id = $1 AND message_id = $2 \
               AND user_id NOT IN (SELECT id FROM wanted)), \
         added AS ( \
             INSERT INTO mentions (room_id, message_id, user_id, author_id, seq) \
             SELECT $1, $2, w.id, msg.author_id, msg.seq FROM wanted w, msg \
             ON CONFLICT DO NOTHING RETURNING user_id) \
         INSERT INTO thread_reads (room_id, root_id, user_id, following) \
         SELECT $1, msg.thread, a.user_id, true FROM added a, msg WHERE msg.thread IS NOT NULL \
         ON CONFLICT (room_id, root_id, user_id) DO UPDATE SET following = true",
        &[&room_id, &message_id, &usernames],
    )
    .await?;
    Ok(())
}
