-- MCP sessions bound to the subject that opened them (Store.PutSessionBinding).

CREATE TABLE session_bindings (
	key        TEXT PRIMARY KEY,
	subject    TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	server     TEXT NOT NULL,
	target     TEXT NOT NULL,
	created_at INTEGER,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX session_bindings_expires_at ON session_bindings (expires_at);
