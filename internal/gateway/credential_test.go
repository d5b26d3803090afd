package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// longToken is a client token long enough for the leak guard to look for.
const longToken = "client-token-0123456789abcdefghijklmnop"

type credentialFunc func(context.Context, *tokens.AccessClaims) (http.Header, error)

func (f credentialFunc) Headers(ctx context.Context, c *tokens.AccessClaims) (http.Header, error) {
	return f(ctx, c)
}

// recorder is a backend that keeps every request's headers and query.
type recorder struct {
	mu      sync.Mutex
	headers []http.Header
	queries []string
}

func (b *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.headers = append(b.headers, r.Header.Clone())
	b.queries = append(b.queries, r.URL.RawQuery)
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
}

func (b *recorder) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.headers)
}

// TestClientTokenNeverLeaves: even a credential (or a client) that puts
// the client's token in a header or the query does not get it to the
// backend.
func TestClientTokenNeverLeaves(t *testing.T) {
	be := &recorder{}
	gw := newTestGateway(t, be, func(s *Backend) {
		s.Credential = credentialFunc(func(_ context.Context, c *tokens.AccessClaims) (http.Header, error) {
			h := http.Header{}
			h.Set("Authorization", "Bearer backend-own")
			h.Set("X-Echo", "prefix "+longToken) // a buggy credential
			return h, nil
		})
		s.Headers = map[string]string{"X-Static": "static-secret"}
	})
	resp := do(t, http.MethodPost, gw.URL+"/mcp?debug="+longToken+"&keep=1", longToken, map[string]string{"X-Client": longToken})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	for name, vs := range be.headers[0] {
		for _, v := range vs {
			if strings.Contains(v, longToken) {
				t.Errorf("the client's token reached the backend in %s", name)
			}
		}
	}
	if strings.Contains(be.queries[0], longToken) || !strings.Contains(be.queries[0], "keep=1") {
		t.Errorf("backend query %q", be.queries[0])
	}
	if got := be.headers[0].Get("Authorization"); got != "Bearer backend-own" {
		t.Errorf("backend Authorization = %q, want its own credential", got)
	}
}

// TestEndedUpstreamSessionIsAChallenge: a credential that needs the user
// to sign in again makes a 401 with a challenge, and nothing is proxied.
func TestEndedUpstreamSessionIsAChallenge(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
	}{
		{backendauth.ErrSignInAgain, http.StatusUnauthorized},
		{errors.New("token endpoint down"), http.StatusBadGateway},
	} {
		be := &recorder{}
		gw := newTestGateway(t, be, func(s *Backend) {
			s.Credential = credentialFunc(func(context.Context, *tokens.AccessClaims) (http.Header, error) { return nil, tc.err })
		})
		resp := do(t, http.MethodPost, gw.URL+"/mcp", longToken, nil)
		if resp.StatusCode != tc.status || be.count() != 0 {
			t.Fatalf("%v: status %d, %d backend requests", tc.err, resp.StatusCode, be.count())
		}
		ch := resp.Header.Get("WWW-Authenticate")
		if tc.status == http.StatusUnauthorized && (!strings.Contains(ch, `error="invalid_token"`) ||
			!strings.Contains(ch, `resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp"`)) {
			t.Errorf("challenge = %q", ch)
		}
		body, _ := io.ReadAll(resp.Body)
		if strings.Contains(string(body), "token endpoint down") {
			t.Errorf("the credential's error reached the client: %s", body)
		}
	}
}
