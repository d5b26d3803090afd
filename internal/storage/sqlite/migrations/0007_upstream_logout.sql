-- Back-channel logout (OIDC Back-Channel Logout 1.0): a grant keeps the
-- upstream provider's sub and sid of its sign-in (also inside identity),
-- so that a logout token naming either finds it. Grants made before this
-- have neither and are ended by the refresh path only.

ALTER TABLE grants ADD COLUMN upstream_sub TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN upstream_sid TEXT NOT NULL DEFAULT '';

CREATE INDEX grants_upstream_sub ON grants (upstream_sub) WHERE upstream_sub <> '';
CREATE INDEX grants_upstream_sid ON grants (upstream_sid) WHERE upstream_sid <> '';
