package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew is returned by Open for a database whose schema was written
// by a newer Drawbridge: running older code against it could corrupt it.
var ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this build")

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// migrate applies the migrations db has not seen, in order.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return fmt.Errorf("%w: database is at version %d, this build knows up to %d; run a newer Drawbridge",
			ErrSchemaTooNew, current, latest)
	}
	for _, m := range ms {
		if m.version > current {
			if err := apply(ctx, db, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return v, nil
}

// apply runs one migration in its own transaction. It checks the version
// again under the write lock, since another process may have migrated the
// file since migrate looked.
func apply(ctx context.Context, db *sql.DB, m migration) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		current, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if current >= m.version {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("sqlite: record migration %s: %w", m.name, err)
		}
		return nil
	})
}

// loadMigrations reads NNNN_name.sql files; versions must run 1, 2, 3, ...
// so that a missing or doubled file fails every Open, not just some.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list migrations: %w", err)
	}
	ms := make([]migration, 0, len(names))
	for i, name := range names { // Glob sorts, and versions are zero-padded
		m, err := readMigration(fsys, name)
		if err != nil {
			return nil, err
		}
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s: want version %d", m.name, i+1)
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, errors.New("sqlite: no migrations embedded")
	}
	return ms, nil
}

func readMigration(fsys fs.FS, name string) (migration, error) {
	base := path.Base(name)
	prefix, _, ok := strings.Cut(base, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || len(prefix) != 4 {
		return migration{}, fmt.Errorf("sqlite: migration %s: name must be NNNN_name.sql", base)
	}
	text, err := fs.ReadFile(fsys, name)
	if err != nil {
		return migration{}, fmt.Errorf("sqlite: read migration %s: %w", base, err)
	}
	return migration{version: version, name: base, sql: string(text)}, nil
}
