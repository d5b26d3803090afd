package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// An in-process backend learns who calls through Claims, from the one
// exchange value in the request's context; nothing else carries identity.
func TestInProcessBackendGetsTheCallersClaims(t *testing.T) {
	if c := Claims(context.Background()); c != nil {
		t.Errorf("Claims outside a request = %+v", c)
	}
	var subject, auth string
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := Claims(r.Context()); c != nil {
			subject = c.Subject
		}
		auth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	})
	rt := answerRoute(t, answerCase{backend: func(s *Backend) { s.Upstream, s.Handler = nil, backend }})
	for _, token := range []string{"good", "bob"} {
		req := httptest.NewRequest(http.MethodPost, "https://gw.example/mcp", strings.NewReader(msg("1", "ping", "")))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, req)
		want := map[string]string{"good": "alice", "bob": "bob"}[token]
		if rec.Code != http.StatusOK || subject != want || auth != "" {
			t.Errorf("token %s: status %d, subject %q (want %q), Authorization %q", token, rec.Code, subject, want, auth)
		}
	}
}
