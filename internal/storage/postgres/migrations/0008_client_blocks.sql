-- Administrators block clients known by a client ID metadata document
-- (CIMD): such clients are not stored, so they cannot be disabled like a
-- registered one. A block names one client_id URL (kind 'client_id') or a
-- host (kind 'host': every client_id URL on that host, any port, not its
-- subdomains), in the form the authorization server compares it.

CREATE TABLE client_blocks (
	kind       TEXT COLLATE "C" NOT NULL,
	value      TEXT COLLATE "C" NOT NULL,
	reason     TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT,
	PRIMARY KEY (kind, value)
);
