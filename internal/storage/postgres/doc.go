// Package postgres is Drawbridge's shared storage backend: several replicas
// behind a load balancer keep their state in one PostgreSQL database. It
// implements storage.Store on github.com/jackc/pgx/v5 through a pgxpool
// connection pool (see Options for its limits).
//
// The SQL it runs is package sqlstore's, shared with the sqlite backend;
// this package connects, describes PostgreSQL to sqlstore (an Engine: row
// locks with FOR UPDATE, an advisory lock for audit appends, TEXT[] lists),
// and keeps what is PostgreSQL's own: the transaction runner that retries
// a deadlock victim, migrating under an advisory lock, and DeleteExpired.
//
// # Atomicity across replicas
//
// Every operation that reads and then writes does so in one READ COMMITTED
// transaction that locks what it reads, or in one statement that PostgreSQL
// makes atomic by itself:
//
//   - RedeemAuthCode: UPDATE ... SET used_at WHERE used_at IS NULL
//     RETURNING; the row lock decides the single winner, and a loser's
//     UPDATE waits for the winner's grant to be committed with the code.
//   - RotateRefreshToken, RevokeGrant: SELECT ... FOR UPDATE on the grant,
//     then on the token; rotations of one grant run one at a time, and
//     Rotation.Decide (with the caller's Rotation.Check) decides under
//     those locks.
//   - UpdateClient, UpdateAuthRequest, UpsertConsent: SELECT ... FOR UPDATE,
//     the change (the caller's fn, or the consent merge) in Go, then UPDATE.
//   - UseOnce, PutSessionBinding: INSERT ... ON CONFLICT DO UPDATE ... WHERE
//     the old row has expired.
//   - DeleteExpired: one transaction, taken by one replica at a time through
//     pg_try_advisory_xact_lock; the others skip their sweep.
//   - AppendAudit: pg_advisory_xact_lock, so appends from all replicas form
//     one chain.
//
// A grant's row is always locked before its refresh tokens (rotation,
// revocation, the sweep of dead grants), so the races that matter cannot
// deadlock. Corner cases remain, such as a sweep deleting expired tokens
// that a rotation on a replica with a slower clock still uses; should
// PostgreSQL abort a transaction for a deadlock or a serialization failure,
// it is run again, a few times at most, and an Update's fn then runs again
// too, on the row as it then is.
//
// # Schema
//
// The schema is versioned by the numbered SQL files embedded from
// migrations/. Open applies the ones the database has not seen, each in its
// own transaction and recorded in schema_migrations, while holding an
// advisory lock, so that replicas starting together migrate exactly once.
// A database written by a newer Drawbridge is refused (ErrSchemaTooNew).
// Tables are created in the first schema of the connection's search_path.
//
// Times are BIGINT Unix nanoseconds in UTC, NULL for the zero time, because
// TIMESTAMPTZ keeps only microseconds and the Store keeps nanoseconds; a
// time outside the years 1678–2262 is clamped to that range, which keeps
// expiry comparisons right. Lists are TEXT[], identities JSONB, and opaque
// bytes (sealed secrets, client metadata as sent) BYTEA. PostgreSQL text
// cannot hold a NUL character or invalid UTF-8, so strings with them are
// refused with an error rather than stored.
//
// # Errors
//
// Errors wrap the storage sentinels. They name clients, grants and signing
// keys by ID, and nothing else by key: codes and refresh tokens are known
// only by hash, and request and session IDs may be bearer handles. Neither
// the DSN nor a password ever appears in them. A failed or unreachable
// server gives an error, never a hang: every call is bounded by its context,
// and dialling by Options.ConnectTimeout.
package postgres
