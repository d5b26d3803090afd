package authserver

import (
	"net/http"
	"strconv"
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
