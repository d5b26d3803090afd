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

ALTER TABLE consents ADD COLUMN approved JSONB;

UPDATE consents SET approved = jsonb_build_object(resources[1], to_jsonb(scopes))
WHERE cardinality(resources) = 1 AND resources[1] IS NOT NULL;

DELETE FROM consents WHERE approved IS NULL;

ALTER TABLE consents
	ALTER COLUMN approved SET NOT NULL,
	DROP COLUMN scopes,
	DROP COLUMN resources;
