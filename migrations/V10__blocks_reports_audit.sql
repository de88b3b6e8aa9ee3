-- People and moderation, second slice (issue 16): blocking, reports of
-- messages to the server's admins, and an append-only audit log.

-- A user blocks another: the blocked user cannot open or write in a
-- direct conversation with them, and their mentions of them do not count.
-- user_id is the one who blocks. The second index answers "who blocked
-- this user" (a sender's blockers) without a scan.
CREATE TABLE blocks (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, blocked_id),
    CHECK (user_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, user_id);

-- A member reports a message to the server's admins. The report refers to
-- the message and shows its text as it is now, never a copy: deleting the
-- message (which empties its body and erases its earlier texts) leaves
-- nothing of what it said anywhere in the database, reports included.
-- Rows cascade with their message only if an operator deletes message rows
-- by hand; chat itself never does.
CREATE TABLE reports (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id     bigint      NOT NULL,
    message_id  bigint      NOT NULL,
    -- NULL once the reporting account row is gone (accounts are normally
    -- only marked deleted, so this is rare).
    reporter_id bigint      REFERENCES users (id) ON DELETE SET NULL,
    reason      text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set together when an admin resolves the report.
    resolved_at timestamptz,
    resolved_by text,
    resolution  text        NOT NULL DEFAULT '',
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE,
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
-- A report names its message by id alone (POST /api/v1/reports takes
-- only message_id), so finding the message's room needs an index on id.
-- Ids only grow, so new entries land on the index's right edge.
CREATE INDEX messages_id_idx ON messages (id);
-- One report per reporter and message; the message's reports are one
-- range of its room.
CREATE UNIQUE INDEX reports_message_reporter_idx ON reports (room_id, message_id, reporter_id);
-- The admins' queue: open reports, oldest first.
CREATE INDEX reports_open_idx ON reports (id) WHERE resolved_at IS NULL;

-- Every administrative and moderation action, appended and never changed.
-- actor_id is the acting user (no foreign key: a row must outlive its
-- actor unchanged); NULL with actor_name 'chatctl' for the server's shell.
CREATE TABLE audit_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint,
    actor_name text        NOT NULL,
    action     text        NOT NULL,
    target     text        NOT NULL DEFAULT '',
    details    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Nothing rewrites the log: UPDATE, DELETE and TRUNCATE raise an error for
-- every role, superusers and the table's owner included (privileges do not
-- bind them; triggers do). ENABLE ALWAYS keeps the triggers firing under
-- session_replication_role = replica, which skips ordinary triggers.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_or_delete;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;
