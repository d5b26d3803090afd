package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// testEndedSignIns: SignInsEndedAt returns the latest end among the keys
// asked, to the nanosecond (a sign-in in the same instant must read as
// not after it), and nothing for keys never recorded; a key written twice
// keeps the later end whichever comes first, and the later expiry; keys
// do not see each other's records; DeleteExpired collects only expired
// records.
func testEndedSignIns(t *testing.T, s storage.Store) {
	ctx := t.Context()
	endedAt := func(keys ...string) time.Time {
		t.Helper()
		got, err := s.SignInsEndedAt(ctx, keys)
		must(t, err)
		return got
	}
	want := func(what string, got, want time.Time) {
		t.Helper()
		if !got.Equal(want) {
			t.Errorf("%s: SignInsEndedAt = %v, want %v", what, got, want)
		}
	}
	want("no keys", endedAt(), time.Time{})
	want("a key never recorded", endedAt("user:nobody"), time.Time{})
	must(t, s.EndSignIns(ctx, nil, at(time.Minute), at(time.Hour)))

	// Repeated keys in one call are one record.
	must(t, s.EndSignIns(ctx, []string{"user:alice", "sid:alice-1", "user:alice"}, elsewhere(at(time.Minute)), at(time.Hour)))
	want("alice", endedAt("user:alice"), at(time.Minute))
	want("alice's session", endedAt("sid:alice-1"), at(time.Minute))
	want("alice, to the nanosecond", endedAt("user:alice"), base.Add(time.Minute))

	// An earlier end written later does not move the end back, nor shorten
	// the expiry.
	must(t, s.EndSignIns(ctx, []string{"user:alice"}, at(30*time.Second), at(10*time.Minute)))
	want("alice after an earlier end", endedAt("user:alice"), at(time.Minute))
	// A later one moves it on, and extends the expiry.
	must(t, s.EndSignIns(ctx, []string{"user:alice"}, at(2*time.Minute), at(2*time.Hour)))
	want("alice after a later end", endedAt("user:alice"), at(2*time.Minute))
	want("alice's session, not written again", endedAt("sid:alice-1"), at(time.Minute))

	// Keys are isolated; several keys give the latest among them.
	must(t, s.EndSignIns(ctx, []string{"user:bob"}, at(3*time.Minute), at(time.Hour)))
	want("alice, after bob's", endedAt("user:alice"), at(2*time.Minute))
	want("alice's session and bob", endedAt("sid:alice-1", "user:bob", "user:nobody"), at(3*time.Minute))
	want("alice's keys", endedAt("sid:alice-1", "user:alice"), at(2*time.Minute))
	want("a prefix of a key", endedAt("user:ali"), time.Time{})

	// Expiry: alice's session's record expires at one hour, hers at two,
	// bob's at one.
	res, err := s.DeleteExpired(ctx, at(time.Hour-time.Nanosecond), time.Hour)
	must(t, err)
	if res.EndedSignIns != 0 {
		t.Errorf("DeleteExpired before any expiry removed %d ended sign-ins", res.EndedSignIns)
	}
	res, err = s.DeleteExpired(ctx, at(time.Hour), time.Hour)
	must(t, err)
	if res.EndedSignIns != 2 {
		t.Errorf("DeleteExpired removed %d ended sign-ins, want 2", res.EndedSignIns)
	}
	want("alice's session, expired", endedAt("sid:alice-1"), time.Time{})
	want("bob, expired", endedAt("user:bob"), time.Time{})
	want("alice, kept by her later expiry", endedAt("user:alice"), at(2*time.Minute))
	// Once collected, a key is recorded afresh.
	must(t, s.EndSignIns(ctx, []string{"user:bob"}, at(time.Second), at(3*time.Hour)))
	want("bob, recorded again", endedAt("user:bob"), at(time.Second))
}

// testEndedSignInsRace writes overlapping keys from many goroutines at
// once, each its own time, the keys in differing orders: no write fails
// (PostgreSQL would deadlock on rows locked in two orders), and each key
// keeps the latest time written to it.
func testEndedSignInsRace(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const writers = 16
	keys := []string{"race:a", "race:b", "race:c"}
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		ks := []string{keys[i%3], keys[(i+1)%3], keys[(i+2)%3]}
		if i%2 == 1 {
			ks = []string{ks[2], ks[1], ks[0]}
		}
		wg.Go(func() {
			<-start
			errs[i] = s.EndSignIns(ctx, ks[:2+i%2], at(time.Duration(i)*time.Second), at(time.Hour))
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	// The latest writer (15, odd: three keys) wrote every key.
	for _, k := range keys {
		got, err := s.SignInsEndedAt(ctx, []string{k})
		must(t, err)
		if w := at((writers - 1) * time.Second); !got.Equal(w) {
			t.Errorf("%s: SignInsEndedAt = %v, want %v", k, got, w)
		}
	}
}
