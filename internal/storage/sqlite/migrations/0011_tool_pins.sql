-- Tool definition pinning (package pinning): every definition of every
-- tool an MCP server has shown, by the SHA-256 of its canonical JSON, with
-- what was decided about it. name_key is the tool name as look-alikes
-- share it, so that a call's name finds every tool it could reach.

CREATE TABLE tool_pins (
	server        TEXT NOT NULL,
	tool          TEXT NOT NULL,
	hash          TEXT NOT NULL,
	name_key      TEXT NOT NULL,
	definition    BLOB,
	state         TEXT NOT NULL,
	reason        TEXT NOT NULL,
	first_seen_at INTEGER,
	seen_at       INTEGER,
	decided_by    TEXT NOT NULL,
	decided_at    INTEGER,
	PRIMARY KEY (server, tool, hash)
) STRICT, WITHOUT ROWID;

CREATE INDEX tool_pins_name_key ON tool_pins (server, name_key);
CREATE INDEX tool_pins_state ON tool_pins (state, server, tool);
