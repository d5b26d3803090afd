-- The audit trail (storage.AuditStore): append-only, hash-chained.

CREATE TABLE audit (
	seq       INTEGER PRIMARY KEY,
	time      INTEGER NOT NULL,
	type      TEXT NOT NULL,
	subject   TEXT NOT NULL,
	client_id TEXT NOT NULL,
	server    TEXT NOT NULL,
	name      TEXT NOT NULL,
	payload   BLOB NOT NULL,
	key_id    TEXT NOT NULL,
	prev_hash BLOB NOT NULL,
	hash      BLOB NOT NULL
) STRICT;

CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_subject ON audit (subject, time);
CREATE INDEX audit_client_id ON audit (client_id, time);
