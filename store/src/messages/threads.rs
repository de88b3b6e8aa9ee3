//! Threads (a reply's `thread_root`, per-user thread read markers and
//! following) and mentions (the `mentions` rows and `@room`).

use chat_wire::{Message, Seq};

use super::{Page, paged};
use crate::rows::{self, MESSAGE_COLUMN_COUNT, MESSAGE_COLUMNS, MESSAGE_FROM};
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

/// A reply's effect on its thread, as CTEs of the send statement (`ins`
/// is the reply, `root` its root's author, `mentioned` the reply's
/// mentions): the root's summary grows by one reply, and the author, the
/// root's author and everyone mentioned in the root or the reply follow
/// the thread. The author has read it up to their own reply.
pub(super) const THREAD_WRITES: &str = "\
    bumped AS ( \
        UPDATE messages r SET reply_count = r.reply_count + 1, last_reply_at = ins.created_at, \
            last_reply_seq = ins.seq, \
            thread_participants = CASE WHEN ins.author_id = ANY (r.thread_participants) \
                THEN r.thread_participants ELSE r.thread_participants || ins.author_id END \
        FROM ins WHERE r.room_id = ins.room_id AND r.id = ins.thread_root), \
    followers AS ( \
        INSERT INTO thread_reads (room_id, root_id, user_id, following, read_seq) \
        SELECT ins.room_id, ins.thread_root, w.who, true, \
               CASE WHEN w.who = ins.author_id THEN ins.seq ELSE 0 END \
        FROM ins CROSS JOIN LATERAL ( \
            SELECT ins.author_id UNION SELECT author_id FROM root \
            UNION SELECT user_id FROM mentioned \
            UNION SELECT rm.user_id FROM mentions rm \
                  WHERE rm.room_id = ins.room_id AND rm.message_id = ins.thread_root) w(who) \
        WHERE ins.thread_root IS NOT NULL \
        ON CONFLICT (room_id, root_id, user_id) DO UPDATE SET following = true, \
            read_seq = greatest(thread_reads.read_seq, excluded.read_seq) \
        WHERE NOT thread_reads.following OR thread_reads.read_seq < excluded.read_seq)";

/// The thread replies of a batch, as CTEs after its `mentioned` (each
/// starting with a comma): each root's summary grows by its replies in the
/// batch, counted in one update per root (an `UPDATE ... FROM` applies one
/// joined row per target), and the followers are written once per thread
/// and person (`stored` carries each reply's `root_author`), as
/// [`THREAD_WRITES`] does for one reply. A follower row changes only when
/// it gains something (following again, a later read marker).
pub(super) const THREAD_BATCH_WRITES: &str = "\
    , replies AS ( \
        SELECT s.room_id, s.thread_root AS root_id, count(*) AS n, max(s.seq) AS last_seq, \
               max(s.created_at) AS last_at, array_agg(s.author_id ORDER BY s.seq) AS authors \
        FROM stored s WHERE s.thread_root IS NOT NULL GROUP BY s.room_id, s.thread_root), \
    bumped AS ( \
        UPDATE messages r SET reply_count = r.reply_count + t.n, last_reply_at = t.last_at, \
            last_reply_seq = t.last_seq, \
            thread_participants = r.thread_participants || ARRAY( \
                SELECT a.id FROM unnest(t.authors) WITH ORDINALITY a(id, o) \
                WHERE a.id <> ALL (r.thread_participants) \
                GROUP BY a.id ORDER BY min(a.o)) \
        FROM replies t WHERE r.room_id = t.room_id AND r.id = t.root_id), \
    followers AS ( \
        INSERT INTO thread_reads (room_id, root_id, user_id, following, read_seq) \
        SELECT s.room_id, s.thread_root, w.who, true, \
               max(CASE WHEN w.who = s.author_id THEN s.seq ELSE 0 END) \
        FROM stored s CROSS JOIN LATERAL ( \
            SELECT s.author_id UNION SELECT s.root_author \
            UNION SELECT mn.user_id FROM mentioned mn WHERE mn.message_id = s.id \
            UNION SELECT rm.user_id FROM mentions rm \
                  WHERE rm.room_id = s.room_id AND rm.message_id = s.thread_root) w(who) \
        WHERE s.thread_root IS NOT NULL \
        GROUP BY s.room_id, s.thread_root, w.who \
        ON CONFLICT (room_id, root_id, user_id) DO UPDATE SET following = true, \
            read_seq = greatest(thread_reads.read_seq, excluded.read_seq) \
        WHERE NOT thread_reads.following OR thread_reads.read_seq < excluded.read_seq)";
