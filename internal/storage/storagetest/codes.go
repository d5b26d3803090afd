package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testAuthCodeConsume(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newAuthCode("code-hash-1", "grant-1")
	c.CreatedAt = elsewhere(c.CreatedAt)
	must(t, s.CreateAuthCode(ctx, c))
	wantErr(t, "CreateAuthCode with a taken hash", s.CreateAuthCode(ctx, newAuthCode(c.Hash, "grant-2")), storage.ErrAlreadyExists)

	_, err := s.ConsumeAuthCode(ctx, "code-hash-unknown", at(0))
	wantErr(t, "ConsumeAuthCode of an unknown code", err, storage.ErrNotFound)
	// An expired code is refused, and the refusal does not use it up.
	_, err = s.ConsumeAuthCode(ctx, c.Hash, c.ExpiresAt)
	wantErr(t, "ConsumeAuthCode at ExpiresAt", err, storage.ErrNotFound)

	first := at(10 * time.Second)
	got, err := s.ConsumeAuthCode(ctx, c.Hash, elsewhere(first))
	must(t, err)
	want := c
	want.UsedAt = first
	check(t, "ConsumeAuthCode", got, want)

	// A replay gets the code, with the first redemption's UsedAt, so that the
	// caller can revoke the grant that redemption created.
	got, err = s.ConsumeAuthCode(ctx, c.Hash, at(20*time.Second))
	wantErr(t, "ConsumeAuthCode replayed", err, storage.ErrAlreadyUsed)
	check(t, "ConsumeAuthCode replayed", got, want)

	_, err = s.ConsumeAuthCode(ctx, c.Hash, c.ExpiresAt)
	wantErr(t, "ConsumeAuthCode of a used code after ExpiresAt", err, storage.ErrNotFound)
}

func testAuthCodeEmptySlices(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newAuthCode("code-hash-1", "grant-1")
	c.Scopes, c.Identity.Groups = []string{}, []string{}
	must(t, s.CreateAuthCode(ctx, c))
	got, err := s.ConsumeAuthCode(ctx, c.Hash, at(0))
	must(t, err)
	want := c
	want.Scopes, want.Identity.Groups, want.UsedAt = nil, nil, at(0)
	check(t, "ConsumeAuthCode", got, want)
}

// testAuthCodeRace checks that a code is single use under contention: one
// winner, and every loser learns the grant to revoke. Several codes are
// raced, because one race can miss a window that a broken store leaves open.
func testAuthCodeRace(t *testing.T, s storage.Store) {
	const codes, racers = 10, 50
	for i := range codes {
		raceAuthCode(t, s, newAuthCode(fmt.Sprintf("code-hash-%d", i), fmt.Sprintf("grant-%d", i)), racers)
	}
}

func raceAuthCode(t *testing.T, s storage.Store, c storage.AuthCode, racers int) {
	t.Helper()
	ctx := t.Context()
	must(t, s.CreateAuthCode(ctx, c))
	now := at(10 * time.Second)
	codes := make([]storage.AuthCode, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			codes[i], errs[i] = s.ConsumeAuthCode(ctx, c.Hash, now)
		})
	}
	close(start)
	wg.Wait()

	want := c
	want.UsedAt = now
	wins, used := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, storage.ErrAlreadyUsed):
			used++
		default:
			t.Errorf("%s, racer %d: unexpected error %v", c.Hash, i, err)
			continue
		}
		check(t, fmt.Sprintf("%s, racer %d", c.Hash, i), codes[i], want)
	}
	if wins != 1 || used != racers-1 {
		t.Fatalf("%s: of %d racers, %d got the code and %d ErrAlreadyUsed; want 1 and %d", c.Hash, racers, wins, used, racers-1)
	}
}
