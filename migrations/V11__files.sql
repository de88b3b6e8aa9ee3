-- Files: uploads, attachments on messages, avatars (issue 17).
--
-- The bytes live outside PostgreSQL, in the blob store (the data directory),
-- named by their SHA-256; these tables hold what we know about them. A blob
-- is stored before the row that names it is inserted, and removed only after
-- the last row naming it is gone (chatd's sweep, under an advisory lock), so
-- a row never names a missing blob.

-- One row per upload. Two uploads of the same bytes are two rows (each with
-- its own name and uploader) over one blob. A user-scoped reference table,
-- like users: not per room.
CREATE TABLE files (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uploader_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- What is served: for JPEG, PNG and WebP images, the re-encoded bytes
    -- without metadata, not what was uploaded.
    sha256             text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size               bigint      NOT NULL CHECK (size >= 0),
    -- Taken from the bytes, never from the client's claim.
    content_type       text        NOT NULL,
    -- The client's file name, cleaned (no path, no control characters).
    name               text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    -- Pixel size, for images only.
    width              integer,
    height             integer,
    -- The thumbnail (images only): a blob of its own.
    thumb_sha256       text        CHECK (thumb_sha256 ~ '^[0-9a-f]{64}$'),
    thumb_size         bigint,
    thumb_content_type text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((width IS NULL) = (height IS NULL)),
    CHECK ((thumb_sha256 IS NULL) = (thumb_content_type IS NULL))
);
-- Whether a blob is still named by any row (the sweep, backups).
CREATE INDEX files_sha256_idx ON files (sha256);
CREATE INDEX files_thumb_sha256_idx ON files (thumb_sha256) WHERE thumb_sha256 IS NOT NULL;
-- A user's uploads, and the sweep's "old enough" range.
CREATE INDEX files_uploader_idx ON files (uploader_id, id);
CREATE INDEX files_created_idx ON files (created_at);

-- Bytes each user's uploads take, checked against the quota by the one
-- statement that adds to it: its row lock serialises a user's concurrent
-- uploads, so together they cannot overshoot.
CREATE TABLE user_storage (
    user_id    bigint NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bytes_used bigint NOT NULL DEFAULT 0 CHECK (bytes_used >= 0)
);

-- The files a message carries, in order. Per room, so it leads with room_id
-- and goes wherever the room's messages go. Deleting the message row (never
-- done by chat itself: a delete makes a tombstone and removes these rows)
-- cascades.
CREATE TABLE message_attachments (
    room_id    bigint   NOT NULL,
    message_id bigint   NOT NULL,
    position   smallint NOT NULL CHECK (position BETWEEN 0 AND 9),
    file_id    bigint   NOT NULL REFERENCES files (id),
    PRIMARY KEY (room_id, message_id, position),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);
-- Who may download a file: the rooms whose messages carry it. Not unique,
-- so it need not lead with room_id; distributed, it is a lookup over all
-- shards, made once per download.
CREATE INDEX message_attachments_file_idx ON message_attachments (file_id, room_id);

-- Avatars: an uploaded image each, shown through its thumbnail. Setting one
-- keeps the file from the sweep; clearing it lets the sweep have it.
ALTER TABLE users ADD COLUMN avatar_file_id bigint REFERENCES files (id) ON DELETE SET NULL;
ALTER TABLE rooms ADD COLUMN avatar_file_id bigint REFERENCES files (id) ON DELETE SET NULL;
CREATE INDEX users_avatar_idx ON users (avatar_file_id) WHERE avatar_file_id IS NOT NULL;
CREATE INDEX rooms_avatar_idx ON rooms (avatar_file_id) WHERE avatar_file_id IS NOT NULL;
