package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/chromium"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// These tests drive a real headless Chromium through the pages people
// see: the sign-in, consent and error pages of the authorization flow, and
// the console. They skip when there is no Chromium (see package chromium).

// callback is an MCP client's local redirect endpoint: it keeps the
// authorization response, as a desktop client's loopback listener does.
type callback struct {
	*httptest.Server
	mu    sync.Mutex
	query url.Values
}

func newCallback(t *testing.T) *callback {
	cb := &callback{}
	cb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			// The browser's own requests (its favicon, after the page):
			// they must not overwrite what the redirect brought.
			http.NotFound(w, r)
			return
		}
		cb.mu.Lock()
		cb.query = r.URL.Query()
		cb.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Done</title><p>You can close this window."))
	}))
	t.Cleanup(cb.Close)
	return cb
}

func (cb *callback) got() url.Values {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.query
}

// startGateway runs a gateway whose administrators are the eng group
// (alice), with one MCP client registered dynamically whose redirect URI
// is cb.
func startGateway(t *testing.T) (*gwtest.Gateway, *gwtest.Client, *callback) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: `
admin: {groups: [eng]}
scopes:
  - {name: snippets, description: Read and save your snippets}
`})
	cb := newCallback(t)
	c := gwtest.RegisterClient(t, gw, map[string]any{"client_name": "Snippet Helper", "redirect_uris": []string{cb.URL + "/callback"}})
	return gw, c, cb
}

// signIn fills in the sign-in page.
func signIn(t *testing.T, b *chromium.Tab, user string) int {
	t.Helper()
	b.Type("#username", user)
	b.Type("#password", gwtest.Password)
	return b.Click(`button[type=submit]`)
}

// approve runs an MCP client's authorization in the browser: sign in,
// allow, and the code arrives at the client's redirect URI. It returns
// the client's access token.
func approve(t *testing.T, b *chromium.Tab, c *gwtest.Client, cb *callback, user string, shots bool) string {
	t.Helper()
	verifier := gwtest.NewVerifier()
	if status := b.Open(c.AuthorizeURL(verifier, nil)); status != 200 || !strings.Contains(b.Text(), "Snippet Helper") {
		t.Fatalf("authorize: %d at %s\n%s", status, b.URL(), b.Text())
	}
	if shots {
		b.Shot("signin", true)
	}
	if status := signIn(t, b, user); status != 200 || !strings.Contains(b.URL(), "/consent") {
		t.Fatalf("sign-in: %d at %s", status, b.URL())
	}
	text := b.Text()
	for _, want := range []string{"Snippet Helper", "unverified name", "Snippets", "127.0.0.1", "Read and save your snippets"} {
		if !strings.Contains(text, want) {
			t.Errorf("the consent page does not say %q:\n%s", want, text)
		}
	}
	if shots {
		b.Shot("consent", true)
	}
	b.Click(`button[value=approve]`)
	q := cb.got()
	if q.Get("code") == "" || q.Get("iss") != c.GW.URL {
		t.Fatalf("the client got no code: %v (browser at %s)", q, b.URL())
	}
	status, body := c.Redeem(q.Get("code"), verifier)
	if status != 200 {
		t.Fatalf("token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

// consoleSignIn signs in to the console from its start page.
func consoleSignIn(t *testing.T, b *chromium.Tab, gw *gwtest.Gateway, user string, shots bool) {
	t.Helper()
	if status := b.Open(gw.URL + "/console"); status != 200 || !strings.Contains(b.Text(), "Sign in") {
		t.Fatalf("console start page: %d\n%s", status, b.Text())
	}
	if shots {
		b.Shot("console-start", true)
	}
	b.Click(`a[href="/console/login"]`)
	if !strings.Contains(b.URL(), "/login") || !strings.Contains(b.Text(), "Drawbridge console") {
		t.Fatalf("the console's sign-in went to %s:\n%s", b.URL(), b.Text())
	}
	if status := signIn(t, b, user); status != 200 || !strings.HasSuffix(b.URL(), "/console") {
		t.Fatalf("console sign-in: %d at %s\n%s", status, b.URL(), b.Text())
	}
}

func mcpStatus(t *testing.T, gw *gwtest.Gateway, token string) int {
	t.Helper()
	return gwtest.MCPCall(t, gw.MCP, "Bearer "+token).StatusCode
}

// TestBrowserUserRevokesAgent: a person approves an MCP client, finds it
// in the console, revokes it, and the client's next MCP call gets 401.
// The person is not an administrator: the admin pages answer 403.
func TestBrowserUserRevokesAgent(t *testing.T) {
	b := chromium.New(t)
	gw, c, cb := startGateway(t)
	token := approve(t, b, c, cb, "bob", true)
	if s := mcpStatus(t, gw, token); s != 200 {
		t.Fatalf("MCP call with the new token: %d", s)
	}

	consoleSignIn(t, b, gw, "bob", true)
	text := b.Text()
	for _, want := range []string{"Your connected agents", "Snippet Helper", "unverified name", "Dynamic client registration",
		"127.0.0.1 (this computer)", "snippets — Read and save your snippets", "Snippets", "Approved", "Last used", "bob@example.com"} {
		if !strings.Contains(text, want) {
			t.Errorf("the agents page does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Clients") || strings.Contains(text, "Audit") {
		t.Error("a non-administrator sees the admin navigation")
	}
	b.Shot("console-agents", true)

	if status := b.Open(gw.URL + "/console/admin/clients"); status != http.StatusForbidden || !strings.Contains(b.Text(), "not one") {
		t.Fatalf("bob at the admin console: %d\n%s", status, b.Text())
	}
	b.Shot("console-forbidden", true)

	b.Open(gw.URL + "/console")
	if status := b.Click(`button[aria-label="Revoke access for Snippet Helper"]`); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	text = b.Text()
	if !strings.Contains(text, "Access revoked") || strings.Contains(text, "Snippet Helper") {
		t.Fatalf("after revoking:\n%s", text)
	}
	b.Shot("console-agent-revoked", false)
	if s := mcpStatus(t, gw, token); s != http.StatusUnauthorized {
		t.Fatalf("the revoked client's next MCP call: %d, want 401", s)
	}

	b.Click(`form.signout button`)
	if !strings.Contains(b.Text(), "signed out") {
		t.Fatalf("sign-out:\n%s", b.Text())
	}
	if b.Open(gw.URL + "/console/admin/clients"); !strings.HasSuffix(b.URL(), "/console") || !strings.Contains(b.Text(), "Sign in") {
		t.Fatalf("after signing out, a console page shows %s", b.URL())
	}
}
