package postgres

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

type appliedMigration struct {
	name string
	at   time.Time
}

// appliedMigrations reads schema_migrations by version.
func appliedMigrations(t *testing.T, s *Store) map[int]appliedMigration {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), `SELECT version, name, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	applied := map[int]appliedMigration{}
	for rows.Next() {
		var v int
		var m appliedMigration
		if err := rows.Scan(&v, &m.name, &m.at); err != nil {
			t.Fatal(err)
		}
		applied[v] = m
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return applied
}

func embeddedMigrations(t *testing.T) []sqlstore.Migration {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestMigrationsIdempotent(t *testing.T) {
	ms := embeddedMigrations(t)
	dsn := newDatabase(t)
	s := open(t, dsn)
	fresh := appliedMigrations(t, s)
	if len(fresh) != len(ms) {
		t.Errorf("fresh database: %d migrations recorded, want %d", len(fresh), len(ms))
	}
	for _, m := range ms {
		if fresh[m.Version].name != m.Name {
			t.Errorf("migration %d recorded as %q, want %q", m.Version, fresh[m.Version].name, m.Name)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dsn) // a no-op: nothing re-applied, nothing recorded twice
	defer s.Close()
	reopened := appliedMigrations(t, s)
	if len(reopened) != len(fresh) {
		t.Errorf("after reopen: %d migrations recorded, want %d", len(reopened), len(fresh))
	}
	for v, m := range fresh {
		if !reopened[v].at.Equal(m.at) {
			t.Errorf("migration %d re-applied on reopen", v)
		}
	}
}

// TestMigrationsConcurrent stands in for replicas starting together on an
// empty database: every Open succeeds and the schema is made exactly once.
// Without the advisory lock, the CREATE TABLE statements of the losers fail.
func TestMigrationsConcurrent(t *testing.T) {
	const replicas = 5
	ms := embeddedMigrations(t)
	dsn := newDatabase(t)
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), dsn, Options{MaxConns: 2})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: Open: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	if applied := appliedMigrations(t, stores[0]); len(applied) != len(ms) {
		t.Errorf("%d migrations recorded, want %d", len(applied), len(ms))
	}
	// Every replica sees the one schema.
	for i, s := range stores {
		if _, err := s.ListClients(t.Context(), "", 0); err != nil {
			t.Errorf("replica %d: ListClients: %v", i, err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := newDatabase(t)
	s := open(t, dsn)
	_, err := s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, 'future.sql')`)
	if err := errors.Join(err, s.Close()); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), dsn, Options{})
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") {
		t.Errorf("Open of a newer schema: got %v, want ErrSchemaTooNew naming version 9999", err)
	}
}

// TestFailedMigrationLeavesNoTrace: each migration runs in its own
// transaction, so one that fails half-way changes nothing, and the ones
// before it stay applied.
func TestFailedMigrationLeavesNoTrace(t *testing.T) {
	ctx := t.Context()
	s := open(t, newDatabase(t))
	defer s.Close()
	ms := embeddedMigrations(t) // applied by Open
	n := len(ms)
	ms = append(ms,
		sqlstore.Migration{Version: n + 1, Name: "ok.sql", SQL: `CREATE TABLE ok (id INTEGER)`},
		sqlstore.Migration{Version: n + 2, Name: "broken.sql", SQL: `CREATE TABLE half (id INTEGER); SELECT 1/0`})
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = migrateLocked(ctx, conn, ms)
	conn.Release()
	if err == nil || !strings.Contains(err.Error(), "broken.sql") {
		t.Fatalf("migrate with a broken migration: got %v, want an error naming it", err)
	}
	applied := appliedMigrations(t, s)
	if _, ok := applied[n+1]; !ok || len(applied) != n+1 {
		t.Errorf("applied migrations %v, want versions 1 to %d", applied, n+1)
	}
	var half, ok bool
	err = s.pool.QueryRow(ctx, `SELECT to_regclass('half') IS NOT NULL, to_regclass('ok') IS NOT NULL`).Scan(&half, &ok)
	if err != nil || half || !ok {
		t.Errorf("after the failed migration: table half exists %v, table ok exists %v (%v); want false, true", half, ok, err)
	}
}

// TestConsentMigration writes consents in the old shape (one array of
// scopes, one of resources) at the schema version before per-resource
// consent, then opens the database, which migrates it, and checks what
// was kept.
func TestConsentMigration(t *testing.T) {
	ctx := t.Context()
	dsn := newDatabase(t)
	ms := embeddedMigrations(t)
	target := slices.IndexFunc(ms, func(m sqlstore.Migration) bool {
		return strings.HasSuffix(m.Name, "_"+storagetest.ConsentMigration)
	})
	if target < 0 {
		t.Fatalf("no migration named *_%s", storagetest.ConsentMigration)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateLocked(ctx, conn, ms[:target]); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	for _, c := range storagetest.OldConsents {
		_, err := pool.Exec(ctx, `INSERT INTO consents (subject, client_id, scopes, resources, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.Subject, c.ClientID, list(c.Scopes), list(c.Resources), sqlstore.Stamp(c.CreatedAt),
			sqlstore.Stamp(c.UpdatedAt))
		if err != nil {
			t.Fatalf("writing an old-shape consent: %v", err)
		}
	}
	pool.Close()
	s := open(t, dsn)
	defer s.Close()
	storagetest.CheckMigratedConsents(t, s)
}
