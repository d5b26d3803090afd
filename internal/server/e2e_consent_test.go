package server_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// sharedScopeServer is a second MCP server that knows the first one's
// scope "snippets" besides its own "other": a scope name says nothing
// about which server it was approved for.
const sharedScopeServer = `  - name: other
    path: /other/mcp
    upstream: http://127.0.0.1:9/mcp
    scopes: [other, snippets]
`

// consentAsk is what a consent page asks for and what it says was
// approved before.
type consentAsk struct{ New, Previously []string }

var (
	askedRE    = regexp.MustCompile(`(?s)<ul class="scopes">(.*?)</ul>`)
	allowedRE  = regexp.MustCompile(`(?s)<dt>Already allowed</dt><dd>(.*?)</dd>`)
	codeNameRE = regexp.MustCompile(`<code>([^<]*)</code>`)
)

func readConsentPage(t *testing.T, p *browser.Page) consentAsk {
	t.Helper()
	if p.Path() != "/consent" || p.Resp.StatusCode != http.StatusOK {
		t.Fatalf("expected the consent page, got %s (status %d, redirect %v)", p.Path(), p.Resp.StatusCode, p.Callback)
	}
	names := func(re *regexp.Regexp) []string {
		var out []string
		if m := re.FindStringSubmatch(p.Body); m != nil {
			for _, c := range codeNameRE.FindAllStringSubmatch(m[1], -1) {
				out = append(out, c[1])
			}
		}
		return out
	}
	return consentAsk{New: names(askedRE), Previously: names(allowedRE)}
}

// authorizeAs starts an authorization for resource and scope and signs
// alice in; it returns the page that follows the sign-in: the consent page,
// or the redirect with a code when no consent was needed.
func authorizeAs(t *testing.T, c *gwtest.Client, resource, scope string) *browser.Page {
	t.Helper()
	p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), map[string]string{"resource": resource, "scope": scope}))
	if err != nil || p.Path() != "/login" {
		t.Fatalf("authorize %s %q: %v (stopped at %s)", resource, scope, err, p.Path())
	}
	f := p.HiddenFields()
	f.Set("username", gwtest.User)
	f.Set("password", gwtest.Password)
	if p, err = c.Browser.Submit(p, "/login", f); err != nil {
		t.Fatal(err)
	}
	return p
}

// approve answers the consent page with Allow and checks a code came back.
func approve(t *testing.T, c *gwtest.Client, p *browser.Page) {
	t.Helper()
	p, err := c.Browser.Consent(p, true)
	if err != nil || p.Callback == nil || p.Callback.Query().Get("code") == "" {
		t.Fatalf("approving: %v (stopped at %s)", err, p.Path())
	}
}

func wantAsk(t *testing.T, what string, got consentAsk, newScopes, previously []string) {
	t.Helper()
	if !slices.Equal(got.New, newScopes) || !slices.Equal(got.Previously, previously) {
		t.Errorf("%s: the consent page asks for %q with %q already allowed; want %q with %q",
			what, got.New, got.Previously, newScopes, previously)
	}
}

// TestConsentIsPerServer: what a user approved for one MCP server is not
// approved for another, even when the other server uses the same scope
// names and the user approved that client for the other server before.
func TestConsentIsPerServer(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: sharedScopeServer})
	serverA, serverB := gw.MCP, gw.URL+"/other/mcp"

	t.Run("a scope approved for one server is asked again for another", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		approve(t, c, authorizeAs(t, c, serverA, "snippets"))
		wantAsk(t, "server B, never approved", readConsentPage(t, authorizeAs(t, c, serverB, "snippets")), []string{"snippets"}, nil)
	})
	t.Run("also once the other server was approved for something else", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		approve(t, c, authorizeAs(t, c, serverA, "snippets"))
		approve(t, c, authorizeAs(t, c, serverB, "other"))
		// The attack: snippets was approved for A only, other for B only.
		p := authorizeAs(t, c, serverB, "other snippets")
		if p.Callback != nil {
			t.Fatal("a code was issued for server B with a scope approved only for server A")
		}
		wantAsk(t, "server B asking snippets", readConsentPage(t, p), []string{"snippets"}, []string{"other"})
		// What was approved for each server still needs no question.
		for res, scope := range map[string]string{serverA: "snippets", serverB: "other"} {
			if p := authorizeAs(t, c, res, scope); p.Callback == nil || p.Callback.Query().Get("code") == "" {
				t.Errorf("%s %q, approved before, was asked again (%s)", res, scope, p.Path())
			}
		}
	})
	t.Run("offline_access approved for one server does not count for another", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		approve(t, c, authorizeAs(t, c, serverA, "snippets offline_access"))
		approve(t, c, authorizeAs(t, c, serverB, "other"))
		p := authorizeAs(t, c, serverB, "other offline_access")
		if p.Callback != nil {
			t.Fatal("a code with offline_access was issued for server B without asking")
		}
		wantAsk(t, "server B asking offline_access", readConsentPage(t, p), []string{"offline_access"}, []string{"other"})
		approve(t, c, p)
		// Now approved there too; and A still has it.
		for _, res := range []string{serverA, serverB} {
			scope := map[string]string{serverA: "snippets offline_access", serverB: "other offline_access"}[res]
			if p := authorizeAs(t, c, res, scope); p.Callback == nil {
				t.Errorf("%s %q was asked again after approval (%s)", res, scope, p.Path())
			}
		}
	})
	t.Run("a step-up on the same server asks only for the new scope", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		approve(t, c, authorizeAs(t, c, serverB, "other"))
		p := authorizeAs(t, c, serverB, "other snippets offline_access")
		wantAsk(t, "step-up on server B", readConsentPage(t, p), []string{"snippets", "offline_access"}, []string{"other"})
		approve(t, c, p)
		if p := authorizeAs(t, c, serverB, "snippets"); p.Callback == nil {
			t.Errorf("a scope approved in the step-up was asked again (%s)", p.Path())
		}
	})
}

// TestConsentReaders: the admin API and the console show a consent per
// server, each with its own scopes, never one list of scopes beside one
// list of servers.
func TestConsentReaders(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: sharedScopeServer + "admin: {groups: [eng]}\n"})
	serverA, serverB := gw.MCP, gw.URL+"/other/mcp"
	c := gwtest.RegisterClient(t, gw, map[string]any{"client_name": "Two-server agent"})
	approve(t, c, authorizeAs(t, c, serverA, "snippets offline_access"))
	approve(t, c, authorizeAs(t, c, serverB, "other"))

	status, m := adminCall(t, gw, adminToken(t, gw, gwtest.User), "GET", "/admin/api/consents?user=local:alice")
	var found map[string]any
	for _, v := range m["consents"].([]any) {
		if cv := v.(map[string]any); cv["client_id"] == c.ID {
			found = cv
		}
	}
	want := map[string]any{serverA: []any{"snippets", "offline_access"}, serverB: []any{"other"}}
	if status != http.StatusOK || found == nil || mustJSON(found["approved"]) != mustJSON(want) || found["user"] != "local:alice" {
		t.Errorf("GET /admin/api/consents: %d %v; want the client's consent approved = %v", status, found, want)
	}

	_, p := consoleSignIn(t, gw, gwtest.User)
	card := regexp.MustCompile(`(?s)Two-server agent.*?Client ID`).FindString(p.Body)
	scopesOf := func(server string) string {
		m := regexp.MustCompile(`(?s)<p class="server">` + regexp.QuoteMeta(server) + `</p><ul class="scopes">(.*?)</ul>`).FindStringSubmatch(card)
		if m == nil {
			t.Fatalf("the agents page does not list the scopes of %s:\n%s", server, card)
		}
		return m[1]
	}
	// Servers show by title (Snippets), or by name (other).
	onA, onB := scopesOf("Snippets"), scopesOf("other")
	if !strings.Contains(onA, "<code>offline_access</code>") || !strings.Contains(onB, "<code>other</code>") ||
		strings.Contains(onB, "offline_access") || strings.Contains(onB, "<code>snippets</code>") {
		t.Errorf("the agents page shows scopes under the wrong server: Snippets %q, other %q", onA, onB)
	}
}
