package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/chromium"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestBrowserTimeline: an administrator opens the connection timeline of
// a client that connected through to an MCP call, and of one that did not
// (it asked for a resource this server does not protect, then redeemed its
// code with the wrong PKCE verifier), and reads each step, the step that
// failed and why.
func TestBrowserTimeline(t *testing.T) {
	b := chromium.New(t)
	gw, good, cb := startGateway(t)

	// The successful connection, through to a first MCP call.
	token := approve(t, b, good, cb, gwtest.User, false)
	if s := mcpStatus(t, gw, token); s != http.StatusOK {
		t.Fatalf("MCP call: %d", s)
	}

	// The failed one: an unknown resource, then a PKCE failure.
	bad := gwtest.RegisterClient(t, gw, map[string]any{"client_name": "Broken Agent", "redirect_uris": []string{cb.URL + "/callback"}})
	b.Open(bad.AuthorizeURL(gwtest.NewVerifier(), map[string]string{"resource": "https://nope.example/mcp"}))
	if q := cb.got(); q.Get("error") != "invalid_target" {
		t.Fatalf("the unknown resource came back with %v", q)
	}
	if status := b.Open(bad.AuthorizeURL(gwtest.NewVerifier(), nil)); status != http.StatusOK {
		t.Fatalf("authorize: %d", status)
	}
	signIn(t, b, gwtest.User)
	b.Click(`button[value=approve]`)
	code := cb.got().Get("code")
	if status, body := bad.Redeem(code, gwtest.NewVerifier()); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("redeeming with the wrong verifier: %d %v", status, body)
	}

	consoleSignIn(t, b, gw, gwtest.User, false)
	b.Open(gw.URL + "/console/admin/clients")
	b.Click(`a[aria-label="Connection timeline of Snippet Helper"]`)
	for i := 0; i < 50 && !strings.Contains(b.Text(), "First MCP request"); i++ {
		b.Open(b.URL()) // events are written in batches
	}
	text := b.Text()
	for _, want := range []string{"Snippet Helper", "succeeded", "Registered (dynamic client registration)",
		"Authorization request accepted", "resource " + gw.MCP, "Signed in", "Consent given", "Code sent back to the client",
		"Tokens issued", "First MCP request", "HTTP 200", "Recognised as MCP Go SDK"} {
		if !strings.Contains(text, want) {
			t.Errorf("the successful client's timeline does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Failed at") || strings.Contains(text, "failed Attempt") {
		t.Errorf("the successful client's timeline shows a failure:\n%s", text)
	}

	b.Open(gw.URL + "/console/admin/clients")
	b.Click(`a[aria-label="Connection timeline of Broken Agent"]`)
	for i := 0; i < 50 && !strings.Contains(b.Text(), "PKCE failed"); i++ {
		b.Open(b.URL())
	}
	text = b.Text()
	for _, want := range []string{"Broken Agent",
		"Failed at token: PKCE failed: the code_verifier the client sent does not match the code_challenge",
		"Token request refused", "Consent given",
		"Failed at authorize: The client asked for the resource https://nope.example/mcp, which this server does not protect. Its resources are: " + gw.MCP,
		"What to do: Configure the client with one of these URLs exactly"} {
		if !strings.Contains(text, want) {
			t.Errorf("the failed client's timeline does not say %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "PKCE failed"), strings.Index(text, "nope.example"); i < 0 || j < 0 || i > j {
		t.Errorf("the newest attempt (PKCE) is not first")
	}
	b.Shot("console-timeline", true)

	// Any client_id may be asked for; one with no attempts says so.
	b.Open(gw.URL + "/console/admin/clients")
	b.Type("#t-id", "https://app.example/client.json")
	b.Click(`form[aria-labelledby=timeline] button[type=submit]`)
	if text = b.Text(); !strings.Contains(text, "No authorization attempts by this client") || !strings.Contains(text, "https://app.example/client.json") {
		t.Errorf("an unknown client's timeline:\n%s", text)
	}
}
