// Package sqlite is Drawbridge's embedded storage backend: the default for a
// single instance, kept in one file next to the binary's other state. It
// implements storage.Store on modernc.org/sqlite, a pure-Go SQLite, so the
// binary needs no cgo.
//
// SQLite allows one writer at a time. Rather than let writers spin on
// SQLITE_BUSY, the Store keeps two pools over the same file: a single
// connection for writes, where writers queue in Go, and a few read-only
// connections that WAL mode lets run beside the writer. Every write
// transaction begins IMMEDIATE, taking the write lock before its first read,
// so a read-then-write (consuming a code, rotating a refresh token) cannot be
// overtaken by another process sharing the file.
//
// The schema is versioned by the numbered SQL files embedded from migrations/.
// Open applies the ones a database has not seen yet, each in its own
// transaction, and refuses a database written by a newer Drawbridge.
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
