-- A message row's references are guaranteed by the statement that inserts
-- it instead of being re-checked per row (issue 22: sends into one room
-- over REST). Every message is inserted by a send statement that finds its
-- author's membership of the room (a membership cannot outlive its room or
-- its person) and that holds the room's row locked from its seq bump to
-- the commit; a reply's parent is found by the same statement in the same
-- room, and a message is never deleted except with its room (V4). The
-- three foreign keys only re-read those rows: a referential query per key
-- and per message, which also locked the author's row (a WAL record each).
-- Measured with `scripts/bench --only rest`: about 35 us of PostgreSQL CPU
-- per send (docs/benchmarks.md).
--
-- chat itself never deletes rooms, messages or people. An operator in psql
-- might, so the old behaviour on delete stays, by triggers: a room's
-- messages go with it, and a person who wrote messages cannot be deleted.
-- (A person deleted by hand while a send of theirs is committing could
-- leave that message without its author: `chatctl backup verify` reports
-- a message whose room, author or parent is missing,
-- store::stats::event_log_problems.)
ALTER TABLE messages
    DROP CONSTRAINT messages_room_id_fkey,
    DROP CONSTRAINT messages_author_id_fkey,
    DROP CONSTRAINT messages_room_id_reply_to_fkey;

CREATE FUNCTION messages_delete_with_room() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM messages WHERE room_id = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_delete_with_room
    AFTER DELETE ON rooms
    FOR EACH ROW EXECUTE FUNCTION messages_delete_with_room();

CREATE FUNCTION messages_keep_author() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM messages WHERE author_id = OLD.id) THEN
        RAISE EXCEPTION 'user % wrote messages, which would lose their author', OLD.id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER messages_keep_author
    BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION messages_keep_author();
