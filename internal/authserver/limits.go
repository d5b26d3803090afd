package authserver

import (
	"net/http"
	"strconv"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// Endpoints with a per-address limit: the keys of Options.Limits.
const (
	LimitRegister  = "register"
	LimitToken     = "token"
	LimitAuthorize = "authorize"
	LimitLogin     = "login"
)

// limited answers 429 when the endpoint's limit refuses the request.
func (s *Server) limited(w http.ResponseWriter, r *http.Request, endpoint string, page bool) bool {
	ok, wait := s.allow(r, endpoint)
	if !ok {
		s.tooManyRequests(w, r, endpoint, wait, page)
	}
	return !ok
}

// tooManyRequests answers a refused request with 429 and Retry-After
// (RFC 6585 §4): JSON endpoints with an OAuth error, pages with a page.
func (s *Server) tooManyRequests(w http.ResponseWriter, r *http.Request, endpoint string, wait time.Duration, page bool) {
	secs := strconv.Itoa(ratelimit.RetryAfterSeconds(wait))
	w.Header().Set("Retry-After", secs)
	s.opt.Log.Info("rate limited", "endpoint", endpoint, "remote", clientIP(r))
	if page {
		s.errorPage(w, http.StatusTooManyRequests, "Too many requests from your address.", "Wait "+secs+" seconds and try again.")
		return
	}
	oauth.WriteJSON(w, oauth.NewError("too_many_requests", "too many requests; retry after "+secs+" seconds").WithStatus(http.StatusTooManyRequests))
}

// allow charges the endpoint's limit, if it has one, for the request's
// client address (clientaddr.LimitKey: IPv6 addresses count by /64), and
// says whether the request may go on and, if not, how long to wait. When
// the limiter fails, its decision stands (fail-open or fail-closed for an
// unavailable backend, a denial for an invalid limit) and the failure is
// logged.
func (s *Server) allow(r *http.Request, endpoint string) (bool, time.Duration) {
	lim, ok := s.opt.Limits[endpoint]
	if !ok || s.opt.Limiter == nil {
		return true, 0
	}
	d, err := s.opt.Limiter.Allow(r.Context(), lim, ratelimit.Key("as", clientaddr.LimitKey(r)), 1)
	if err != nil {
		s.opt.Log.Warn("rate limit", "limit", lim.Name, "err", err)
	}
	if !d.Allowed {
		s.opt.Metrics.RateLimited(lim.Name)
	}
	return d.Allowed, d.RetryAfter
}
