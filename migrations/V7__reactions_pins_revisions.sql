-- Reactions, pins and edit history (issue 15, first slice).
--
-- All three hang off one message and are read with it, so each leads its
-- key with (room_id, message_id): a message's reactions, its pin and its
-- earlier texts are one index range of one room, and the data still
-- distributes by room.
--
-- Each row refers to its message with ON DELETE CASCADE. chat itself never
-- deletes a message row (a delete makes a tombstone and erases these rows
-- in the same transaction, store::messages::delete); the cascade keeps an
-- operator's DELETE in psql from leaving orphans behind.
--
-- Reactions and pins remember the seq of the event that made them: writers
-- of a room are serialised by its seq row lock, so seq order is the order
-- they happened in, without ties (timestamps of one transaction are equal).

CREATE TABLE reactions (
    room_id    bigint      NOT NULL,
    message_id bigint      NOT NULL,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NFC-normalised: one emoji grapheme cluster or a :short_name:.
    emoji      text        NOT NULL CHECK (octet_length(emoji) BETWEEN 1 AND 64),
    -- The seq of the reaction.added event: first-reaction order.
    seq        bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, message_id, emoji, user_id),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);

CREATE TABLE pins (
    room_id    bigint      NOT NULL,
    message_id bigint      NOT NULL,
    pinned_by  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The seq of the message.pinned event: the pin list is newest first.
    seq        bigint      NOT NULL,
    pinned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, message_id),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);
-- The room's pin list, most recently pinned first.
CREATE INDEX pins_room_seq_idx ON pins (room_id, seq DESC);

-- The text a message had before each edit. Deleting the message erases
-- them: nothing of a deleted message's text stays in the database.
CREATE TABLE message_revisions (
    room_id    bigint      NOT NULL,
    message_id bigint      NOT NULL,
    -- The seq of the message.updated event that replaced this text.
    seq        bigint      NOT NULL,
    body       text        NOT NULL,
    -- When the edit that replaced this text was made.
    edited_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, message_id, seq),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);

-- The log takes the four new event kinds. A later migration that adds
-- kinds must list these too.
ALTER TABLE room_events DROP CONSTRAINT room_events_kind_check;
ALTER TABLE room_events ADD CONSTRAINT room_events_kind_check CHECK (kind IN (
    'message.created', 'message.updated', 'message.deleted',
    'member.joined', 'member.left', 'room.updated',
    'reaction.added', 'reaction.removed', 'message.pinned', 'message.unpinned'));
