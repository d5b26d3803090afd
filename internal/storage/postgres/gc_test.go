package postgres

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// TestDeleteExpiredSkipsWhenLocked: while another replica sweeps (holds the
// advisory lock), DeleteExpired does nothing and says so with an empty
// result, not an error; once the lock is free it sweeps as usual.
func TestDeleteExpiredSkipsWhenLocked(t *testing.T) {
	ctx := t.Context()
	stores := twoStores(t)
	now := time.Unix(1000, 0)
	if err := stores[0].UseOnce(ctx, "jti-1", now, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}

	// The other replica, mid-sweep: a transaction holding the lock.
	tx, err := stores[1].pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, gcLockKey); err != nil {
		t.Fatal(err)
	}
	got, err := stores[0].DeleteExpired(ctx, now, time.Hour)
	if err != nil || got != (storage.GCResult{}) {
		t.Errorf("DeleteExpired while another sweeps = %+v, %v; want an empty result and no error", got, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	got, err = stores[0].DeleteExpired(ctx, now, time.Hour)
	if err != nil || got != (storage.GCResult{Once: 1}) {
		t.Errorf("DeleteExpired once the lock is free = %+v, %v; want Once: 1", got, err)
	}
}

// TestDeleteExpiredConcurrent: replicas sweeping at once remove each row
// once, so their counts add up to what there was.
func TestDeleteExpiredConcurrent(t *testing.T) {
	ctx := t.Context()
	stores := twoStores(t)
	now := time.Unix(1000, 0)
	const rows = 50
	for i := range rows {
		key := string(rune('a'+i%26)) + string(rune('a'+i/26))
		if err := stores[i%2].UseOnce(ctx, key, now, now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	total := 0
	var errs []error
	race(stores, 10, func(_ int, s *Store) {
		got, err := s.DeleteExpired(ctx, now, time.Hour)
		mu.Lock()
		defer mu.Unlock()
		total += got.Once
		errs = append(errs, err)
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if total != rows {
		t.Errorf("concurrent sweeps removed %d rows in all, want %d", total, rows)
	}
	checkNoRetries(t, stores)
}
