-- Grant lists come a page at a time, in the order of (creation time, id),
-- a missing creation time counting as the oldest. These indexes hold that
-- order, whole and per user and per client, so that a page is read from
-- the index instead of sorting every matching grant. The expression must
-- stay exactly the one the queries use. They replace the single-column
-- indexes on subject and client_id, of which they are an extension.

DROP INDEX grants_subject;
DROP INDEX grants_client_id;
CREATE INDEX grants_order ON grants (coalesce(created_at, -9223372036854775808), id);
CREATE INDEX grants_subject_order ON grants (subject, coalesce(created_at, -9223372036854775808), id);
CREATE INDEX grants_client_order ON grants (client_id, coalesce(created_at, -9223372036854775808), id);
