package audit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// flakyStore fails its first `fail` appends, as a database does while it
// restarts; fail < 0 fails them all.
type flakyStore struct {
	storage.AuditStore
	mu    sync.Mutex
	fail  int
	tries int
}

func (f *flakyStore) AppendAudit(ctx context.Context, recs []storage.AuditRecord, seal func(*storage.AuditRecord)) error {
	f.mu.Lock()
	f.tries++
	failing := f.fail < 0 || f.tries <= f.fail
	f.mu.Unlock()
	if failing {
		return errors.New("connection refused")
	}
	return f.AuditStore.AppendAudit(ctx, recs, seal)
}

func (f *flakyStore) attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries
}

// TestRecorderRetriesUntilStored: events recorded while the store is down
// are stored once it is back, in one intact chain.
func TestRecorderRetriesUntilStored(t *testing.T) {
	st, _, key := setup(t)
	fs := &flakyStore{AuditStore: st, fail: 3}
	rec := audit.NewRecorder(audit.Options{Store: fs, Key: key})
	for range 10 {
		rec.Record(audit.Event{Type: audit.TokenRefreshed, Subject: "alice", ClientID: "c1"})
	}
	// The store comes back while the recorder runs.
	for fs.attempts() <= fs.fail {
		time.Sleep(10 * time.Millisecond)
	}
	rec.Close()
	rep, err := audit.Verify(context.Background(), st, []audit.SealKey{key})
	if err != nil || !rep.OK() || rep.Records != 10 {
		t.Fatalf("after 3 failed appends: Verify = %+v, %v (tries %d)", rep, err, fs.tries)
	}
	if rec.Dropped() != 0 {
		t.Fatalf("%d events dropped", rec.Dropped())
	}
}

// TestRecorderGivesUpAtClose: a store that never recovers does not hang
// Close; what could not be stored is counted as dropped.
func TestRecorderGivesUpAtClose(t *testing.T) {
	st, _, key := setup(t)
	rec := audit.NewRecorder(audit.Options{Store: &flakyStore{AuditStore: st, fail: -1}, Key: key})
	for range 5 {
		rec.Record(audit.Event{Type: audit.TokenRefreshed, Subject: "alice", ClientID: "c1"})
	}
	rec.Close()
	if rec.Dropped() != 5 {
		t.Fatalf("Dropped = %d, want 5", rec.Dropped())
	}
}

// TestRecorderTriesOnceMoreAtClose: a store that came back while the
// recorder waited to retry gets the batch at Close, not a drop.
func TestRecorderTriesOnceMoreAtClose(t *testing.T) {
	st, _, key := setup(t)
	fs := &flakyStore{AuditStore: st, fail: 2}
	rec := audit.NewRecorder(audit.Options{Store: fs, Key: key})
	for range 5 {
		rec.Record(audit.Event{Type: audit.TokenRefreshed, Subject: "alice", ClientID: "c1"})
	}
	// Close while the recorder waits before its third try.
	for fs.attempts() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	rec.Close()
	rep, err := audit.Verify(context.Background(), st, []audit.SealKey{key})
	if err != nil || !rep.OK() || rep.Records != 5 || rec.Dropped() != 0 {
		t.Fatalf("Verify = %+v, %v; dropped %d", rep, err, rec.Dropped())
	}
}
