-- Sign-in sessions of the web console (ConsoleSessionStore), by the hash
-- of the cookie value.

CREATE TABLE console_sessions (
	hash       TEXT PRIMARY KEY,
	grant_id   TEXT NOT NULL,
	identity   TEXT NOT NULL,
	created_at INTEGER,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
