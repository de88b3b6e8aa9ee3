-- Accounts an administrator exempts from the per-user rate limits on
-- sending and on opening WebSockets (`chatctl user ratelimit-exempt NAME on`),
-- typically bots. Per-address limits on logins and sign-ups still apply.
ALTER TABLE users ADD COLUMN rate_limit_exempt boolean NOT NULL DEFAULT false;
