-- chat: the initial schema.
--
-- Scale-out rule: every hot table (memberships, messages, room_events) leads
-- its primary key and indexes with room_id, and no query joins across rooms,
-- so the data can later be distributed by room without a redesign. users and
-- sessions are small reference tables.
--
-- Never edit a migration that has been applied anywhere: add a new one.

-- Trigram indexes let search find substrings of URLs and identifiers that the
-- word-based full-text index splits apart. pg_trgm is a trusted extension, so
-- a database owner can create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored lowercased; the check keeps every writer honest.
    username      text        NOT NULL CHECK (username = lower(username)),
    -- argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
    password_hash text        NOT NULL,
    display_name  text        NOT NULL,
    bio           text        NOT NULL DEFAULT '',
    role          text        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness even if a future writer forgets to lowercase.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token. The token itself is never stored, so a
    -- leaked database does not hand out live sessions.
    token_hash   bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Absolute expiry; idle expiry is checked against last_seen_at.
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE rooms (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('room', 'direct')),
    name        text        NOT NULL,
    topic       text        NOT NULL DEFAULT '',
    visibility  text        NOT NULL CHECK (visibility IN ('public', 'private')),
    -- The room's event counter. Appending an event increments it with
    -- UPDATE ... RETURNING; the row lock that takes is held until commit, so
    -- the next writer in the room waits and seq order equals commit order.
    latest_seq  bigint      NOT NULL DEFAULT 0,
    -- The two participants of a direct room, lower id first.
    dm_low      bigint      REFERENCES users (id) ON DELETE CASCADE,
    dm_high     bigint      REFERENCES users (id) ON DELETE CASCADE,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'direct') = (dm_low IS NOT NULL AND dm_high IS NOT NULL)),
    CHECK (dm_low < dm_high),
    CHECK (kind = 'room' OR visibility = 'private')
);
-- One direct room per pair of users.
CREATE UNIQUE INDEX rooms_direct_pair_key ON rooms (dm_low, dm_high) WHERE kind = 'direct';
CREATE INDEX rooms_public_idx ON rooms (id) WHERE visibility = 'public' AND archived_at IS NULL;

CREATE TABLE memberships (
    room_id   bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      text        NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    -- Read marker: the highest seq the member has seen. Only moves forward.
    read_seq  bigint      NOT NULL DEFAULT 0,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);
-- "Which rooms am I in" is the other common direction.
CREATE INDEX memberships_user_idx ON memberships (user_id, room_id);

CREATE TABLE messages (
    room_id    bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    -- The seq of the message.created event that introduced the message.
    seq        bigint      NOT NULL,
    author_id  bigint      NOT NULL REFERENCES users (id),
    -- Empty once deleted: a tombstone keeps its place but not its text.
    body       text        NOT NULL,
    -- Idempotency key chosen by the client; a retry finds the original.
    client_id  text,
    reply_to   bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at  timestamptz,
    deleted_at timestamptz,
    -- Word search with the 'simple' configuration: no stemming and no stop
    -- words, so names, code and short words are found as typed.
    search     tsvector    GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
    PRIMARY KEY (room_id, id),
    UNIQUE (room_id, seq),
    -- Durable dedupe of retried sends. NULL client_ids never collide.
    UNIQUE (room_id, author_id, client_id),
    FOREIGN KEY (room_id, reply_to) REFERENCES messages (room_id, id)
);
CREATE INDEX messages_search_idx ON messages USING gin (search);
CREATE INDEX messages_body_trgm_idx ON messages USING gin (body gin_trgm_ops);

-- The per-room event log: everything that happened in a room, in seq order.
-- Message events point at the message row, so the log always shows a
-- message's current state (edits applied, deleted text gone).
CREATE TABLE room_events (
    room_id    bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        bigint      NOT NULL,
    kind       text        NOT NULL CHECK (kind IN (
                   'message.created', 'message.updated', 'message.deleted',
                   'member.joined', 'member.left', 'room.updated')),
    message_id bigint,
    user_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
    -- Kind-specific details that are not rows elsewhere (room.updated).
    data       jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, seq),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id)
);
