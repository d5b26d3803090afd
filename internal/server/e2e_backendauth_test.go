package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/assertion"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

const assertionYAML = `    auth: {mode: identity_assertion, audience: "https://snippets.internal"}
`

// TestIdentityAssertionBackend: the backend requires Drawbridge's signed
// assertion and takes the caller from it; it never sees the client token.
func TestIdentityAssertionBackend(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: assertionYAML, BackendAssertionAudience: "https://snippets.internal"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := sdkOAuthHandler(t, browser.New(gw.URL), gwtest.User)
	cs := connectSDK(t, ctx, gw.MCP, h)
	if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, "local:alice") {
		t.Fatalf("hello_mcp = %q: the backend did not get the identity from the assertion", got)
	}
	tok, _ := mustToken(ctx, h)
	be := gw.Backend
	be.Mu.Lock()
	defer be.Mu.Unlock()
	for _, a := range be.Authorization {
		raw := strings.TrimPrefix(a, "Bearer ")
		if raw == tok.AccessToken {
			t.Fatal("the client's token reached the backend")
		}
		if !strings.HasPrefix(a, "Bearer ") {
			t.Fatalf("Authorization = %q", a)
		}
	}
	if len(be.Authorization) == 0 {
		t.Fatal("no assertion reached the backend")
	}
}

func TestIdentityAssertionVerifier(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: assertionYAML})
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string)
	gwtest.MCPCall(t, gw.MCP, "Bearer "+at)
	gw.Backend.Mu.Lock()
	raw := strings.TrimPrefix(gw.Backend.Authorization[0], "Bearer ")
	gw.Backend.Mu.Unlock()

	v, _ := assertion.NewVerifier(assertion.Config{Issuer: gw.URL, Audience: "https://snippets.internal"})
	id, err := v.Verify(context.Background(), raw)
	if err != nil || id.Subject != "local:alice" || id.ClientID != c.ID || id.Scope != "snippets" || id.Email != "alice@example.com" || len(id.Groups) != 1 {
		t.Fatalf("Verify = %+v, %v", id, err)
	}
	other, _ := assertion.NewVerifier(assertion.Config{Issuer: gw.URL, Audience: "https://elsewhere"})
	if _, err := other.Verify(context.Background(), raw); err == nil {
		t.Error("an assertion for another backend was accepted")
	}
	// The client's access token is not an assertion (typ at+jwt).
	if _, err := v.Verify(context.Background(), at); err == nil {
		t.Error("an access token passed as an identity assertion")
	}
	// Expired.
	late, _ := assertion.NewVerifier(assertion.Config{Issuer: gw.URL, Audience: "https://snippets.internal", Now: func() time.Time { return time.Now().Add(10 * time.Minute) }})
	if _, err := late.Verify(context.Background(), raw); err == nil {
		t.Error("an expired assertion was accepted")
	}
}

// TestClientCredentialsBackend: the backend gets a token of its own from a
// token endpoint, fetched once and reused.
func TestClientCredentialsBackend(t *testing.T) {
	var mu sync.Mutex
	issued := 0
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		user, pass, _ := r.BasicAuth()
		if r.Form.Get("grant_type") != "client_credentials" || user != "gw" || pass != "backend-secret-0123" || r.Form.Get("audience") != "snippets-api" {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		mu.Lock()
		issued++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "backend-own-token", "token_type": "Bearer", "expires_in": 3600})
	}))
	defer idp.Close()
	extra := `    auth:
      mode: client_credentials
      token_url: ` + idp.URL + `/token
      client_id: gw
      client_secret: backend-secret-0123
      audience: snippets-api
`
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra})
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string)
	for range 3 {
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+at); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	gw.Backend.Mu.Lock()
	defer gw.Backend.Mu.Unlock()
	for _, a := range gw.Backend.Authorization {
		if a != "Bearer backend-own-token" {
			t.Fatalf("backend Authorization = %q", a)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if issued != 1 {
		t.Errorf("%d tokens fetched for 3 requests, want 1 (cached)", issued)
	}
}
