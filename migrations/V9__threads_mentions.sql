-- Threads and mentions (issue 15).
--
-- Threads are one level deep: a reply names a top-level message of its room
-- as thread_root. The root row carries the thread's summary, updated by the
-- statement that stores each reply while it holds the room's seq row lock,
-- so concurrent replies are counted exactly and reading a page of messages
-- joins nothing extra. A deleted reply stays in its thread as a tombstone
-- and keeps counting.
ALTER TABLE messages
    ADD COLUMN thread_root bigint,
    ADD COLUMN reply_count integer NOT NULL DEFAULT 0,
    ADD COLUMN last_reply_at timestamptz,
    -- Reply authors in the order of their first reply.
    ADD COLUMN thread_participants bigint[] NOT NULL DEFAULT '{}',
    -- `@room` was written: a mention of every member, stored once.
    ADD COLUMN mentions_room boolean NOT NULL DEFAULT false,
    ADD FOREIGN KEY (room_id, thread_root) REFERENCES messages (room_id, id),
    ADD CHECK (thread_root IS NULL OR thread_root <> id);

-- A thread's replies in seq order; room history skips them.
CREATE INDEX messages_thread_idx ON messages (room_id, thread_root, seq)
    WHERE thread_root IS NOT NULL;
-- Messages that mention the whole room, for counts and the mention list.
CREATE INDEX messages_mentions_room_idx ON messages (room_id, seq)
    WHERE mentions_room;

-- One row per member a message mentions by name, so mention counts and
-- lists are index lookups instead of text scans. author_id and seq are
-- copied from the message so counting needs no join. A delete or an edit
-- that drops the name removes the row.
CREATE TABLE mentions (
    room_id    bigint NOT NULL,
    message_id bigint NOT NULL,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_id  bigint NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (room_id, message_id, user_id),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);
-- "My mentions", newest first, and per-room counts after a read marker.
CREATE INDEX mentions_user_idx ON mentions (user_id, message_id DESC);
CREATE INDEX mentions_user_room_idx ON mentions (room_id, user_id, seq);

-- Who follows which thread, and how far each has read it. Following starts
-- when one writes the root or a reply or is mentioned in one; reading a
-- thread without following it keeps a read marker only.
CREATE TABLE thread_reads (
    room_id   bigint  NOT NULL,
    root_id   bigint  NOT NULL,
    user_id   bigint  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    following boolean NOT NULL DEFAULT false,
    -- The highest seq of the thread this user has seen. Only moves forward.
    read_seq  bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, root_id, user_id),
    FOREIGN KEY (room_id, root_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);
CREATE INDEX thread_reads_user_idx ON thread_reads (user_id) WHERE following;
