-- The first schema: the tables of the SQLite backend, in PostgreSQL's types.
--
-- Times are BIGINT Unix nanoseconds (UTC), not TIMESTAMPTZ, which keeps only
-- microseconds; NULL is Go's zero time, so that "never" (a zero ExpiresAt)
-- never compares as expired. Short-lived rows require an expiry: a missing
-- one is a caller bug and is refused here. Lists of strings are TEXT[] (never
-- NULL; order kept); identities are storage.Identity as JSONB; opaque bytes
-- are BYTEA, NULL when empty. Keys are COLLATE "C": byte order, as SQLite
-- sorts, and the cheapest comparison for hashes and random IDs. Client IDs
-- are not foreign keys: clients from the configuration file are not stored
-- here.

CREATE TABLE clients (
	id                         TEXT COLLATE "C" PRIMARY KEY,
	secret_hash                TEXT NOT NULL,
	name                       TEXT NOT NULL,
	redirect_uris              TEXT[] NOT NULL,
	grant_types                TEXT[] NOT NULL,
	response_types             TEXT[] NOT NULL,
	token_endpoint_auth_method TEXT NOT NULL,
	application_type           TEXT NOT NULL,
	scope                      TEXT NOT NULL,
	kind                       TEXT NOT NULL,
	metadata                   BYTEA, -- as the client sent it, byte for byte: not JSONB
	disabled                   BOOLEAN NOT NULL,
	created_at                 BIGINT,
	last_used_at               BIGINT,
	expires_at                 BIGINT
);

CREATE INDEX clients_expires_at ON clients (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE consents (
	subject    TEXT COLLATE "C" NOT NULL,
	client_id  TEXT COLLATE "C" NOT NULL,
	scopes     TEXT[] NOT NULL,
	resources  TEXT[] NOT NULL,
	created_at BIGINT,
	updated_at BIGINT,
	PRIMARY KEY (subject, client_id)
);

CREATE TABLE auth_requests (
	id             TEXT COLLATE "C" PRIMARY KEY,
	client_id      TEXT NOT NULL,
	redirect_uri   TEXT NOT NULL,
	state          TEXT NOT NULL,
	scopes         TEXT[] NOT NULL,
	resource       TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	browser_hash   TEXT NOT NULL,
	upstream_state TEXT NOT NULL,
	upstream_nonce TEXT NOT NULL,
	identity       JSONB, -- NULL until the user has signed in
	auth_time      BIGINT,
	created_at     BIGINT,
	expires_at     BIGINT NOT NULL
);

CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

CREATE TABLE auth_codes (
	hash                TEXT COLLATE "C" PRIMARY KEY,
	client_id           TEXT NOT NULL,
	redirect_uri        TEXT NOT NULL,
	code_challenge      TEXT NOT NULL,
	resource            TEXT NOT NULL,
	scopes              TEXT[] NOT NULL,
	identity            JSONB NOT NULL,
	auth_time           BIGINT,
	grant_id            TEXT NOT NULL,
	upstream_session_id TEXT NOT NULL,
	created_at          BIGINT,
	expires_at          BIGINT NOT NULL,
	used_at             BIGINT -- NULL until redeemed; never NULL after
);

CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE grants (
	id                  TEXT COLLATE "C" PRIMARY KEY,
	client_id           TEXT COLLATE "C" NOT NULL,
	subject             TEXT COLLATE "C" NOT NULL, -- copied out of identity for ListGrants
	identity            JSONB NOT NULL,
	scopes              TEXT[] NOT NULL,
	resource            TEXT NOT NULL,
	upstream_session_id TEXT NOT NULL,
	auth_time           BIGINT,
	created_at          BIGINT,
	last_used_at        BIGINT,
	expires_at          BIGINT,
	revoked_at          BIGINT,
	revoke_reason       TEXT NOT NULL
);

CREATE INDEX grants_subject ON grants (subject);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_expires_at ON grants (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX grants_revoked_at ON grants (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE refresh_tokens (
	hash        TEXT COLLATE "C" PRIMARY KEY,
	grant_id    TEXT COLLATE "C" NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
	created_at  BIGINT,
	expires_at  BIGINT NOT NULL,
	rotated_at  BIGINT,
	replaced_by TEXT COLLATE "C" NOT NULL
);

CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE upstream_sessions (
	id         TEXT COLLATE "C" PRIMARY KEY,
	subject    TEXT NOT NULL,
	provider   TEXT NOT NULL,
	sealed     BYTEA,
	created_at BIGINT,
	updated_at BIGINT,
	expires_at BIGINT NOT NULL
);

CREATE INDEX upstream_sessions_expires_at ON upstream_sessions (expires_at);

CREATE TABLE signing_keys (
	id             TEXT COLLATE "C" PRIMARY KEY,
	algorithm      TEXT NOT NULL,
	private_sealed BYTEA,
	public_jwk     BYTEA,
	created_at     BIGINT,
	not_after      BIGINT,
	expires_at     BIGINT
);

-- Single-use markers (Store.UseOnce): JWT assertion ids and the like.
CREATE TABLE once (
	key        TEXT COLLATE "C" PRIMARY KEY,
	expires_at BIGINT NOT NULL
);

CREATE INDEX once_expires_at ON once (expires_at);

-- MCP sessions bound to the subject that opened them (Store.PutSessionBinding).
CREATE TABLE session_bindings (
	key        TEXT COLLATE "C" PRIMARY KEY,
	subject    TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	server     TEXT NOT NULL,
	target     TEXT NOT NULL,
	created_at BIGINT,
	expires_at BIGINT NOT NULL
);

CREATE INDEX session_bindings_expires_at ON session_bindings (expires_at);
