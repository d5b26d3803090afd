-- Ended sign-ins (Store.EndSignIns): revoking a user's grants or an
-- upstream back-channel logout records when the sign-ins it names ended,
-- so that a sign-in made before, for an authorization still in progress,
-- makes no grant after. The key is the caller's hash of what it names
-- (a user, an upstream session or user); ended_at keeps the latest end.

CREATE TABLE ended_signins (
	key        TEXT COLLATE "C" PRIMARY KEY,
	ended_at   BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE INDEX ended_signins_expires_at ON ended_signins (expires_at);
