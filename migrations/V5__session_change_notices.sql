-- Every change that can end a login, or change who a login is, is announced
-- on the `chat_sessions` channel with the user's id as payload.
--
-- chatd keeps recently checked tokens in memory for a few seconds, so a
-- REST request does not cost a database round trip to authenticate, and
-- closes the WebSockets of sessions that stop counting. Both must learn at
-- once about a logout on another instance, `chatctl user disable` or an
-- UPDATE typed into psql, so the notice comes from the tables themselves,
-- not from each writer.
--
-- These NOTIFYs run inside the writing transaction, which takes
-- PostgreSQL's notify lock across its commit. That is fine here: logouts,
-- password changes and account administration are rare, and neither logins,
-- the once-a-minute last_seen_at refresh nor sending messages fire these
-- triggers (deleting an account does, in a transaction that also logs its
-- departure from rooms).

-- Identical notices in one transaction are delivered once, so revoking all
-- of a user's sessions sends one.
CREATE FUNCTION announce_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('chat_sessions', OLD.user_id::text);
    RETURN NULL;
END
$$;

CREATE FUNCTION announce_user_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('chat_sessions', OLD.id::text);
    RETURN NULL;
END
$$;

-- last_seen_at only counts when it goes back (by hand): chatd's own
-- refresh moves it forward and must stay quiet.
CREATE TRIGGER sessions_changed
    AFTER UPDATE OF revoked_at, expires_at, last_seen_at, user_id, token_hash ON sessions
    FOR EACH ROW
    WHEN ((OLD.revoked_at, OLD.expires_at, OLD.user_id, OLD.token_hash)
          IS DISTINCT FROM (NEW.revoked_at, NEW.expires_at, NEW.user_id, NEW.token_hash)
          OR NEW.last_seen_at < OLD.last_seen_at)
    EXECUTE FUNCTION announce_session_change();

CREATE TRIGGER sessions_deleted
    AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION announce_session_change();

CREATE TRIGGER users_changed
    AFTER UPDATE OF username, role, disabled, rate_limit_exempt, deleted_at ON users
    FOR EACH ROW
    WHEN ((OLD.username, OLD.role, OLD.disabled, OLD.rate_limit_exempt, OLD.deleted_at)
          IS DISTINCT FROM (NEW.username, NEW.role, NEW.disabled, NEW.rate_limit_exempt, NEW.deleted_at))
    EXECUTE FUNCTION announce_user_change();

-- TRUNCATE fires no row triggers; `*` tells listeners to forget everyone.
CREATE FUNCTION announce_all_sessions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('chat_sessions', '*');
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_truncated
    AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION announce_all_sessions_changed();

CREATE TRIGGER users_truncated
    AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION announce_all_sessions_changed();
