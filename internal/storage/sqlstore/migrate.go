package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// ErrSchemaTooNew: the database's schema was written by a newer Drawbridge,
// and running older code against it could corrupt it.
var ErrSchemaTooNew = errors.New("database schema is newer than this build")

// Migration is one numbered schema change, read from NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads migrations/NNNN_name.sql from fsys; versions must run
// 1, 2, 3, ... so that a missing or doubled file fails every Open, not just
// some.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	ms := make([]Migration, 0, len(names))
	for i, name := range names { // Glob sorts, and versions are zero-padded
		m, err := readMigration(fsys, name)
		if err != nil {
			return nil, err
		}
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.Name, i+1)
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return ms, nil
}

func readMigration(fsys fs.FS, name string) (Migration, error) {
	base := path.Base(name)
	prefix, _, ok := strings.Cut(base, "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || len(prefix) != 4 {
		return Migration{}, fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
	}
	text, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Migration{}, fmt.Errorf("read migration %s: %w", base, err)
	}
	return Migration{Version: version, Name: base, SQL: string(text)}, nil
}

// SchemaVersion is the last migration recorded in schema_migrations, 0 for
// none.
func SchemaVersion(ctx context.Context, q Querier) (int, error) {
	var v int
	if err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Migrate brings a database's schema up to date: it makes sure
// schema_migrations exists (createTable), refuses a schema newer than ms
// knows (ErrSchemaTooNew), and calls apply for each migration the database
// has not seen, in order. apply runs one migration and records it in
// schema_migrations, in one transaction, so that a failed migration leaves
// no trace; its errors are returned as they are. The backend keeps other
// processes from migrating at the same time (or makes apply check again
// under its write lock). name begins Migrate's own error messages.
func Migrate(ctx context.Context, name string, q Querier, createTable string, ms []Migration,
	apply func(Migration) error) error {
	if _, err := q.Exec(ctx, createTable); err != nil {
		return fmt.Errorf("%s: migrate: %w", name, err)
	}
	current, err := SchemaVersion(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if latest := ms[len(ms)-1].Version; current > latest {
		return fmt.Errorf("%s: %w: database is at version %d, this build knows up to %d; run a newer Drawbridge",
			name, ErrSchemaTooNew, current, latest)
	}
	for _, m := range ms[current:] {
		if err := apply(m); err != nil {
			return err
		}
	}
	return nil
}
