package authserver

import (
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
)

// The OAuth debug trace (log.oauth_debug) logs every step of every client's
// flow with the parameters it sent, so that an operator can see where a
// client goes wrong. Values that prove possession are never logged: only
// their length is. state is one of them: the client's state is its defence
// against forged authorization responses (RFC 6749 §10.12, RFC 9700
// §4.7.1), and the state Drawbridge sends upstream carries the secret that
// binds the identity provider's callback to this sign-in.
var secretParams = map[string]bool{
	"code": true, "code_verifier": true, "refresh_token": true, "access_token": true, "token": true,
	"client_secret": true, "client_assertion": true, "assertion": true, "password": true, "csrf": true,
	"state": true,
	// RFC 8693 §2.1: token exchange presents tokens as subject and actor.
	"subject_token": true, "actor_token": true,
}

// debugStep logs one step of a flow when the debug trace is on.
func (s *Server) debugStep(r *http.Request, step string, params url.Values, attrs ...any) {
	if !s.opt.Debug {
		return
	}
	base := []any{"step", step, "request_id", requestid.From(r.Context()), "method", r.Method, "path", r.URL.Path}
	if params != nil {
		base = append(base, slog.Group("params", redactedParams(params)...))
	}
	s.opt.Log.Info("oauth debug", append(base, attrs...)...)
}

func redactedParams(v url.Values) []any {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []any
	for _, k := range keys {
		val := v.Get(k)
		if secretParams[k] {
			val = "[redacted, " + strconv.Itoa(len(val)) + " bytes]"
		} else if len(val) > 200 {
			val = val[:200] + "…"
		}
		out = append(out, k, val)
	}
	return out
}
