package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// ErrSchemaTooNew is returned by Open for a database whose schema was written
// by a newer Drawbridge: running older code against it could corrupt it.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

//go:embed migrations/*.sql
var migrationFiles embed.FS

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// loadMigrations reads the migrations embedded in the binary.
func loadMigrations() ([]sqlstore.Migration, error) {
	ms, err := sqlstore.LoadMigrations(migrationFiles)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// migrate applies the migrations db has not seen, in order.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, "sqlite", querier{db}, createMigrationsTable, ms, func(m sqlstore.Migration) error {
		return apply(ctx, db, m)
	})
}

// apply runs one migration in its own transaction. It checks the version
// again under the write lock, since another process may have migrated the
// file since migrate looked.
func apply(ctx context.Context, db *sql.DB, m sqlstore.Migration) error {
	return inTx(ctx, db, func(tx *sql.Tx) error {
		current, err := sqlstore.SchemaVersion(ctx, querier{tx})
		if err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if current >= m.Version {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("sqlite: record migration %s: %w", m.Name, err)
		}
		return nil
	})
}
