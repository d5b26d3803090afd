package sqlite

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

// TestConsentMigration writes consents in the old shape (one list of
// scopes, one of resources) at the schema version before per-resource
// consent, then opens the file, which migrates it, and checks what was kept.
func TestConsentMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "drawbridge.db")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	target := -1
	for i, m := range ms {
		if strings.HasSuffix(m.Name, "_"+storagetest.ConsentMigration) {
			target = i
		}
	}
	if target < 0 {
		t.Fatalf("no migration named *_%s", storagetest.ConsentMigration)
	}
	if err := createFile(path); err != nil {
		t.Fatal(err)
	}
	db, err := openPool(path, writeParams(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:target] {
		if err := apply(ctx, db, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range storagetest.OldConsents {
		_, err := db.ExecContext(ctx, `INSERT INTO consents (subject, client_id, scopes, resources, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, c.Subject, c.ClientID, list(c.Scopes), list(c.Resources),
			sqlstore.Stamp(c.CreatedAt), sqlstore.Stamp(c.UpdatedAt))
		if err != nil {
			t.Fatalf("writing an old-shape consent: %v", err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	defer s.Close()
	storagetest.CheckMigratedConsents(t, s)
}
