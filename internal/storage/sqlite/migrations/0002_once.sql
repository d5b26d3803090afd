-- Single-use markers (Store.UseOnce): JWT assertion ids and the like.

CREATE TABLE once (
	key        TEXT PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX once_expires_at ON once (expires_at);
