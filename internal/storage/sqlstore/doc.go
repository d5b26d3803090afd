// Package sqlstore is the SQL that Drawbridge's two SQL backends, sqlite and
// postgres, share: one implementation of storage.Store's operations over
// either database, so that a rule (how a refresh token rotates, what a
// revocation deletes, how a page of grants is cut) is written once and
// checked by the conformance suite against both.
//
// A backend embeds *Store and describes its database in an Engine: where
// plain reads and single-statement writes go, how it runs a write
// transaction, and the few places where the dialects differ. Those are:
//
//   - Locking. A transaction that reads rows to change them ends its SELECT
//     with Engine.ForUpdate: " FOR UPDATE" in PostgreSQL, which locks rows
//     one by one; nothing in SQLite, whose write transactions begin
//     IMMEDIATE and hold the one write lock for the whole database. Audit
//     appends take Engine.AuditLock first where appends are not serialised
//     already (a PostgreSQL advisory lock).
//   - Lists of strings: TEXT[] in PostgreSQL, JSON arrays in SQLite
//     (Engine.List and Engine.ScanList).
//   - Drivers: each backend adapts its own (pgx, database/sql) to Querier,
//     and turns "no row" into storage.ErrNotFound.
//
// Placeholders are written $1, $2, ...: PostgreSQL's form, which SQLite
// reads as well (the sqlite backend hands SQLite positional ? instead,
// which it prepares faster). Everything else is the same SQL on both:
// times are BIGINT Unix nanoseconds, NULL for the zero time; identities and
// a consent's approvals JSON; opaque bytes BLOB or BYTEA.
//
// Reads and writes that race are made atomic in ways both engines honour:
// a conditional UPDATE ... RETURNING decides who consumes an authorization
// code; INSERT ... ON CONFLICT DO UPDATE ... WHERE makes UseOnce and session
// bindings first-writer-wins; every read-modify-write (an Update's fn, a
// consent merge, a rotation, a revocation) runs in Engine.InTx on rows read
// for update. A grant's row is always read before its refresh tokens, so
// rotations, revocations and sweeps of one grant take their PostgreSQL row
// locks in one order and cannot deadlock. The rotation's decision itself
// is storage.Rotation.Decide; this package only reads the rows under the
// lock and applies the step chosen.
//
// What stays in each backend is what the engines do differently by nature:
// opening the database, running a transaction (PostgreSQL retries a
// deadlock victim), migrating under a lock (Migrate runs the numbered files
// the backend embeds), and the sweep of dead grants in DeleteExpired
// (PostgreSQL locks them before their tokens; SQLite deletes them by a
// subquery). Errors begin with the engine's name, wrap the storage
// sentinels, and name clients, grants and signing keys by ID and nothing
// else by key: codes and refresh tokens are known only by hash, and request
// and session IDs may be bearer handles.
package sqlstore
