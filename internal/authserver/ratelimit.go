package authserver

import (
	"sync"
	"time"
)

// addressLimiter counts events per client address in fixed windows. It is
// deliberately small: it keeps dynamic registration from being used to fill
// the database; the governance layer has the general limiter.
type addressLimiter struct {
	limit  int
	window time.Duration
	mu     sync.Mutex
	start  time.Time
	counts map[string]int
}

func newAddressLimiter(limit int, window time.Duration) *addressLimiter {
	return &addressLimiter{limit: limit, window: window, counts: map[string]int{}}
}

// allow counts one event for addr and reports whether it is within the
// limit, and if not, how long until the window ends.
func (l *addressLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	if l.limit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window || now.Before(l.start) {
		l.start, l.counts = now, map[string]int{}
	}
	if l.counts[addr] >= l.limit {
		return false, l.start.Add(l.window).Sub(now)
	}
	l.counts[addr]++
	return true, 0
}
