package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/storagetest"
)

// testDSN is the server the tests use; each test makes its own database on it.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("DRAWBRIDGE_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("DRAWBRIDGE_TEST_POSTGRES not set; run scripts/start-postgres (scripts/test-all does)")
	}
	return dsn
}

// newDatabase creates an empty database with a unique name, drops it when
// the test ends, and returns a DSN for it.
func newDatabase(t testing.TB) string {
	t.Helper()
	dsn := testDSN(t)
	name := "drawbridge_test_" + strings.ToLower(rand.Text()[:16])
	admin(t, dsn, "CREATE DATABASE "+name)
	t.Cleanup(func() {
		// FORCE: a test that failed half-way may have left connections open.
		admin(t, dsn, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(t, dsn, name)
}

// admin runs one statement on a connection of its own, outside any
// transaction (CREATE DATABASE cannot run inside one).
func admin(t testing.TB, dsn, stmt string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context()) // also runs in Cleanup
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", redact(dsn), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// withDatabase points dsn, a URL or key=value pairs, at another database.
func withDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("DRAWBRIDGE_TEST_POSTGRES: %v", err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // the last setting of a key wins
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return "DRAWBRIDGE_TEST_POSTGRES"
}

func open(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storagetest.RunTests(t, func(t *testing.T) storage.Store {
		return open(t, newDatabase(t))
	})
}

func TestWithDatabase(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://u:p@127.0.0.1:5/db?sslmode=disable": "postgres://u:p@127.0.0.1:5/other?sslmode=disable",
		"postgresql://127.0.0.1/":                       "postgresql://127.0.0.1/other",
		"host=127.0.0.1 dbname=db":                      "host=127.0.0.1 dbname=db dbname=other",
	} {
		if got := withDatabase(t, dsn, "other"); got != want {
			t.Errorf("withDatabase(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestPoolConfig(t *testing.T) {
	cfg, err := poolConfig("postgres://u@127.0.0.1:5/db?pool_max_conns=99", Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != 16 || cfg.MinConns != 0 || cfg.MaxConnLifetime != 30*time.Minute ||
		cfg.ConnConfig.ConnectTimeout != 10*time.Second || cfg.PingTimeout != 5*time.Second {
		t.Errorf("defaults: MaxConns %d, MinConns %d, MaxConnLifetime %v, ConnectTimeout %v, PingTimeout %v",
			cfg.MaxConns, cfg.MinConns, cfg.MaxConnLifetime, cfg.ConnConfig.ConnectTimeout, cfg.PingTimeout)
	}
	if got := cfg.ConnConfig.RuntimeParams["application_name"]; got != "drawbridge" {
		t.Errorf("application_name = %q, want drawbridge", got)
	}

	cfg, err = poolConfig("postgres://u@127.0.0.1:5/db?connect_timeout=3&application_name=replica-2",
		Options{MaxConns: 4, MinConns: 9, MaxConnLifetime: time.Minute}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != 4 || cfg.MinConns != 4 || cfg.MaxConnLifetime != time.Minute ||
		cfg.ConnConfig.ConnectTimeout != 3*time.Second || cfg.ConnConfig.RuntimeParams["application_name"] != "replica-2" {
		t.Errorf("overrides: MaxConns %d, MinConns %d, MaxConnLifetime %v, ConnectTimeout %v, application_name %q",
			cfg.MaxConns, cfg.MinConns, cfg.MaxConnLifetime, cfg.ConnConfig.ConnectTimeout,
			cfg.ConnConfig.RuntimeParams["application_name"])
	}

	_, err = poolConfig("postgres://u:hunter2@127.0.0.1:5/db?connect_timeout=soon", Options{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("poolConfig of a bad DSN: %v; want an error without the password", err)
	}
}

func TestStateSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	dsn := newDatabase(t)
	s := open(t, dsn)
	client := storage.Client{ID: "client-a", Name: "A", RedirectURIs: []string{"https://a.example/cb"},
		CreatedAt: time.Unix(1, 2).UTC()}
	grant := storage.Grant{ID: "grant-1", ClientID: "client-a", Identity: storage.Identity{Subject: "user-1"},
		CreatedAt: time.Unix(3, 4).UTC()}
	rt := storage.RefreshToken{Hash: "rt-1", ExpiresAt: time.Unix(1000, 0).UTC()}
	if err := errors.Join(s.CreateClient(ctx, client), s.CreateGrant(ctx, grant, &rt), s.Close()); err != nil {
		t.Fatal(err)
	}

	s = open(t, dsn)
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

// TestErrorsHoldNoSecrets: codes and refresh tokens are known to the store
// only by hash, but even those stay out of messages that reach logs; so do
// request IDs (browser handles) and strings the database refused.
func TestErrorsHoldNoSecrets(t *testing.T) {
	ctx := t.Context()
	s := open(t, newDatabase(t))
	defer s.Close()
	const secret = "c29tZS1oYXNoLW9mLWEtc2VjcmV0"
	now := time.Unix(100, 0)
	rt := storage.RefreshToken{Hash: secret, ExpiresAt: now.Add(time.Hour)}
	errs := []error{
		s.CreateGrant(ctx, storage.Grant{ID: "grant-1"}, &rt),
		s.CreateGrant(ctx, storage.Grant{ID: "grant-2"}, &rt),
		s.CreateAuthCode(ctx, storage.AuthCode{Hash: secret, ExpiresAt: now.Add(time.Minute)}),
		s.CreateAuthCode(ctx, storage.AuthCode{Hash: secret, ExpiresAt: now.Add(time.Minute)}),
		s.CreateAuthCode(ctx, storage.AuthCode{Hash: secret + "\x00", ClientID: "a\x00" + secret}),
		s.CreateAuthRequest(ctx, storage.AuthRequest{ID: secret, ExpiresAt: now.Add(time.Minute)}),
		s.CreateAuthRequest(ctx, storage.AuthRequest{ID: secret, ExpiresAt: now.Add(time.Minute)}),
		s.DeleteUpstreamSession(ctx, secret),
		s.UseOnce(ctx, secret, now.Add(time.Minute), now),
		s.UseOnce(ctx, secret, now.Add(time.Minute), now),
	}
	_, err := s.RedeemAuthCode(ctx, storage.Redemption{Hash: secret + "x", Now: now, Issue: codeGrant})
	errs = append(errs, err)
	_, err = s.RedeemAuthCode(ctx, storage.Redemption{Hash: secret, Now: now, Issue: codeGrant})
	errs = append(errs, err)
	_, err = s.RedeemAuthCode(ctx, storage.Redemption{Hash: secret, Now: now, Issue: codeGrant})
	errs = append(errs, err)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: secret + "x", Now: now})
	errs = append(errs, err)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: secret, New: rt, Now: now})
	errs = append(errs, err)
	_, err = s.GetAuthRequest(ctx, secret+"x", now)
	errs = append(errs, err)
	_, err = s.GetRefreshToken(ctx, secret+"x", now)
	errs = append(errs, err)
	for i, err := range errs {
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error %d holds a secret: %v", i, err)
		}
	}
}

// codeGrant is a storage.Redemption's Issue: the code's grant, bare.
func codeGrant(c storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
	return storage.Grant{ID: c.GrantID}, nil, nil
}
