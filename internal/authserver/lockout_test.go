package authserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/lru"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var lockT0 = time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)

// TestLockoutIsPerAddress: a hundred failures for alice from A lock alice
// at A only; from B her correct password is never refused.
func TestLockoutIsPerAddress(t *testing.T) {
	l := newLockout(5, 20, time.Minute, time.Hour)
	atA, atB := attempt{user: "alice", addr: "192.0.2.1"}, attempt{user: "alice", addr: "192.0.2.2"}
	for i := range 100 {
		l.failed(atA, lockT0.Add(time.Duration(i)*time.Second))
	}
	now := lockT0.Add(100 * time.Second)
	if w := l.locked(atB, now); w != 0 {
		t.Errorf("alice from another address: locked for %v", w)
	}
	if w := l.locked(atA, now); w != time.Hour-time.Second {
		t.Errorf("alice from the guessing address: %v, want the full max lock from the last failure", w)
	}
	if w := l.locked(attempt{user: "bob", addr: "192.0.2.1"}, now); w != time.Hour-time.Second {
		// A hundred failures are also over the address's threshold.
		t.Errorf("bob from the guessing address: %v", w)
	}
}

func TestLockoutDoublesAndForgets(t *testing.T) {
	l := newLockout(3, -1, time.Minute, 10*time.Minute)
	a := attempt{user: "alice", addr: "192.0.2.1"}
	now := lockT0
	for range 2 {
		l.failed(a, now)
	}
	if w := l.locked(a, now); w != 0 {
		t.Fatalf("locked after two failures: %v", w)
	}
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute} {
		l.failed(a, now)
		if w := l.locked(a, now); w != want {
			t.Errorf("failure %d: locked for %v, want %v", i+3, w, want)
		}
		now = now.Add(want) // the lock ends; the next failure comes at once
		if w := l.locked(a, now); w != 0 {
			t.Errorf("failure %d: still locked at the lock's end (%v)", i+3, w)
		}
	}
	// max after the last lock's end, the failures are forgotten.
	now = now.Add(10 * time.Minute)
	l.failed(a, now)
	if w := l.locked(a, now); w != 0 {
		t.Errorf("one failure after a quiet max: locked for %v", w)
	}
	// A success clears the username at the address.
	l.failed(a, now)
	l.succeeded(a, now)
	l.failed(a, now)
	l.failed(a, now)
	if w := l.locked(a, now); w != 0 {
		t.Errorf("two failures after a success: locked for %v", w)
	}
	if newLockout(3, 0, time.Hour, time.Minute).max != time.Hour {
		t.Error("a max below base is not raised to base")
	}
}

// TestLockoutPerAddressAcrossUsernames: spraying one password over many
// usernames from one address locks the address for every username, even
// ones it never tried; a success does not clear the address.
func TestLockoutPerAddressAcrossUsernames(t *testing.T) {
	l := newLockout(5, 20, time.Minute, time.Hour)
	for i := range 19 {
		l.failed(attempt{user: fmt.Sprintf("user%d", i), addr: "2001:db8:1:2::/64"}, lockT0)
	}
	carol := attempt{user: "carol", addr: "2001:db8:1:2::/64"}
	if w := l.locked(carol, lockT0); w != 0 {
		t.Fatalf("19 failures: %v", w)
	}
	l.succeeded(attempt{user: "mallory", addr: "2001:db8:1:2::/64"}, lockT0) // the sprayer's own account
	l.failed(attempt{user: "user19", addr: "2001:db8:1:2::/64"}, lockT0)
	if w := l.locked(carol, lockT0); w != time.Minute {
		t.Errorf("carol from the spraying address: %v, want 1m", w)
	}
	if w := l.locked(attempt{user: "carol", addr: "2001:db8:1:3::/64"}, lockT0); w != 0 {
		t.Errorf("carol from another /64: %v", w)
	}
}

// TestLockoutRememberedDevice: a device is not held by its address's locks
// and has its own bound, which does not spill over to others.
func TestLockoutRememberedDevice(t *testing.T) {
	l := newLockout(5, 20, time.Minute, time.Hour)
	const addr = "192.0.2.9"
	for i := range 40 {
		l.failed(attempt{user: fmt.Sprintf("u%d", i%3), addr: addr}, lockT0)
		l.failed(attempt{user: "alice", addr: addr}, lockT0)
	}
	if l.locked(attempt{user: "alice", addr: addr}, lockT0) == 0 {
		t.Fatal("the address is not locked")
	}
	mine := attempt{user: "alice", addr: addr, device: "dev-1"}
	if w := l.locked(mine, lockT0); w != 0 {
		t.Fatalf("the remembered device at the locked address: %v", w)
	}
	for range 5 {
		l.failed(mine, lockT0)
	}
	if w := l.locked(mine, lockT0); w != time.Minute {
		t.Errorf("the device after five failures: %v, want 1m", w)
	}
	if w := l.locked(attempt{user: "alice", addr: addr, device: "dev-2"}, lockT0); w != 0 {
		t.Errorf("another device: %v", w)
	}
	if w := l.locked(attempt{user: "alice", addr: "192.0.2.10"}, lockT0); w != 0 {
		t.Errorf("the device's failures counted for alice at another address: %v", w)
	}
}

// TestLockoutCountsAttemptsInFlight: attempts admitted but not yet
// released count against the lock, so a burst of concurrent guesses gets
// no more checked than failures are left before the lock, and one at a
// time at the threshold; the others wait for a place, and get the lock if
// it comes first.
func TestLockoutCountsAttemptsInFlight(t *testing.T) {
	l := newLockout(5, 20, time.Minute, time.Hour)
	a := attempt{user: "alice", addr: "192.0.2.1"}
	for i := range 5 {
		admitted(t, l, a, lockT0, fmt.Sprintf("attempt %d of 5 at once", i+1))
	}
	sixth := waits(t, l, context.Background(), a, lockT0, "a sixth attempt while five are in flight")
	// One ends unchecked (the browser left): the sixth takes its place.
	l.release(a, lockT0)
	if r := <-sixth; r.wait != 0 || r.err != nil {
		t.Fatalf("the sixth after one ended unchecked: %v, %v", r.wait, r.err)
	}
	// All five in flight fail: a seventh waiting gets the lock, never a
	// place.
	seventh := waits(t, l, context.Background(), a, lockT0, "a seventh")
	for range 5 {
		l.failed(a, lockT0)
		l.release(a, lockT0)
	}
	if r := <-seventh; r.wait != time.Minute || r.err != nil {
		t.Fatalf("the seventh after five failures: %v, %v, want the lock", r.wait, r.err)
	}
	// At the lock's end, one attempt at a time.
	now := lockT0.Add(time.Minute)
	admitted(t, l, a, now, "at the lock's end")
	next := waits(t, l, context.Background(), a, now, "a second attempt at the threshold")
	l.failed(a, now)
	l.release(a, now)
	if r := <-next; r.wait != 2*time.Minute || r.err != nil {
		t.Fatalf("the second at the threshold after the sixth failure: %v, %v, want 2m", r.wait, r.err)
	}

	// With one failure left, a success clears the failures: the attempt
	// waiting beside it gets a place, and so do three more.
	b := attempt{user: "bob", addr: "192.0.2.2"}
	for range 4 {
		l.failed(b, lockT0)
	}
	admitted(t, l, b, lockT0, "bob's fifth")
	sixth = waits(t, l, context.Background(), b, lockT0, "bob's sixth beside the fifth")
	l.succeeded(b, lockT0)
	l.release(b, lockT0)
	if r := <-sixth; r.wait != 0 || r.err != nil {
		t.Fatalf("bob's sixth after his success: %v, %v", r.wait, r.err)
	}
	for i := range 4 {
		admitted(t, l, b, lockT0, fmt.Sprintf("after bob's success, attempt %d", i+1))
	}
	// A waiting attempt whose browser leaves gives up with its context.
	ctx, cancel := context.WithCancel(context.Background())
	left := waits(t, l, ctx, b, lockT0, "five in flight after bob's success")
	cancel()
	if r := <-left; r.err != context.Canceled {
		t.Fatalf("a waiting attempt whose browser left: %v, %v", r.wait, r.err)
	}

	// The address counts across usernames: twenty in flight from one
	// address hold the twenty-first, whatever its username, until maxWait.
	for i := range 20 {
		admitted(t, l, attempt{user: fmt.Sprintf("user%d", i), addr: "192.0.2.3"}, lockT0, fmt.Sprintf("user%d", i))
	}
	l.maxWait = time.Millisecond
	if w, err := l.begin(context.Background(), attempt{user: "carol", addr: "192.0.2.3"}, at(lockT0)); w != 0 || err != errBusy {
		t.Errorf("a twenty-first username from the address: %v, %v, want errBusy", w, err)
	}
	// A remembered device counts on its own.
	admitted(t, l, attempt{user: "carol", addr: "192.0.2.3", device: "dev-1"}, lockT0, "carol's device at the busy address")

	// A release without its begin leaves nothing behind, and takes no
	// place from another attempt.
	before := l.counts.Len()
	l.release(attempt{user: "dave", addr: "192.0.2.4"}, lockT0)
	if l.counts.Len() != before {
		t.Error("a release without a begin made a counter")
	}
	later := now.Add(2 * time.Minute)
	for range 5 {
		l.release(a, later)
	}
	admitted(t, l, a, later, "alice at her lock's end, after extra releases")
	if w, err := l.begin(context.Background(), a, at(later)); w != 0 || err != errBusy {
		t.Errorf("extra releases made room for a second attempt at the threshold: %v, %v", w, err)
	}
}

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// admitted: a begins at once.
func admitted(t *testing.T, l *lockout, a attempt, now time.Time, what string) {
	t.Helper()
	if w, err := l.begin(context.Background(), a, at(now)); w != 0 || err != nil {
		t.Fatalf("%s: %v, %v, want admitted", what, w, err)
	}
}

type began struct {
	wait time.Duration
	err  error
}

// waits begins a in the background, returns once it is waiting for a place
// (failing if it is answered instead), and gives its answer to come.
func waits(t *testing.T, l *lockout, ctx context.Context, a attempt, now time.Time, what string) <-chan began {
	t.Helper()
	l.mu.Lock()
	before := len(l.waiters)
	l.mu.Unlock()
	res := make(chan began, 1)
	go func() {
		w, err := l.begin(ctx, a, at(now))
		res <- began{w, err}
	}()
	for {
		select {
		case r := <-res:
			t.Fatalf("%s: answered %v, %v, want it to wait for a place", what, r.wait, r.err)
		default:
		}
		l.mu.Lock()
		n := len(l.waiters)
		l.mu.Unlock()
		if n > before {
			return res
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLockoutWaitersInTurn: the places that attempts in flight give up go
// to the waiting attempts in the order they came, one per place, never to
// one that came later.
func TestLockoutWaitersInTurn(t *testing.T) {
	l := newLockout(5, 20, time.Minute, time.Hour)
	a := attempt{user: "alice", addr: "192.0.2.1"}
	for i := range 5 {
		admitted(t, l, a, lockT0, fmt.Sprintf("attempt %d of 5", i+1))
	}
	var queue []<-chan began
	for i := range 8 {
		queue = append(queue, waits(t, l, context.Background(), a, lockT0, fmt.Sprintf("waiting attempt %d", i)))
	}
	for i := range queue {
		l.release(a, lockT0) // one in flight ends unchecked: one place
		j, r := firstAnswer(queue)
		if j != i || r.wait != 0 || r.err != nil {
			t.Fatalf("place %d went to waiting attempt %d (%v, %v), want attempt %d", i, j, r.wait, r.err, i)
		}
		queue[j] = nil
	}
}

// firstAnswer waits for one of the channels (nil ones skipped) to answer.
func firstAnswer(chs []<-chan began) (int, began) {
	for {
		for i, ch := range chs {
			if ch == nil {
				continue
			}
			select {
			case r := <-ch:
				return i, r
			default:
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLockoutIsBounded: a flood of addresses never grows the counters past
// their bound.
func TestLockoutIsBounded(t *testing.T) {
	l := newLockout(5, 20, time.Minute, time.Hour)
	l.counts = lru.New[lockState](1000) // lockoutEntries, scaled down
	for i := range 2000 {
		l.failed(attempt{user: "alice", addr: fmt.Sprintf("10.0.%d.%d", i>>8&255, i&255)}, lockT0)
		if n := l.counts.Len(); n > 1000 {
			t.Fatalf("%d counters kept, over the bound", n)
		}
	}
}

func TestLockoutOff(t *testing.T) {
	for _, l := range []*lockout{nil, newLockout(0, 20, time.Minute, time.Hour), newLockout(-1, 20, time.Minute, time.Hour)} {
		a := attempt{user: "alice", addr: "192.0.2.1"}
		for range 50 {
			if w, err := l.begin(context.Background(), a, at(lockT0)); w != 0 || err != nil {
				t.Errorf("lockout off: attempt refused: %v, %v", w, err)
			}
			l.failed(a, lockT0)
		}
		if w := l.locked(a, lockT0); w != 0 {
			t.Errorf("lockout off: locked for %v", w)
		}
	}
}

// busyProvider answers identity.ErrBusy (no slot to hash the password in)
// the first busy times, then lets the real provider decide.
type busyProvider struct {
	identity.PasswordProvider
	busy int
}

func (p *busyProvider) Authenticate(ctx context.Context, username, password string) (storage.Identity, error) {
	if p.busy > 0 {
		p.busy--
		return storage.Identity{}, identity.ErrBusy
	}
	return p.PasswordProvider.Authenticate(ctx, username, password)
}

// TestBusySignInIsNotAFailure: a sign-in that could not be checked because
// too many were being hashed gets 503 with Retry-After and the form again,
// and counts as nothing: no failed sign-in recorded, no step towards a
// lockout, however often it happens.
func TestBusySignInIsNotAFailure(t *testing.T) {
	bp := &busyProvider{busy: 30}
	h := newHarness(t, func(o *Options) { bp.PasswordProvider = o.Password; o.Password = bp })
	b := &browser{}
	for range 30 {
		_, rec := h.signIn(b, authorizeQuery())
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" ||
			!strings.Contains(rec.Body.String(), "try again in a few seconds") || !strings.Contains(rec.Body.String(), `name="password"`) {
			t.Fatalf("busy sign-in: %d, Retry-After %q\n%s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	if n := h.events.count(audit.SignInFailed); n != 0 {
		t.Errorf("%d failed sign-ins recorded for sign-ins never checked", n)
	}
	if _, rec := h.signIn(b, authorizeQuery()); rec.Code != http.StatusSeeOther {
		t.Errorf("the sign-in after 30 busy answers: %d\n%s", rec.Code, rec.Body)
	}
}
