-- The audit trail (storage.AuditStore): append-only, hash-chained. Payloads
-- and hashes are BYTEA: the payload is kept byte for byte as it was sealed.

CREATE TABLE audit (
	seq       BIGINT PRIMARY KEY,
	time      BIGINT NOT NULL,
	type      TEXT NOT NULL,
	subject   TEXT COLLATE "C" NOT NULL,
	client_id TEXT COLLATE "C" NOT NULL,
	server    TEXT NOT NULL,
	name      TEXT NOT NULL,
	payload   BYTEA NOT NULL,
	key_id    TEXT NOT NULL,
	prev_hash BYTEA NOT NULL,
	hash      BYTEA NOT NULL
);

CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_subject ON audit (subject, time);
CREATE INDEX audit_client_id ON audit (client_id, time);
