package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// A read the gateway makes on every tools/call is prepared once and then
// reused, and a reused statement still sees every write made after it was
// prepared.
func TestReadsReusePreparedStatements(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	ctx := t.Context()
	f := storage.ToolPinFilter{Server: "files", NameKey: "read"}
	pin := func(hash string) storage.ToolPin {
		return storage.ToolPin{ToolPinKey: storage.ToolPinKey{Server: "files", Tool: "read", Hash: hash}, NameKey: "read",
			Definition: []byte(`{}`), State: storage.PinApproved, Reason: "first_use", FirstSeenAt: time.Unix(1, 0)}
	}
	if err := s.CreateToolPin(ctx, pin("h1")); err != nil {
		t.Fatal(err)
	}
	before := s.readStmts.n.Load()
	for want := 1; want <= 2; want++ {
		got, err := s.ListToolPins(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Fatalf("read %d pins, want %d", len(got), want)
		}
		if err := s.CreateToolPin(ctx, pin("h2")); err != nil && want == 1 {
			t.Fatal(err)
		}
	}
	if n := s.readStmts.n.Load() - before; n != 1 {
		t.Fatalf("two identical reads prepared %d statements, want 1", n)
	}
}

// Past the cache's bound, queries still run, unprepared.
func TestStatementCacheBound(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	s.readStmts.n.Store(maxStmts)
	got, err := s.ListToolPins(t.Context(), storage.ToolPinFilter{Server: "files"})
	if err != nil || len(got) != 0 {
		t.Fatalf("ListToolPins = %v, %v; want no pins, no error", got, err)
	}
	if n := s.readStmts.n.Load(); n != maxStmts {
		t.Fatalf("the full cache grew to %d", n)
	}
}
