package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// ErrSchemaTooNew is returned by Open for a database whose schema was written
// by a newer Drawbridge: running older code against it could corrupt it.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Advisory lock keys, derived from names so that they cannot collide with
// each other and are unlikely to collide with another application's in a
// shared database. Advisory locks are per database.
var (
	migrateLockKey = lockKey("drawbridge/storage/postgres: migrate")
	gcLockKey      = lockKey("drawbridge/storage/postgres: delete expired")
	auditLockKey   = lockKey("drawbridge/storage/postgres: append audit")
)

func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// loadMigrations reads the migrations embedded in the binary.
func loadMigrations() ([]sqlstore.Migration, error) {
	ms, err := sqlstore.LoadMigrations(migrationFiles)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// migrate applies the migrations the database has not seen, in order. It
// holds a session advisory lock throughout, on one connection, so that
// replicas starting together migrate one after another: the first applies
// everything, the rest find nothing left to do. (Even CREATE TABLE IF NOT
// EXISTS can fail when two sessions run it at once, so the lock is taken
// before anything else.)
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
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

// migrateLocked migrates on conn, which holds the migration lock.
func migrateLocked(ctx context.Context, conn *pgxpool.Conn, ms []sqlstore.Migration) error {
	return sqlstore.Migrate(ctx, "postgres", querier{conn}, createMigrationsTable, ms, func(m sqlstore.Migration) error {
		return apply(ctx, conn, m)
	})
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

// apply runs one migration and records it in one transaction, so that a
// failed migration leaves no trace and is retried whole by the next Open.
// The primary key on version backs up the lock: a second recording fails.
func apply(ctx context.Context, conn *pgxpool.Conn, m sqlstore.Migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		if err != nil {
			return fmt.Errorf("postgres: record migration %s: %w", m.Name, err)
		}
		return nil
	})
}
