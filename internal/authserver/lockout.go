package authserver

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/lru"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// lockout slows password guessing at the sign-in form without letting a
// stranger lock a user out (OWASP Authentication Cheat Sheet, "Account
// Lockout"): failures are counted per username and client address, and per
// address whatever the usernames, never per username alone, so failures
// from one address never refuse a correct password from another. A browser
// that has signed in as a user before (a remembered device, device.go) is
// counted on its own instead, and is let in from an address others have
// locked.
//
// Each counter locks after its threshold of failures in a row, for base,
// then twice as long after each further failure, up to max. A success
// clears the username's counter at that address and the device's; the
// address's counter, which a sprayer with one valid account could
// otherwise reset, is only forgotten after max without a failure (as every
// counter is). Counters live in memory, per replica, in a bounded cache.
//
// An attempt is admitted (begin) and counted as in flight until its
// password has been checked and the result counted (release), so
// concurrent guesses cannot all pass the check before the first failure is
// counted: a counter has no more attempts in flight than failures it has
// left before its lock, and once at its threshold, one at a time. Other
// attempts wait for a place (their passwords would wait for a hashing slot
// anyway), first come first served, and are refused if the lock comes
// first.
type lockout struct {
	after, addressAfter int
	base, max           time.Duration
	mu                  sync.Mutex
	counts              *lru.Cache[lockState]
	// waiters wait for a place, in the order they came. Each release
	// gives the places it frees to the first of them that can use them,
	// before any attempt that comes later can look: so that waiting
	// attempts are never overtaken, a place is never free while one of
	// them could take it.
	waiters []*waiter
	// maxWait bounds the wait for a place (lockoutWait).
	maxWait time.Duration
}

type lockState struct {
	failures int
	until    time.Time
	inFlight int // admitted attempts not yet released
}

// waiter is an attempt waiting for a place: its counters, and where it is
// told the outcome (0: admitted, its place taken for it; more: the lock
// came first, for that long).
type waiter struct {
	cs   []counter
	done chan time.Duration
}

// lockoutWait bounds how long an attempt waits for a place among those in
// flight; then it is told the server is busy, so that the queue ends
// rather than grows.
const lockoutWait = 10 * time.Second

// errBusy: an attempt found no place among those in flight within maxWait.
var errBusy = errors.New("too many sign-ins in flight")

// lockoutEntries bounds the counters kept: when full, the least recently
// used go first.
const lockoutEntries = 100_000

func newLockout(after, addressAfter int, base, longest time.Duration) *lockout {
	return &lockout{after: after, addressAfter: addressAfter, base: base, max: max(longest, base),
		counts: lru.New[lockState](lockoutEntries), maxWait: lockoutWait}
}

// attempt is one sign-in: the username typed, the client's address
// (clientaddr.LimitKey) and the id of the browser's remembered device for
// that username, if it presented a valid one.
type attempt struct {
	user, addr, device string
}

type counter struct {
	key   string
	after int
}

// counters are what an attempt counts against: its device alone, or the
// username at the address and the address.
func (l *lockout) counters(a attempt) []counter {
	if a.device != "" {
		return []counter{{deviceKey(a), l.after}}
	}
	return []counter{{userKey(a), l.after}, {addrKey(a), l.addressAfter}}
}

// userKey is hashed: a username is the client's to choose, and can be long.
func userKey(a attempt) string   { return "user " + tokens.Hash(a.user+"\x00"+a.addr) }
func addrKey(a attempt) string   { return "addr " + a.addr }
func deviceKey(a attempt) string { return "device " + a.device }

// locked reports how long the attempt must wait, if it must.
func (l *lockout) locked(a attempt, now time.Time) time.Duration {
	if l == nil || l.after <= 0 {
		return 0
	}
	return l.lockedOn(l.counters(a), now)
}

// lockedOn is locked for an attempt's counters.
func (l *lockout) lockedOn(cs []counter, now time.Time) time.Duration {
	var wait time.Duration
	for _, c := range cs {
		if st, ok := l.counts.Get(c.key, now); ok && now.Before(st.until) {
			wait = max(wait, st.until.Sub(now))
		}
	}
	return wait
}

// begin admits an attempt, counting it in flight on each of its counters
// until release, or says how long it must wait for a lock to end. While the
// attempts already in flight would lock a counter if they all failed, it
// waits for a place; it gives up with errBusy after maxWait, and with ctx's
// error when the caller leaves.
func (l *lockout) begin(ctx context.Context, a attempt, now func() time.Time) (time.Duration, error) {
	if l == nil || l.after <= 0 {
		return 0, nil
	}
	cs := l.counters(a)
	l.mu.Lock()
	t := now()
	if wait := l.lockedOn(cs, t); wait > 0 {
		l.mu.Unlock()
		return wait, nil
	}
	if l.hasPlace(cs, t) {
		l.admit(cs, t)
		l.mu.Unlock()
		return 0, nil
	}
	w := &waiter{cs: cs, done: make(chan time.Duration, 1)}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()

	timeout := time.NewTimer(l.maxWait)
	defer timeout.Stop()
	var err error
	select {
	case wait := <-w.done:
		return wait, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timeout.C:
		err = errBusy
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.Index(l.waiters, w); i >= 0 {
		l.waiters = slices.Delete(l.waiters, i, i+1)
		return 0, err
	}
	// Answered while giving up: a place taken for it is given back.
	if wait := <-w.done; wait == 0 {
		l.releaseLocked(cs, now())
	}
	return 0, err
}

// hasPlace: no counter has as many attempts in flight as failures it has
// left, or, at its threshold, any.
func (l *lockout) hasPlace(cs []counter, now time.Time) bool {
	for _, c := range cs {
		if st, _ := l.counts.Get(c.key, now); c.after > 0 && st.inFlight > 0 && st.failures+st.inFlight >= c.after {
			return false
		}
	}
	return true
}

// admit counts an attempt in flight on its counters.
func (l *lockout) admit(cs []counter, now time.Time) {
	for _, c := range cs {
		if c.after > 0 {
			st, _ := l.counts.Get(c.key, now)
			st.inFlight++
			l.counts.Put(c.key, st, l.forget(st, now))
		}
	}
}

// release ends an attempt begin admitted, after its failure, if it failed,
// has been counted.
func (l *lockout) release(a attempt, now time.Time) {
	if l == nil || l.after <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.releaseLocked(l.counters(a), now)
}

// releaseLocked gives up an attempt's places, then answers the waiters
// that share a counter with it, in the order they came: the lock if it has
// come, a place if there is one now.
func (l *lockout) releaseLocked(cs []counter, now time.Time) {
	for _, c := range cs {
		st, ok := l.counts.Get(c.key, now)
		if c.after <= 0 || !ok || st.inFlight == 0 {
			continue
		}
		st.inFlight--
		l.put(c.key, st, now)
	}
	l.waiters = slices.DeleteFunc(l.waiters, func(w *waiter) bool {
		if !shares(w.cs, cs) {
			return false
		}
		if wait := l.lockedOn(w.cs, now); wait > 0 {
			w.done <- wait
			return true
		}
		if l.hasPlace(w.cs, now) {
			l.admit(w.cs, now)
			w.done <- 0
			return true
		}
		return false
	})
}

// shares reports whether two attempts count on a counter in common.
func shares(a, b []counter) bool {
	for _, x := range a {
		for _, y := range b {
			if x.key == y.key {
				return true
			}
		}
	}
	return false
}

func (l *lockout) failed(a attempt, now time.Time) {
	if l == nil || l.after <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.counters(a) {
		if c.after <= 0 {
			continue
		}
		st, _ := l.counts.Get(c.key, now)
		st.failures++
		if over := st.failures - c.after; over >= 0 {
			st.until = now.Add(l.lockFor(over))
		}
		l.put(c.key, st, now)
	}
}

// put keeps a counter until forget, or drops it when it holds nothing.
func (l *lockout) put(key string, st lockState, now time.Time) {
	if st == (lockState{}) {
		l.counts.Remove(key)
		return
	}
	l.counts.Put(key, st, l.forget(st, now))
}

// forget is when a counter is dropped: max after its last failure or the
// end of its lock, and while attempts are in flight, not before they are
// surely over (a password waits at most seconds for a hashing slot).
func (l *lockout) forget(st lockState, now time.Time) time.Time {
	at := later(st.until, now).Add(l.max)
	if st.inFlight > 0 {
		at = later(at, now.Add(time.Hour))
	}
	return at
}

// lockFor is base doubled over times, at most max.
func (l *lockout) lockFor(over int) time.Duration {
	d := l.base
	for range over {
		if d >= l.max/2 {
			return l.max
		}
		d *= 2
	}
	return min(d, l.max)
}

// succeeded clears the failures of the username's counter at the address
// and the device's, never the address's; attempts in flight stay counted.
func (l *lockout) succeeded(a attempt, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := []string{userKey(a)}
	if a.device != "" {
		keys = append(keys, deviceKey(a))
	}
	for _, key := range keys {
		if st, ok := l.counts.Get(key, now); ok {
			l.put(key, lockState{inFlight: st.inFlight}, now)
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
