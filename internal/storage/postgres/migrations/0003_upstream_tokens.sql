-- The upstream-token vault: an authorization request remembers the upstream
-- session of its sign-in, so that the code and then the grant can name it.

ALTER TABLE auth_requests ADD COLUMN upstream_session_id TEXT NOT NULL DEFAULT '';
