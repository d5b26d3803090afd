package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func TestPragmas(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	ctx := t.Context()
	for _, tc := range []struct {
		pool   string
		pragma string
		want   string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "foreign_keys", "1"},
		{"write", "synchronous", "2"}, // FULL
		{"write", "busy_timeout", busyTimeoutMillis},
		{"read", "query_only", "1"},
		{"read", "busy_timeout", busyTimeoutMillis},
	} {
		db := s.write
		if tc.pool == "read" {
			db = s.read
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s pool, PRAGMA %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s pool: PRAGMA %s = %s, want %s", tc.pool, tc.pragma, got, tc.want)
		}
	}
}

// TestTwoStoresShareFile stands in for two processes on one file, where only
// SQLite's locks keep order. Write transactions that read first would fail
// with SQLITE_BUSY if they began DEFERRED; IMMEDIATE makes them wait their
// turn instead.
func TestTwoStoresShareFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "drawbridge.db")
	stores := []*Store{open(t, path), open(t, path)}
	defer stores[0].Close()
	defer stores[1].Close()

	now := time.Unix(1000, 0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(stores[0].CreateAuthCode(ctx, storage.AuthCode{Hash: "code-1", GrantID: "grant-1", ExpiresAt: now.Add(time.Minute)}))
	must(stores[1].CreateClient(ctx, storage.Client{ID: "client-a"}))

	const racers = 20
	redeemErrs := make([]error, racers)
	updateErrs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		s := stores[i%2]
		wg.Go(func() {
			_, redeemErrs[i] = s.RedeemAuthCode(ctx, storage.Redemption{Hash: "code-1", Now: now, Issue: codeGrant})
		})
		wg.Go(func() {
			updateErrs[i] = s.UpdateClient(ctx, "client-a", func(c storage.Client) (storage.Client, error) {
				c.RedirectURIs = append(c.RedirectURIs, fmt.Sprintf("https://%d.example/cb", i))
				return c, nil
			})
		})
	}
	wg.Wait()

	must(errors.Join(updateErrs...))
	wins := 0
	for i, err := range redeemErrs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, storage.ErrAlreadyUsed):
			t.Errorf("consumer %d: %v", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d consumers won the code, want 1", wins)
	}
	c, err := stores[0].GetClient(ctx, "client-a")
	must(err)
	if len(c.RedirectURIs) != racers {
		t.Errorf("after %d updates from two stores: %d redirect URIs, want %d", racers, len(c.RedirectURIs), racers)
	}
}
