package sqlstore

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := LoadMigrations(fstest.MapFS{
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER)")},
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER)")},
		"migrations/README":     {Data: []byte("not a migration")},
	})
	want := []Migration{{1, "0001_a.sql", "CREATE TABLE a (x INTEGER)"}, {2, "0002_b.sql", "CREATE TABLE b (x INTEGER)"}}
	if err != nil || !reflect.DeepEqual(ms, want) {
		t.Errorf("LoadMigrations = %v, %v; want %v", ms, err, want)
	}
}

func TestLoadMigrationsRejectsGaps(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"duplicate": {"migrations/0001_a.sql": {}, "migrations/0001_b.sql": {}},
		"bad name":  {"migrations/1_a.sql": {}},
		"none":      {},
	} {
		if _, err := LoadMigrations(fsys); err == nil {
			t.Errorf("%s: LoadMigrations accepted it", name)
		}
	}
}

// versionQuerier is a database whose schema is at version, for Migrate.
type versionQuerier struct {
	version int
	execs   []string
}

func (q *versionQuerier) Exec(_ context.Context, query string, _ ...any) (int64, error) {
	q.execs = append(q.execs, query)
	return 0, nil
}

func (q *versionQuerier) Query(context.Context, string, ...any) (Rows, error) {
	return nil, errors.New("no queries here")
}

func (q *versionQuerier) QueryRow(context.Context, string, ...any) Row { return versionRow{q.version} }

type versionRow struct{ version int }

func (r versionRow) Scan(dest ...any) error {
	*dest[0].(*int) = r.version
	return nil
}

func TestMigrate(t *testing.T) {
	ms := []Migration{{Version: 1, Name: "0001_a.sql"}, {Version: 2, Name: "0002_b.sql"}, {Version: 3, Name: "0003_c.sql"}}
	failed := errors.New("migration failed")
	for _, tc := range []struct {
		name      string
		version   int
		failAt    int // the version whose apply fails; 0: none
		wantApply []int
		wantErr   error
	}{
		{"an empty database", 0, 0, []int{1, 2, 3}, nil},
		{"one behind", 2, 0, []int{3}, nil},
		{"up to date", 3, 0, nil, nil},
		{"a newer schema", 4, 0, nil, ErrSchemaTooNew},
		{"a failed migration stops the rest", 0, 2, []int{1, 2}, failed},
	} {
		q := &versionQuerier{version: tc.version}
		var applied []int
		err := Migrate(t.Context(), "test", q, "CREATE TABLE IF NOT EXISTS schema_migrations", ms, func(m Migration) error {
			applied = append(applied, m.Version)
			if m.Version == tc.failAt {
				return failed
			}
			return nil
		})
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%s: Migrate = %v, want %v", tc.name, err, tc.wantErr)
		}
		if !reflect.DeepEqual(applied, tc.wantApply) {
			t.Errorf("%s: applied %v, want %v", tc.name, applied, tc.wantApply)
		}
		if len(q.execs) != 1 || !strings.HasPrefix(q.execs[0], "CREATE TABLE") {
			t.Errorf("%s: ran %q, want the CREATE TABLE first", tc.name, q.execs)
		}
	}
	err := Migrate(t.Context(), "test", &versionQuerier{version: 9999}, "", ms, nil)
	if !strings.Contains(err.Error(), "test: ") || !strings.Contains(err.Error(), "9999") {
		t.Errorf("a newer schema: %v, want the engine's name and the version", err)
	}
}
