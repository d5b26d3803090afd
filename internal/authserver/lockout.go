package authserver

import (
	"context"
	"errors"
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
// anyway) and are refused if the lock comes first.
type lockout struct {
	after, addressAfter int
	base, max           time.Duration
	mu                  sync.Mutex
	counts              *lru.Cache[lockState]
	// waiting counts the attempts waiting for a place.
	waiting int
	// maxWait bounds the wait for a place (lockoutWait).
	maxWait time.Duration
}

type lockState struct {
	failures int
	until    time.Time
	inFlight int // admitted attempts not yet released
	// ended, when attempts wait for a place in this counter, is closed
	// when one of its attempts in flight ends.
	ended chan struct{}
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
// waits for one of them to end and looks again; it gives up with errBusy
// after maxWait, and with ctx's error when the caller leaves.
func (l *lockout) begin(ctx context.Context, a attempt, now func() time.Time) (time.Duration, error) {
	if l == nil || l.after <= 0 {
		return 0, nil
	}
	cs := l.counters(a)
	var timeout <-chan time.Time
	for {
		l.mu.Lock()
		t := now()
		if wait := l.lockedOn(cs, t); wait > 0 {
			l.mu.Unlock()
			return wait, nil
		}
		full, ok := l.full(cs, t)
		if !ok {
			for _, c := range cs {
				if c.after > 0 {
					st, _ := l.counts.Get(c.key, t)
					st.inFlight++
					l.counts.Put(c.key, st, l.forget(st, t))
				}
			}
			l.mu.Unlock()
			return 0, nil
		}
		st, _ := l.counts.Get(full.key, t)
		if st.ended == nil {
			st.ended = make(chan struct{})
			l.counts.Put(full.key, st, l.forget(st, t))
		}
		ended := st.ended
		l.waiting++
		l.mu.Unlock()
		if timeout == nil {
			tm := time.NewTimer(l.maxWait)
			defer tm.Stop()
			timeout = tm.C
		}
		var err error
		select {
		case <-ended:
		case <-ctx.Done():
			err = ctx.Err()
		case <-timeout:
			err = errBusy
		}
		l.mu.Lock()
		l.waiting--
		l.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
}

// full finds a counter with as many attempts in flight as failures it has
// left, or, at its threshold, any: no place for another.
func (l *lockout) full(cs []counter, now time.Time) (counter, bool) {
	for _, c := range cs {
		if st, _ := l.counts.Get(c.key, now); c.after > 0 && st.inFlight > 0 && st.failures+st.inFlight >= c.after {
			return c, true
		}
	}
	return counter{}, false
}

// release ends an attempt begin admitted, after its failure, if it failed,
// has been counted.
func (l *lockout) release(a attempt, now time.Time) {
	if l == nil || l.after <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.counters(a) {
		st, ok := l.counts.Get(c.key, now)
		if c.after <= 0 || !ok || st.inFlight == 0 {
			continue
		}
		st.inFlight--
		if st.ended != nil {
			close(st.ended)
			st.ended = nil
		}
		l.put(c.key, st, now)
	}
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
// and the device's, never the address's; attempts in flight, and those
// waiting for them, stay.
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
			l.put(key, lockState{inFlight: st.inFlight, ended: st.ended}, now)
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
