-- The event log's references are guaranteed where events are written and
-- guarded where rows are deleted, instead of being re-checked per insert.
--
-- Every room_events row is inserted by a statement that first bumps its
-- room's seq (an UPDATE of the room row, which must exist and stays locked
-- until commit), and a message event by the same statement that inserts the
-- message (from its RETURNING) or by the transaction that updates it (and
-- rolls back when the message is missing). The two foreign keys from
-- room_events only re-read rows that statement had just written or locked:
-- two referential checks per sent message, about a tenth of a send's
-- database work (docs/benchmarks.md). The offline check behind
-- `chatctl backup verify` (store::stats::event_log_problems) reports any
-- event whose room or message is missing.
--
-- chat itself never deletes rooms or messages. An operator in psql might, so
-- the old behaviour on delete stays: deleting a room deletes its log, and a
-- message the log points at cannot be deleted on its own.
ALTER TABLE room_events
    DROP CONSTRAINT room_events_room_id_fkey,
    DROP CONSTRAINT room_events_room_id_message_id_fkey;

CREATE FUNCTION room_events_delete_with_room() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM room_events WHERE room_id = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER room_events_delete_with_room
    AFTER DELETE ON rooms
    FOR EACH ROW EXECUTE FUNCTION room_events_delete_with_room();

-- A message goes only with its room (the rooms -> messages cascade runs
-- after the room row is gone, so the room lookup lets it through).
CREATE FUNCTION messages_keep_logged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM rooms WHERE id = OLD.room_id)
       AND EXISTS (SELECT 1 FROM room_events
                   WHERE room_id = OLD.room_id AND message_id = OLD.id) THEN
        RAISE EXCEPTION 'message % of room % is in the room''s event log', OLD.id, OLD.room_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER messages_keep_logged
    BEFORE DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_keep_logged();
