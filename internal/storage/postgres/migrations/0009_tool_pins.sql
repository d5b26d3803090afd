-- Tool definition pinning (package pinning): every definition of every
-- tool an MCP server has shown, by the SHA-256 of its canonical JSON, with
-- what was decided about it. name_key is the tool name as look-alikes
-- share it, so that a call's name finds every tool it could reach.

CREATE TABLE tool_pins (
	server        TEXT COLLATE "C" NOT NULL,
	tool          TEXT COLLATE "C" NOT NULL,
	hash          TEXT COLLATE "C" NOT NULL,
	name_key      TEXT COLLATE "C" NOT NULL,
	definition    BYTEA,
	state         TEXT COLLATE "C" NOT NULL,
	reason        TEXT NOT NULL,
	first_seen_at BIGINT,
	seen_at       BIGINT,
	decided_by    TEXT NOT NULL,
	decided_at    BIGINT,
	PRIMARY KEY (server, tool, hash)
);

CREATE INDEX tool_pins_name_key ON tool_pins (server, name_key);
CREATE INDEX tool_pins_state ON tool_pins (state, server, tool);
