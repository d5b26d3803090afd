package snippets

import (
	"github.com/drawbridge-mcp/drawbridge/assertion"

	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
)

// Identity headers a trusted gateway such as Drawbridge sets after it has
// authenticated the user. They are believed only because the same request
// also carried the key, which only the gateway holds.
const (
	SubjectHeader = "X-Drawbridge-Subject"
	EmailHeader   = "X-Drawbridge-Email"
)

// unauthorizedBody names no header and no key, so a probe learns nothing
// about what would have been accepted.
const unauthorizedBody = `{"error":"unauthorized"}` + "\n"

// requireKey lets a request through only if header carries key. Both sides
// are hashed first so the comparison takes the same time whatever the
// length of the guess, which subtle.ConstantTimeCompare alone does not hide.
// The key header is removed before the MCP layer sees the request, so it
// cannot surface in tool handlers or SDK logs.
func requireKey(header, key string, log *slog.Logger, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(key))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get(header)))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			log.Info("snippets: rejected request without a valid key",
				"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
			writeUnauthorized(w)
			return
		}
		next.ServeHTTP(w, withoutHeaders(r, header))
	})
}

// dropIdentity is used when no key is configured: with nothing to vouch for
// the sender, identity headers are just claims anyone could make.
func dropIdentity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, withoutHeaders(r, SubjectHeader, EmailHeader))
	})
}

func writeUnauthorized(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorizedBody))
}

// withoutHeaders returns a shallow copy of r with its own header map, so
// handlers that wrap this one still see the request they passed in.
func withoutHeaders(r *http.Request, names ...string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = r.Header.Clone()
	for _, n := range names {
		r2.Header.Del(n)
	}
	return r2
}

// fromAssertion admits only requests with a valid Drawbridge identity
// assertion and passes the identity on in the same headers the tools read,
// replacing whatever the request carried under those names.
func fromAssertion(v *assertion.Verifier, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := v.FromRequest(r)
		if err != nil {
			log.Info("snippets: rejected request without a valid identity assertion", "err", err)
			writeUnauthorized(w)
			return
		}
		r = withoutHeaders(r, SubjectHeader, EmailHeader, "Authorization")
		r.Header.Set(SubjectHeader, id.Subject)
		if id.Email != "" {
			r.Header.Set(EmailHeader, id.Email)
		}
		next.ServeHTTP(w, r)
	})
}
