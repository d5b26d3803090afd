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
// checked count against the lock, so a burst of concurrent guesses gets no
// more checked than failures are left before the lock, and one at a time at
// the threshold.
func TestLockoutCountsAttemptsInFlight(t *testing.T) {
	l := newLockout(5, 20, time.Minute, time.Hour)
	a := attempt{user: "alice", addr: "192.0.2.1"}
	for i := range 5 {
		if w := l.begin(a, lockT0); w != 0 {
			t.Fatalf("attempt %d of 5 at once: refused for %v", i+1, w)
		}
	}
	if w := l.begin(a, lockT0); w != inFlightWait {
		t.Fatalf("a sixth attempt while five are in flight: %v, want %v", w, inFlightWait)
	}
	// One ends unchecked (the browser left): its place is free again.
	l.release(a, lockT0)
	if w := l.begin(a, lockT0); w != 0 {
		t.Fatalf("after one ended unchecked: refused for %v", w)
	}
	// All five fail: the lock, and no attempt in flight left behind.
	for range 5 {
		l.failed(a, lockT0)
		l.release(a, lockT0)
	}
	if w := l.begin(a, lockT0); w != time.Minute {
		t.Fatalf("after five failures: %v, want the lock", w)
	}
	// At the lock's end, one attempt at a time.
	now := lockT0.Add(time.Minute)
	if w := l.begin(a, now); w != 0 {
		t.Fatalf("at the lock's end: refused for %v", w)
	}
	if w := l.begin(a, now); w != inFlightWait {
		t.Fatalf("a second attempt at the threshold: %v", w)
	}
	l.failed(a, now)
	l.release(a, now)
	if w := l.begin(a, now); w != 2*time.Minute {
		t.Fatalf("after the sixth failure: %v, want 2m", w)
	}

	// Four failures left one: a success with others in flight clears the
	// failures but not what is in flight.
	b := attempt{user: "bob", addr: "192.0.2.2"}
	for range 4 {
		l.failed(b, lockT0)
	}
	if w := l.begin(b, lockT0); w != 0 {
		t.Fatalf("bob's fifth: refused for %v", w)
	}
	if w := l.begin(b, lockT0); w != inFlightWait {
		t.Fatalf("bob's sixth beside the fifth: %v", w)
	}
	l.succeeded(b, lockT0)
	for i := range 4 {
		if w := l.begin(b, lockT0); w != 0 {
			t.Fatalf("after bob's success, attempt %d: refused for %v", i+1, w)
		}
	}
	if w := l.begin(b, lockT0); w != inFlightWait {
		t.Fatalf("five in flight after bob's success: %v", w)
	}

	// The address counts across usernames: twenty in flight from one
	// address hold the twenty-first, whatever its username.
	for i := range 20 {
		if w := l.begin(attempt{user: fmt.Sprintf("user%d", i), addr: "192.0.2.3"}, lockT0); w != 0 {
			t.Fatalf("user%d: refused for %v", i, w)
		}
	}
	if w := l.begin(attempt{user: "carol", addr: "192.0.2.3"}, lockT0); w != inFlightWait {
		t.Errorf("a twenty-first username from the address: %v", w)
	}
	// A remembered device counts on its own.
	if w := l.begin(attempt{user: "carol", addr: "192.0.2.3", device: "dev-1"}, lockT0); w != 0 {
		t.Errorf("carol's device at the busy address: refused for %v", w)
	}

	// A release without its begin leaves nothing behind.
	c := attempt{user: "dave", addr: "192.0.2.4"}
	before := l.counts.Len()
	l.release(c, lockT0)
	if l.counts.Len() != before {
		t.Error("a release without a begin made a counter")
	}
	for range 5 {
		l.release(a, now)
	}
	if w := l.begin(a, now.Add(2*time.Minute)); w != 0 {
		t.Errorf("extra releases opened or closed the counter: %v", w)
	}
	if w := l.begin(a, now.Add(2*time.Minute)); w != inFlightWait {
		t.Errorf("extra releases made room for a second attempt at the threshold: %v", w)
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
			if w := l.begin(a, lockT0); w != 0 {
				t.Errorf("lockout off: attempt refused for %v", w)
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
