-- The first schema.
--
-- Times are INTEGER Unix nanoseconds (UTC); NULL is Go's zero time, so that
-- "never" (a zero ExpiresAt) never compares as expired. Short-lived rows
-- require an expiry: a missing one is a caller bug and is refused here.
-- Lists of strings are JSON arrays in TEXT; identities are storage.Identity
-- as a JSON object. Client IDs are not foreign keys: clients from the
-- configuration file are not stored here.

CREATE TABLE clients (
	id                         TEXT PRIMARY KEY,
	secret_hash                TEXT NOT NULL,
	name                       TEXT NOT NULL,
	redirect_uris              TEXT NOT NULL,
	grant_types                TEXT NOT NULL,
	response_types             TEXT NOT NULL,
	token_endpoint_auth_method TEXT NOT NULL,
	application_type           TEXT NOT NULL,
	scope                      TEXT NOT NULL,
	kind                       TEXT NOT NULL,
	metadata                   BLOB,
	disabled                   INTEGER NOT NULL,
	created_at                 INTEGER,
	last_used_at               INTEGER,
	expires_at                 INTEGER
) STRICT;

CREATE INDEX clients_expires_at ON clients (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE consents (
	subject    TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	scopes     TEXT NOT NULL,
	resources  TEXT NOT NULL,
	created_at INTEGER,
	updated_at INTEGER,
	PRIMARY KEY (subject, client_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE auth_requests (
	id             TEXT PRIMARY KEY,
	client_id      TEXT NOT NULL,
	redirect_uri   TEXT NOT NULL,
	state          TEXT NOT NULL,
	scopes         TEXT NOT NULL,
	resource       TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	browser_hash   TEXT NOT NULL,
	upstream_state TEXT NOT NULL,
	upstream_nonce TEXT NOT NULL,
	identity       TEXT, -- NULL until the user has signed in
	auth_time      INTEGER,
	created_at     INTEGER,
	expires_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

CREATE TABLE auth_codes (
	hash                TEXT PRIMARY KEY,
	client_id           TEXT NOT NULL,
	redirect_uri        TEXT NOT NULL,
	code_challenge      TEXT NOT NULL,
	resource            TEXT NOT NULL,
	scopes              TEXT NOT NULL,
	identity            TEXT NOT NULL,
	auth_time           INTEGER,
	grant_id            TEXT NOT NULL,
	upstream_session_id TEXT NOT NULL,
	created_at          INTEGER,
	expires_at          INTEGER NOT NULL,
	used_at             INTEGER
) STRICT;

CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE grants (
	id                  TEXT PRIMARY KEY,
	client_id           TEXT NOT NULL,
	subject             TEXT NOT NULL, -- copied out of identity for ListGrants
	identity            TEXT NOT NULL,
	scopes              TEXT NOT NULL,
	resource            TEXT NOT NULL,
	upstream_session_id TEXT NOT NULL,
	auth_time           INTEGER,
	created_at          INTEGER,
	last_used_at        INTEGER,
	expires_at          INTEGER,
	revoked_at          INTEGER,
	revoke_reason       TEXT NOT NULL
) STRICT;

CREATE INDEX grants_subject ON grants (subject);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_expires_at ON grants (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX grants_revoked_at ON grants (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE refresh_tokens (
	hash        TEXT PRIMARY KEY,
	grant_id    TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
	created_at  INTEGER,
	expires_at  INTEGER NOT NULL,
	rotated_at  INTEGER,
	replaced_by TEXT NOT NULL
) STRICT;

CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE upstream_sessions (
	id         TEXT PRIMARY KEY,
	subject    TEXT NOT NULL,
	provider   TEXT NOT NULL,
	sealed     BLOB,
	created_at INTEGER,
	updated_at INTEGER,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX upstream_sessions_expires_at ON upstream_sessions (expires_at);

CREATE TABLE signing_keys (
	id             TEXT PRIMARY KEY,
	algorithm      TEXT NOT NULL,
	private_sealed BLOB,
	public_jwk     BLOB,
	created_at     INTEGER,
	not_after      INTEGER,
	expires_at     INTEGER
) STRICT;
