// Package sqlite is Drawbridge's embedded storage backend: the default for a
// single instance, kept in one file next to the binary's other state. It
// implements storage.Store on modernc.org/sqlite, a pure-Go SQLite, so the
// binary needs no cgo.
//
// The SQL it runs is package sqlstore's, shared with the postgres backend;
// this package opens the file, describes SQLite to sqlstore (an Engine), and
// keeps what is SQLite's own: the connection pools, the write transaction,
// the migration runner's use of the write lock, and DeleteExpired.
//
// SQLite allows one writer at a time. Rather than let writers spin on
// SQLITE_BUSY, the Store keeps two pools over the same file: a single
// connection for writes, where writers queue in Go, and a few read-only
// connections that WAL mode lets run beside the writer. Every write
// transaction begins IMMEDIATE, taking the write lock before its first read,
// so a read-then-write (rotating a refresh token, updating a client) cannot
// be overtaken by another process sharing the file; no row needs a lock of
// its own (sqlstore.Engine.ForUpdate is empty), and audit appends are
// serialised already.
//
// The write transactions that queue while one commits are committed
// together (group commit, group.go): one SQLite transaction, a savepoint
// per member so that each fails alone, and one fsync for the lot, with
// synchronous=FULL as before. Each caller returns once the commit that
// holds its changes is on disk.
//
// The shared SQL writes placeholders as $1, $2, ...; SQLite reads those as
// named parameters, resolved one by one when a statement is prepared, so the
// querier rewrites them to positional ? (placeholders.go).
//
// The schema is versioned by the numbered SQL files embedded from migrations/.
// Open applies the ones a database has not seen yet, each in its own
// transaction that checks the version again under the write lock, and
// refuses a database written by a newer Drawbridge.
//
// Times are stored as INTEGER Unix nanoseconds in UTC, NULL for the zero time;
// a time outside the years 1678–2262 is clamped to that range, which keeps
// expiry comparisons right. Lists are JSON arrays and identities JSON objects
// in TEXT columns.
//
// Errors wrap the storage sentinels. They name clients, grants and signing
// keys by ID, and nothing else by key: codes and refresh tokens are known
// only by hash, and request and session IDs may be bearer handles.
package sqlite
