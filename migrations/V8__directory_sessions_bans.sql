-- People and moderation (issue 16): the user directory, one's own sessions,
-- and running a room.

-- The directory finds active accounts whose username or display name starts
-- with a prefix, ignoring case. text_pattern_ops compares bytes, so a range
-- `lower(x) ~>=~ p AND lower(x) ~<~ p || U+10FFFF` is an index range scan
-- whatever the database's collation, even in a generic plan. The indexes
-- hold only the accounts the directory shows.
CREATE INDEX users_directory_username_idx
    ON users (lower(username) text_pattern_ops)
    WHERE NOT disabled AND deleted_at IS NULL;
CREATE INDEX users_directory_display_name_idx
    ON users (lower(display_name) text_pattern_ops)
    WHERE NOT disabled AND deleted_at IS NULL;

-- The User-Agent that logged in, so people can tell their sessions apart
-- (truncated by chatd; NULL when the client sent none).
ALTER TABLE sessions ADD COLUMN user_agent text;

-- Bans keep a user out of a room: joining and being added are refused.
-- banned_by goes NULL if the banning account row is ever removed.
CREATE TABLE room_bans (
    room_id    bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason     text        NOT NULL DEFAULT '',
    banned_by  bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);

-- A new room event kind: `member.updated` (a member's role changed; the new
-- role and who changed it are in `data`). `member.left` gains `data.by` when
-- someone else removed the member, which needs no schema change.
--
-- The allowed kinds are a CHECK constraint that other migrations extend as
-- well, so this one adds its kind to whatever the constraint allows now
-- instead of restating the whole list.
DO $$
DECLARE
    old_name text;
    kinds    text[];
BEGIN
    SELECT c.conname,
           array(SELECT m[1] FROM regexp_matches(pg_get_constraintdef(c.oid), '''([^'']+)''', 'g') AS m)
      INTO old_name, kinds
      FROM pg_constraint c
     WHERE c.conrelid = 'room_events'::regclass AND c.contype = 'c'
       AND pg_get_constraintdef(c.oid) LIKE '%member.left%';
    IF old_name IS NULL THEN
        RAISE EXCEPTION 'room_events has no CHECK constraint on its kinds';
    END IF;
    EXECUTE format('ALTER TABLE room_events DROP CONSTRAINT %I', old_name);
    EXECUTE format('ALTER TABLE room_events ADD CONSTRAINT %I CHECK (kind = ANY (%L::text[]))',
                   old_name, kinds || ARRAY['member.updated']);
END
$$;
