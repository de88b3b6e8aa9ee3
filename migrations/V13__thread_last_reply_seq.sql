-- A thread root's summary names the seq of the newest reply it counts, so a
-- client that holds the summary from a page of history and then hears a
-- reply's `message.created` event can tell whether that reply is already
-- counted. Without it, a page read after a reply but applied before the
-- socket replays that reply counted it twice.
ALTER TABLE messages ADD COLUMN last_reply_seq bigint;

UPDATE messages r
SET last_reply_seq = t.seq
FROM (SELECT room_id, thread_root, max(seq) AS seq
      FROM messages WHERE thread_root IS NOT NULL
      GROUP BY room_id, thread_root) t
WHERE r.room_id = t.room_id AND r.id = t.thread_root;
