package authserver

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// Endpoints the per-address limiter is asked about.
const (
	LimitRegister  = "register"
	LimitToken     = "token"
	LimitAuthorize = "authorize"
	LimitLogin     = "login"
)

// LimitFunc decides whether a request from its client address may go on
// at an endpoint, and if not, how long to wait.
type LimitFunc func(r *http.Request, endpoint string) (bool, time.Duration)

// limited answers 429 when the endpoint's limit refuses the request.
// JSON endpoints get an OAuth error; pages get a page.
func (s *Server) limited(w http.ResponseWriter, r *http.Request, endpoint string, page bool) bool {
	if s.opt.Limit == nil {
		return false
	}
	ok, wait := s.opt.Limit(r, endpoint)
	if ok {
		return false
	}
	secs := int(wait.Seconds())
	if time.Duration(secs)*time.Second < wait || secs < 1 {
		secs++
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.opt.Log.Info("rate limited", "endpoint", endpoint, "remote", clientIP(r))
	if page {
		s.errorPage(w, http.StatusTooManyRequests, "Too many requests from your address.",
			"Wait "+strconv.Itoa(secs)+" seconds and try again.")
		return true
	}
	oauth.WriteJSON(w, oauth.NewError("too_many_requests", "too many requests; retry after "+strconv.Itoa(secs)+" seconds").WithStatus(http.StatusTooManyRequests))
	return true
}

// lockout slows password guessing: after `after` failed sign-ins in a row
// for one username, further attempts are refused for base, then twice as
// long after each further failure, up to max. A success clears it. The
// per-address login limit bounds guessing across many usernames.
type lockout struct {
	after     int
	base, max time.Duration
	mu        sync.Mutex
	users     map[string]*lockState
}

type lockState struct {
	failures int
	until    time.Time
}

func newLockout(after int, base, max time.Duration) *lockout {
	return &lockout{after: after, base: base, max: max, users: map[string]*lockState{}}
}

// locked reports how long the username stays locked, if it is.
func (l *lockout) locked(user string, now time.Time) time.Duration {
	if l == nil || l.after <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st := l.users[user]; st != nil && now.Before(st.until) {
		return st.until.Sub(now)
	}
	return 0
}

func (l *lockout) failed(user string, now time.Time) {
	if l == nil || l.after <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.users) > 100000 {
		l.users = map[string]*lockState{} // bounded: an attack on many names resets it
	}
	st := l.users[user]
	if st == nil {
		st = &lockState{}
		l.users[user] = st
	}
	st.failures++
	if over := st.failures - l.after; over >= 0 {
		d := l.base << min(over, 30)
		if d > l.max || d <= 0 {
			d = l.max
		}
		st.until = now.Add(d)
	}
}

func (l *lockout) succeeded(user string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.users, user)
	l.mu.Unlock()
}
