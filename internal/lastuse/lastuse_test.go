package lastuse

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestTracker(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)}
	created := c.t
	for _, id := range []string{"g1", "g2"} {
		if err := st.CreateGrant(t.Context(), storage.Grant{ID: id, ClientID: "c", Identity: storage.Identity{Subject: "u"},
			Resource: "https://mcp.example/mcp", CreatedAt: created, LastUsedAt: created}, nil); err != nil {
			t.Fatal(err)
		}
	}
	lastUsed := func(id string) time.Time {
		g, err := st.GetGrant(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return g.LastUsedAt
	}
	tr := New(st, c.now, time.Minute)
	c.t = created.Add(10 * time.Second)
	tr.Seen("g1")
	c.t = created.Add(20 * time.Second)
	tr.Seen("g1") // within the minute: not noted again
	tr.Seen("")
	if got := lastUsed("g1"); !got.Equal(created) {
		t.Fatalf("written before Flush: %v", got)
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := lastUsed("g1"), created.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("g1 last used %v, want %v", got, want)
	}
	if got := lastUsed("g2"); !got.Equal(created) {
		t.Errorf("g2, never used, moved to %v", got)
	}
	c.t = created.Add(2 * time.Minute)
	tr.Seen("g1")
	tr.Seen("gone") // a grant removed since: no error
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := lastUsed("g1"), created.Add(2*time.Minute); !got.Equal(want) {
		t.Errorf("g1 last used %v after a second minute, want %v", got, want)
	}
}
