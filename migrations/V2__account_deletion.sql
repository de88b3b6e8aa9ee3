-- Account deletion by an administrator (`chatctl user delete`).
--
-- A deleted account stays as a tombstone row so the messages it wrote keep a
-- valid author: the row is renamed to `~deleted-<id>` (a name no one can
-- register, since `~` is not allowed in usernames), loses its password and
-- profile, and is disabled. deleted_at says when that happened.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
