-- Sign-in sessions of the web console (ConsoleSessionStore), by the hash
-- of the cookie value.

CREATE TABLE console_sessions (
	hash       TEXT COLLATE "C" PRIMARY KEY,
	grant_id   TEXT COLLATE "C" NOT NULL,
	identity   JSONB NOT NULL,
	created_at BIGINT,
	expires_at BIGINT NOT NULL
);

CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
