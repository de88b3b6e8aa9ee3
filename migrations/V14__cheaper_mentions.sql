-- Cheaper mentions (issue 22: no conversation feature may cost a send more
-- than 10 %). Every mention row is inserted by the send statement that
-- inserts its message, in the same room, for a member of that room found
-- by the same statement, so both foreign keys only re-read rows that
-- statement had just written or read. Each check is a referential query
-- per mention that also locks the message row and the mentioned person's
-- row (a lock record in the WAL for each).
--
-- chat itself never deletes rooms, messages or people. An operator in psql
-- might, so the old behaviour on delete stays, by triggers: a room's or a
-- person's mentions go with them (a message goes only with its room,
-- migration V4). `chatctl backup verify` reports a mention whose message
-- or person is missing (store::stats::event_log_problems).
ALTER TABLE mentions
    DROP CONSTRAINT mentions_user_id_fkey,
    DROP CONSTRAINT mentions_room_id_message_id_fkey;

CREATE FUNCTION mentions_delete_with_room() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mentions WHERE room_id = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER mentions_delete_with_room
    AFTER DELETE ON rooms
    FOR EACH ROW EXECUTE FUNCTION mentions_delete_with_room();

CREATE FUNCTION mentions_delete_with_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM mentions WHERE user_id = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER mentions_delete_with_user
    AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION mentions_delete_with_user();
