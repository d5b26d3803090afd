package gwtest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// PostgresDSN creates an empty database on the test server named by
// DRAWBRIDGE_TEST_POSTGRES and returns its DSN; the database is dropped when
// the test ends. Without the variable the test is skipped.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("DRAWBRIDGE_TEST_POSTGRES")
	if base == "" {
		t.Skip("DRAWBRIDGE_TEST_POSTGRES not set; run scripts/start-postgres (scripts/test-all does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to the test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	name := "gw_" + strings.ToLower(tokens.NewID())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
