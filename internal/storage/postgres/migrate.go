package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is returned by Open for a database whose schema was written
// by a newer Drawbridge: running older code against it could corrupt it.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this build")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys, derived from names so that they cannot collide with
// each other and are unlikely to collide with another application's in a
// shared database. Advisory locks are per database.
var (
	migrateLockKey = lockKey("drawbridge/storage/postgres: migrate")
	gcLockKey      = lockKey("drawbridge/storage/postgres: delete expired")
)

func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

type migration struct {
	version int
	name    string
	sql     string
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// migrate applies the migrations the database has not seen, in order. It
// holds a session advisory lock throughout, on one connection, so that
// replicas starting together migrate one after another: the first applies
// everything, the rest find nothing left to do. (Even CREATE TABLE IF NOT
// EXISTS can fail when two sessions run it at once, so the lock is taken
// before anything else.)
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		conn.Release()
		return fmt.Errorf("postgres: migrate: take lock: %w", err)
	}
	err = migrateLocked(ctx, conn, ms)
	unlock(ctx, conn, migrateLockKey)
	return err
}

// unlock releases a session advisory lock and returns the connection to the
// pool. If the unlock fails (ctx ended, the server went away) the connection
// is closed instead, since ending the session is what releases its locks.
func unlock(ctx context.Context, conn *pgxpool.Conn, key int64) {
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
		_ = conn.Hijack().Close(context.WithoutCancel(ctx))
		return
	}
	conn.Release()
}

func migrateLocked(ctx context.Context, conn *pgxpool.Conn, ms []migration) error {
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	var current int
	err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		return fmt.Errorf("postgres: read schema version: %w", err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return fmt.Errorf("%w: database is at version %d, this build knows up to %d; run a newer Drawbridge",
			ErrSchemaTooNew, current, latest)
	}
	for _, m := range ms[current:] {
		if err := apply(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration and records it in one transaction, so that a
// failed migration leaves no trace and is retried whole by the next Open.
// The primary key on version backs up the lock: a second recording fails.
func apply(ctx context.Context, conn *pgxpool.Conn, m migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name)
		if err != nil {
			return fmt.Errorf("postgres: record migration %s: %w", m.name, err)
		}
		return nil
	})
}

// loadMigrations reads NNNN_name.sql files; versions must run 1, 2, 3, ...
// so that a missing or doubled file fails every Open, not just some.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: list migrations: %w", err)
	}
	ms := make([]migration, 0, len(names))
	for i, name := range names { // Glob sorts, and versions are zero-padded
		m, err := readMigration(fsys, name)
		if err != nil {
			return nil, err
		}
		if m.version != i+1 {
			return nil, fmt.Errorf("postgres: migration %s: want version %d", m.name, i+1)
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, errors.New("postgres: no migrations embedded")
	}
	return ms, nil
}

func readMigration(fsys fs.FS, name string) (migration, error) {
	base := path.Base(name)
	prefix, _, ok := strings.Cut(base, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || len(prefix) != 4 {
		return migration{}, fmt.Errorf("postgres: migration %s: name must be NNNN_name.sql", base)
	}
	text, err := fs.ReadFile(fsys, name)
	if err != nil {
		return migration{}, fmt.Errorf("postgres: read migration %s: %w", base, err)
	}
	return migration{version: version, name: base, sql: string(text)}, nil
}
