-- Consent becomes per resource. A consent row used to hold one list of
-- scopes and one list of resources (MCP servers), merged separately, so a
-- scope approved for one server counted as approved for every other server
-- of the row. The new column holds, per resource, the scopes approved for
-- that resource: a JSON object {"<resource URL>": ["scope", ...]}.
--
-- Old rows are carried over only where their meaning is certain, so that no
-- row grants more on any resource than the user approved there:
--   - a row with exactly one resource: every scope in it was approved for
--     that resource, and is kept for it;
--   - a row with several resources: which scope was approved for which
--     server cannot be told (offline_access, or a scope name two servers
--     share, may have been approved for one of them only), and no subset of
--     its scopes is certain for any one resource, so the row is dropped;
--   - a row with no resource approved nothing usable, and is dropped.
-- A dropped row costs its user one more consent page at the next
-- authorization; grants and tokens are not touched (each grant keeps its own
-- resource and scopes).

CREATE TABLE consents_per_resource (
	subject    TEXT NOT NULL,
	client_id  TEXT NOT NULL,
	approved   TEXT NOT NULL,
	created_at INTEGER,
	updated_at INTEGER,
	PRIMARY KEY (subject, client_id)
) STRICT, WITHOUT ROWID;

INSERT INTO consents_per_resource (subject, client_id, approved, created_at, updated_at)
SELECT subject, client_id, json_object(json_extract(resources, '$[0]'), json(scopes)), created_at, updated_at
FROM consents
WHERE json_array_length(resources) = 1 AND json_type(resources, '$[0]') = 'text';

DROP TABLE consents;
ALTER TABLE consents_per_resource RENAME TO consents;
