package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testUseOnce(t *testing.T, s storage.Store) {
	ctx := t.Context()
	now := at(0)
	must(t, s.UseOnce(ctx, "jti-1", now.Add(time.Minute), now))
	wantErr(t, "UseOnce of a live key", s.UseOnce(ctx, "jti-1", now.Add(time.Hour), now.Add(59*time.Second)), storage.ErrAlreadyUsed)
	must(t, s.UseOnce(ctx, "jti-2", now.Add(time.Minute), now))
	// Once expired, the key is free again, and the new expiry holds.
	later := now.Add(time.Minute)
	must(t, s.UseOnce(ctx, "jti-1", later.Add(time.Minute), later))
	wantErr(t, "UseOnce after reuse", s.UseOnce(ctx, "jti-1", later.Add(time.Hour), later.Add(30*time.Second)), storage.ErrAlreadyUsed)

	got, err := s.DeleteExpired(ctx, later.Add(2*time.Minute), time.Hour)
	must(t, err)
	if got.Once != 2 {
		t.Errorf("DeleteExpired removed %d once-keys, want 2", got.Once)
	}
}

func testUseOnceRace(t *testing.T, s storage.Store) {
	now := at(0)
	for round := range 5 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, losses := 0, 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.UseOnce(t.Context(), "race-"+string(rune('a'+round)), now.Add(time.Minute), now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, storage.ErrAlreadyUsed):
					losses++
				default:
					t.Errorf("UseOnce: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || losses != 19 {
			t.Fatalf("round %d: %d winners, %d losers; want 1 and 19", round, wins, losses)
		}
	}
}

func testGetRefreshToken(t *testing.T, s storage.Store) {
	g, rt := createGrant(t, s, "grant-1")
	got, err := s.GetRefreshToken(t.Context(), rt.Hash, at(time.Minute))
	must(t, err)
	check(t, "GetRefreshToken", got, rt)
	if got.GrantID != g.ID {
		t.Errorf("GrantID = %q", got.GrantID)
	}
	_, err = s.GetRefreshToken(t.Context(), rt.Hash, rt.ExpiresAt)
	wantErr(t, "GetRefreshToken when expired", err, storage.ErrNotFound)
	_, err = s.GetRefreshToken(t.Context(), "nope", at(0))
	wantErr(t, "GetRefreshToken of an unknown hash", err, storage.ErrNotFound)
}
