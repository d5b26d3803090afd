package console_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/chromium"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestBrowserAdmin: an administrator (alice, in the eng group) manages
// clients, grants, servers, keys and the audit trail from the console in a
// real browser, and what they do takes effect.
func TestBrowserAdmin(t *testing.T) {
	b := chromium.New(t)
	gw, c, _ := startGateway(t)
	token := c.Tokens("bob")["access_token"].(string)
	if s := mcpStatus(t, gw, token); s != 200 {
		t.Fatalf("bob's MCP call: %d", s)
	}

	consoleSignIn(t, b, gw, gwtest.User, false)
	for _, want := range []string{"Clients", "Grants", "Servers", "Keys", "Audit", "Alice (alice@example.com)"} {
		if !strings.Contains(b.Text(), want) {
			t.Errorf("an administrator's console lacks %q", want)
		}
	}

	// Clients: the registered one and the console itself, by kind.
	b.Click(`nav a[href="/console/admin/clients"]`)
	text := b.Text()
	for _, want := range []string{"Snippet Helper", "unverified name", "DCR", "Drawbridge console", "pre-registered", "in the configuration file"} {
		if !strings.Contains(text, want) {
			t.Errorf("the clients page does not say %q:\n%s", want, text)
		}
	}
	b.Shot("console-clients", true)
	b.Click(`button[aria-label="Disable Snippet Helper"]`)
	if text = b.Text(); !strings.Contains(text, "Client disabled; 1 grant(s) revoked.") || !strings.Contains(text, "disabled") {
		t.Fatalf("after disabling:\n%s", text)
	}
	if s := mcpStatus(t, gw, token); s != http.StatusUnauthorized {
		t.Fatalf("a disabled client's MCP call: %d, want 401", s)
	}
	b.Click(`button[aria-label="Enable Snippet Helper"]`)
	if !strings.Contains(b.Text(), "Client enabled.") {
		t.Fatalf("after enabling:\n%s", b.Text())
	}

	// Grants and consents: filter by user, revoke all of them.
	token = c.Tokens("bob")["access_token"].(string)
	b.Click(`nav a[href="/console/admin/grants"]`)
	b.Type("#f-user", "local:bob")
	b.Click(`form.filter button[type=submit]`)
	text = b.Text()
	if !strings.Contains(text, "Grants of local:bob") || !strings.Contains(text, "Consents of local:bob") || strings.Count(text, "Snippet Helper") < 2 {
		t.Fatalf("the grants page filtered by user:\n%s", text)
	}
	b.Shot("console-grants", true)
	b.Click(`form.bulk button`)
	if text = b.Text(); !strings.Contains(text, "1 grant(s) revoked.") || !strings.Contains(text, "No grants match.") {
		t.Fatalf("after revoking bob's grants:\n%s", text)
	}
	if s := mcpStatus(t, gw, token); s != http.StatusUnauthorized {
		t.Fatalf("bob's MCP call after an administrator revoked his grants: %d, want 401", s)
	}
	b.Click(`button[aria-label="Withdraw the consent for Snippet Helper"]`)
	if text = b.Text(); !strings.Contains(text, "Consent withdrawn") || !strings.Contains(text, "No consents.") {
		t.Fatalf("after withdrawing bob's consent:\n%s", text)
	}

	// Servers and their health.
	b.Click(`nav a[href="/console/admin/servers"]`)
	if text = b.Text(); !strings.Contains(text, "snippets") || !strings.Contains(text, "reachable") {
		t.Fatalf("the servers page:\n%s", text)
	}
	b.Shot("console-servers", true)

	// Keys: rotate.
	b.Click(`nav a[href="/console/admin/keys"]`)
	if n := strings.Count(b.Text(), "ES256"); n != 1 {
		t.Fatalf("%d keys before rotating", n)
	}
	b.Click(`form.bulk button`)
	if text = b.Text(); !strings.Contains(text, "A new signing key is current") || strings.Count(text, "ES256") != 2 || !strings.Contains(text, "previous") {
		t.Fatalf("after rotating:\n%s", text)
	}
	b.Shot("console-keys", true)

	// The audit trail: bob's MCP calls, then the chain.
	b.Click(`nav a[href="/console/admin/audit"]`)
	b.Type("#a-user", "local:bob")
	b.Type("#a-type", "mcp.request")
	b.Click(`form.filter button[type=submit]`)
	for i := 0; i < 50 && !strings.Contains(b.Text(), "snippets"); i++ {
		b.Open(b.URL()) // events are written in batches
	}
	if text = b.Text(); !strings.Contains(text, "mcp.request") || !strings.Contains(text, "local:bob") || strings.Contains(text, "local:alice") {
		t.Fatalf("the audit page filtered by user and type:\n%s", text)
	}
	b.Shot("console-audit", true)
	b.Click(`a[href="/console/admin/audit/verify"]`)
	if text = b.Text(); !strings.Contains(text, "The audit trail is intact") {
		t.Fatalf("verifying the audit trail:\n%s", text)
	}
	if status := b.Open(gw.URL + "/console/admin/audit?from=yesterday"); status != http.StatusBadRequest || !strings.Contains(b.Text(), "RFC 3339") {
		t.Fatalf("a bad time filter: %d\n%s", status, b.Text())
	}
	if b.Open(gw.URL + "/console/admin/audit?from=2999-01-01T00:00"); !strings.Contains(b.Text(), "No events match.") {
		t.Fatalf("a filter in the future:\n%s", b.Text())
	}

	// Blocking metadata-document clients: by client_id URL, then by host
	// (chosen in the form's list), then unblocking both.
	b.Open(gw.URL + "/console/admin/clients")
	if !strings.Contains(b.Text(), "Nothing is blocked.") {
		t.Fatalf("the clients page before blocking:\n%s", b.Text())
	}
	b.Type("#b-value", "https://agents.example/client.json")
	b.Type("#b-reason", "asks for too much")
	b.Click(`form[action="/console/admin/blocks/add"] button[type=submit]`)
	b.Do(chromedp.SetValue(chromedp.CSS("#b-kind"), "host"))
	b.Type("#b-value", "Tools.Example")
	b.Click(`form[action="/console/admin/blocks/add"] button[type=submit]`)
	text = b.Text()
	for _, want := range []string{"Blocked; 0 grant(s) revoked.", "client_id https://agents.example/client.json", "asks for too much",
		"host tools.example", "local:alice"} {
		if !strings.Contains(text, want) {
			t.Errorf("the clients page after blocking does not say %q:\n%s", want, text)
		}
	}
	blocks, err := gw.Srv.Store().ListClientBlocks(t.Context())
	if err != nil || len(blocks) != 2 {
		t.Fatalf("blocks in the store after blocking in the console: %v %v", blocks, err)
	}
	b.Shot("console-blocks", true)
	b.Type("#b-value", "https://agents.example/")
	if status := b.Click(`form[action="/console/admin/blocks/add"] button[type=submit]`); status != http.StatusBadRequest || !strings.Contains(b.Text(), "Nothing was changed") {
		t.Fatalf("blocking a URL that is no client_id: %d\n%s", status, b.Text())
	}
	b.Open(gw.URL + "/console/admin/clients")
	b.Click(`button[aria-label="Unblock https://agents.example/client.json"]`)
	b.Click(`button[aria-label="Unblock tools.example"]`)
	if text = b.Text(); !strings.Contains(text, "Unblocked.") || !strings.Contains(text, "Nothing is blocked.") {
		t.Fatalf("after unblocking both:\n%s", text)
	}

	// Deleting the client removes it.
	b.Open(gw.URL + "/console/admin/clients")
	b.Click(`button[aria-label="Delete Snippet Helper"]`)
	if text = b.Text(); !strings.Contains(text, "Client deleted") || strings.Contains(text, "Snippet Helper") {
		t.Fatalf("after deleting:\n%s", text)
	}

	// An administrator who revokes their own console session is signed out.
	b.Open(gw.URL + "/console/admin/grants?client=drawbridge-console")
	b.Click(`form.bulk button`)
	if !strings.Contains(b.Text(), "Sign in") {
		t.Fatalf("the console session outlived its revoked grant:\n%s", b.Text())
	}
}
