package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.RunTests(t, func(t *testing.T) storage.Store {
		return open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	})
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "drawbridge.db")
	s := open(t, path)
	defer s.Close()
	for name, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, info.Mode(), want)
		}
	}
}

func TestOpenPathNeedingEscapes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "what? #1 100%", "drawbridge.db")
	s := open(t, path)
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %q: %v", path, err)
	}
}

func TestStateSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "drawbridge.db")
	s := open(t, path)
	client := storage.Client{ID: "client-a", Name: "A", RedirectURIs: []string{"https://a.example/cb"},
		CreatedAt: time.Unix(1, 2).UTC()}
	grant := storage.Grant{ID: "grant-1", ClientID: "client-a", Identity: storage.Identity{Subject: "user-1"},
		CreatedAt: time.Unix(3, 4).UTC()}
	rt := storage.RefreshToken{Hash: "rt-1", ExpiresAt: time.Unix(1000, 0).UTC()}
	if err := errors.Join(s.CreateClient(ctx, client), s.CreateGrant(ctx, grant, &rt), s.Close()); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	defer s.Close()
	gotClient, err := s.GetClient(ctx, client.ID)
	if err != nil || gotClient.Name != "A" || !gotClient.CreatedAt.Equal(client.CreatedAt) {
		t.Errorf("GetClient after reopen = %+v, %v", gotClient, err)
	}
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: rt.Hash, New: storage.RefreshToken{Hash: "rt-2",
		ExpiresAt: rt.ExpiresAt}, Now: time.Unix(10, 0)})
	if err != nil {
		t.Errorf("RotateRefreshToken after reopen: %v", err)
	}
}

func appliedMigrations(t *testing.T, s *Store) map[int]int64 {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	applied := map[int]int64{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		applied[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return applied
}

func TestMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "drawbridge.db")
	s := open(t, path)
	fresh := appliedMigrations(t, s)
	if len(fresh) != len(ms) {
		t.Errorf("fresh database: %d migrations recorded, want %d", len(fresh), len(ms))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path) // a no-op: nothing re-applied, nothing recorded twice
	reopened := appliedMigrations(t, s)
	if len(reopened) != len(fresh) {
		t.Errorf("after reopen: %d migrations recorded, want %d", len(reopened), len(fresh))
	}
	for v, at := range fresh {
		if reopened[v] != at {
			t.Errorf("migration %d re-applied on reopen", v)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drawbridge.db")
	s := open(t, path)
	_, err := s.write.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future.sql', 0)`)
	if err := errors.Join(err, s.Close()); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), path)
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") {
		t.Errorf("Open of a newer schema: got %v, want ErrSchemaTooNew naming version 9999", err)
	}
}

// TestErrorsHoldNoSecrets: codes and refresh tokens are known to the store
// only by hash, but even those stay out of messages that reach logs.
func TestErrorsHoldNoSecrets(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	const secret = "c29tZS1oYXNoLW9mLWEtc2VjcmV0"
	now := time.Unix(100, 0)
	rt := storage.RefreshToken{Hash: secret, ExpiresAt: now.Add(time.Hour)}
	errs := []error{
		s.CreateGrant(ctx, storage.Grant{ID: "grant-1"}, &rt),
		s.CreateGrant(ctx, storage.Grant{ID: "grant-2"}, &rt),
		s.CreateAuthCode(ctx, storage.AuthCode{Hash: secret, ExpiresAt: now.Add(time.Minute)}),
		s.CreateAuthCode(ctx, storage.AuthCode{Hash: secret, ExpiresAt: now.Add(time.Minute)}),
		s.CreateAuthRequest(ctx, storage.AuthRequest{ID: secret, ExpiresAt: now.Add(time.Minute)}),
		s.CreateAuthRequest(ctx, storage.AuthRequest{ID: secret, ExpiresAt: now.Add(time.Minute)}),
		s.DeleteUpstreamSession(ctx, secret),
	}
	_, err := s.RedeemAuthCode(ctx, storage.Redemption{Hash: secret + "x", Now: now, Issue: codeGrant})
	errs = append(errs, err)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: secret + "x", Now: now})
	errs = append(errs, err)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: secret, New: rt, Now: now})
	errs = append(errs, err)
	_, err = s.GetAuthRequest(ctx, secret+"x", now)
	errs = append(errs, err)
	for i, err := range errs {
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error %d holds a secret: %v", i, err)
		}
	}
}

// TestWriteWaitsForContext: a writer queued behind a long transaction gives
// up when its context ends instead of hanging.
func TestWriteWaitsForContext(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = s.inTx(context.Background(), func(execer) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := s.CreateClient(ctx, storage.Client{ID: "client-a"})
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateClient behind a held write lock: got %v, want context.DeadlineExceeded", err)
	}
}

// codeGrant is a storage.Redemption's Issue: the code's grant, bare.
func codeGrant(c storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
	return storage.Grant{ID: c.GrantID}, nil, nil
}

// TestAuditKeepsAnyText: SQLite keeps text PostgreSQL refuses (NUL,
// invalid UTF-8), and the audit trail stores it byte for byte.
func TestAuditKeepsAnyText(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	odd := "a\x00b\xff\xc3"
	rec := storage.AuditRecord{Time: time.Unix(1, 2).UTC(), Type: odd, Subject: odd, ClientID: odd, Server: odd,
		Name: odd, Payload: []byte(odd)}
	seal := func(r *storage.AuditRecord) { r.Hash, r.KeyID = []byte{1}, odd }
	if err := s.AppendAudit(t.Context(), []storage.AuditRecord{rec}, seal); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAudit(t.Context(), storage.AuditFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListAudit = %v, %v", got, err)
	}
	rec.Seq, rec.Hash, rec.KeyID = 1, []byte{1}, odd
	if !reflect.DeepEqual(got[0], rec) {
		t.Errorf("stored %+v\nappended %+v", got[0], rec)
	}
}
