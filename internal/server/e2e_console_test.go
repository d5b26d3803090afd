package server_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// consoleSignIn signs user in to the console with the protocol-level
// browser and returns the page it lands on.
func consoleSignIn(t *testing.T, gw *gwtest.Gateway, user string) (*browser.Browser, *browser.Page) {
	t.Helper()
	b := browser.New(gw.URL)
	p, err := b.Get(gw.URL + "/console/login")
	if err != nil || p.Path() != "/login" {
		t.Fatalf("console sign-in did not reach the sign-in page: %v %s", err, b.Trace)
	}
	f := p.HiddenFields()
	f.Set("username", user)
	f.Set("password", gwtest.Password)
	p, err = b.Submit(p, "/login", f)
	if err != nil || p.Path() != "/console" || p.Resp.StatusCode != 200 {
		t.Fatalf("console sign-in ended at %s: %v %v", p.Path(), err, b.Trace)
	}
	return b, p
}

func consolePost(t *testing.T, b *browser.Browser, p *browser.Page, action string, form url.Values) *browser.Page {
	t.Helper()
	np, err := b.Submit(p, action, form)
	if err != nil {
		t.Fatal(err)
	}
	return np
}

// TestConsoleRevokeAgent: a user signs in to the console, sees the client
// they approved, and revoking it makes the client's very next MCP call
// fail with 401, while forged forms change nothing.
func TestConsoleRevokeAgent(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {groups: [eng]}\n"})
	c := gwtest.RegisterClient(t, gw, map[string]any{"client_name": "Bob's agent"})
	tok := c.Tokens("bob")["access_token"].(string)
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok); resp.StatusCode != 200 {
		t.Fatalf("MCP call before: %d", resp.StatusCode)
	}

	b, p := consoleSignIn(t, gw, "bob")
	for _, want := range []string{"Bob&#39;s agent", "unverified name", "Dynamic client registration", "127.0.0.1 (this computer)",
		"<code>snippets</code>", "Snippets", c.ID} {
		if !p.Has(want) {
			t.Errorf("the agents page lacks %q", want)
		}
	}
	if p.Has("drawbridge-console") || p.Has("/console/admin/clients") {
		t.Error("the agents page lists the console itself, or admin links for a non-admin")
	}
	checkPageHeaders(t, p.Resp)
	u, _ := url.Parse(gw.URL)
	for _, ck := range b.Client.Jar.Cookies(u) {
		if ck.Name == "drawbridge-console" && strings.Contains(gw.Logs.String(), ck.Value) {
			t.Error("the session id was logged")
		}
	}

	form := p.HiddenFields()
	// A form without the CSRF token, or with another's, changes nothing.
	for _, bad := range []string{"", "forged"} {
		f := url.Values{"client": {c.ID}, "csrf": {bad}}
		if np := consolePost(t, b, p, "/console/agents/revoke", f); np.Resp.StatusCode != http.StatusForbidden || !np.Has("Nothing was changed") {
			t.Fatalf("revoke with csrf %q: %d %s", bad, np.Resp.StatusCode, np.Path())
		}
	}
	// So does a form from another site, token or not.
	req, _ := http.NewRequest("POST", gw.URL+"/console/agents/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := b.Client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site revoke: %v %v", resp, err)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok); resp.StatusCode != 200 {
		t.Fatalf("MCP call after refused forms: %d", resp.StatusCode)
	}
	// A non-admin gets a page saying so.
	if ap, _ := b.Get(gw.URL + "/console/admin/clients"); ap.Resp.StatusCode != http.StatusForbidden || !ap.Has("administrators") {
		t.Fatalf("bob at the admin console: %d", ap.Resp.StatusCode)
	}

	p = consolePost(t, b, p, "/console/agents/revoke", form)
	if p.Path() != "/console" || !p.Has("Access revoked") || p.Has(c.ID) {
		t.Fatalf("after revoking: %s %d", p.Path(), p.Resp.StatusCode)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the revoked client's next MCP call: %d, want 401", resp.StatusCode)
	}
	if _, err := gw.Srv.Store().GetConsent(t.Context(), "local:bob", c.ID); err == nil {
		t.Error("the consent survived the revocation")
	}

	// Signing out ends the session and its grant.
	p = consolePost(t, b, p, "/console/logout", p.HiddenFields())
	if !p.Has("signed out") {
		t.Fatalf("sign-out: %d %s", p.Resp.StatusCode, p.Path())
	}
	if p, _ = b.Get(gw.URL + "/console"); !p.Has(`href="/console/login"`) {
		t.Fatal("still signed in after signing out")
	}
	gs, _ := gw.Srv.Store().ListGrants(t.Context(), storage.GrantFilter{Subject: "local:bob", ClientID: "drawbridge-console"})
	if len(gs) != 0 {
		t.Errorf("the console grant is still live after sign-out: %+v", gs)
	}
}

// TestConsoleErrors: wrong methods, unknown pages, forged callbacks and
// missing sessions get readable pages, never a 500 or the mux's text.
func TestConsoleErrors(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	b := browser.New(gw.URL)
	for _, tc := range []struct {
		method, path string
		status       int
		says         string
	}{
		{"GET", "/console/nope", 404, "no such page"},
		{"POST", "/console", 405, "only shows a page"},
		{"GET", "/console/logout", 405, "only accepts a form"},
		{"POST", "/console/agents/revoke", 401, "not signed in"},
		{"GET", "/console/callback?code=x&state=y&iss=" + url.QueryEscape(gw.URL), 400, "another browser"},
		{"GET", "/console/callback", 400, "another browser"},
		{"GET", "/console/admin/audit", 303, ""},
		{"GET", "/console/", 301, ""},
	} {
		req, _ := http.NewRequest(tc.method, gw.URL+tc.path, nil)
		b.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := b.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(raw)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s %s: %d, want %d with %q\n%s", tc.method, tc.path, resp.StatusCode, tc.status, tc.says, body)
		}
		if tc.path == "/console/" && resp.Header.Get("Location") != "/console" {
			t.Errorf("/console/ redirects to %q, want /console", resp.Header.Get("Location"))
		}
		if (tc.status < 300 || tc.status >= 400) && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, resp.Header.Get("Content-Type"))
		}
	}
}

// checkPageHeaders: every page forbids framing, scripts and outside
// resources.
func checkPageHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", resp.Request.URL.Path, csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("%s: CSP allows scripts: %q", resp.Request.URL.Path, csp)
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
		"Cross-Origin-Opener-Policy": "same-origin"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %s = %q, want %q", resp.Request.URL.Path, h, got, want)
		}
	}
}

// TestGrantLastUsed: an MCP request counts as a use of its grant, which
// the console shows as "last used"; it reaches the store in batches (here:
// when the server stops).
func TestGrantLastUsed(t *testing.T) {
	dir := t.TempDir()
	gw := gwtest.Start(t, gwtest.Options{DataDir: dir})
	c := gwtest.RegisterClient(t, gw, nil)
	tok := c.Tokens("bob")["access_token"].(string)
	gw.Clock.Advance(30 * time.Minute)
	usedAt := gw.Clock.Now()
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok); resp.StatusCode != 200 {
		t.Fatalf("MCP call: %d", resp.StatusCode)
	}
	gw.Stop()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gs, err := st.ListGrants(t.Context(), storage.GrantFilter{ClientID: c.ID})
	if err != nil || len(gs) != 1 {
		t.Fatalf("grants: %v %v", gs, err)
	}
	if got := gs[0].LastUsedAt; got.Before(usedAt) {
		t.Errorf("last used %v, want the MCP call's time %v", got, usedAt)
	}
}

// TestConsoleWithUpstreamOIDC: with an upstream identity provider, the
// console's sign-in goes there and back through the usual /callback, and
// the provider's groups decide who administers.
func TestConsoleWithUpstreamOIDC(t *testing.T) {
	idp := oidctest.Start(t, oidctest.Options{Users: []oidctest.User{{Username: "carol", Subject: "carol-sub",
		Email: "carol@example.com", Name: "Carol", Groups: []string{"finance"}}}})
	idp.SetAutoLogin("carol")
	const secret = "idp-client-secret-for-tests"
	gw := gwtest.Start(t, gwtest.Options{
		Identity:  fmt.Sprintf("identity: {type: oidc, oidc: {issuer: %q, client_id: drawbridge, client_secret: \"${IDP_SECRET}\"}}\n", idp.Issuer()),
		ExtraYAML: "admin: {groups: [finance]}\n", Env: map[string]string{"IDP_SECRET": secret}, IdPClient: idp.Client()})
	idp.AddClient("drawbridge", secret, gw.URL+"/callback")
	b := browser.New(gw.URL, idp.BaseURL())
	b.Client.Transport = idp.Client().Transport
	p, err := b.Get(gw.URL + "/console/login")
	if err != nil || p.Path() != "/console" || !p.Has("Carol (carol@example.com)") || !p.Has("/console/admin/clients") {
		t.Fatalf("console sign-in through the identity provider ended at %s: %v\n%v", p.Path(), err, b.Trace)
	}
	if len(idp.RequestsTo("authorize")) != 1 {
		t.Error("the console's sign-in did not go to the identity provider")
	}
	if p, _ = b.Get(gw.URL + "/console/admin/keys"); p.Resp.StatusCode != 200 {
		t.Fatalf("carol (finance) at the admin console: %d", p.Resp.StatusCode)
	}
}

// TestConsoleAdminNetworks: admin.allowed_networks keeps the admin pages,
// like the admin API, to those addresses; the user's own page stays open.
func TestConsoleAdminNetworks(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {groups: [eng], allowed_networks: [10.0.0.0/8]}\n"})
	b, p := consoleSignIn(t, gw, gwtest.User)
	if !p.Has("Your connected agents") || p.Has("/console/admin/") {
		t.Fatalf("the agents page from an outside network: %d, admin links %v", p.Resp.StatusCode, p.Has("/console/admin/"))
	}
	if p, _ = b.Get(gw.URL + "/console/admin/clients"); p.Resp.StatusCode != http.StatusForbidden || !p.Has("cannot be reached from your network") {
		t.Fatalf("the admin pages from outside admin.allowed_networks: %d", p.Resp.StatusCode)
	}
}

// TestConsolePaging: the admin lists come a page at a time; following
// "Next page" shows every row once, "First page" leads back, and a page
// link that is not one gets a readable 400 page.
func TestConsolePaging(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {groups: [eng]}\n"})
	var ids []string
	for i := range 3 {
		c := gwtest.RegisterClient(t, gw, map[string]any{"client_name": fmt.Sprintf("Agent %d", i)})
		c.Tokens("bob")
		ids = append(ids, c.ID)
	}
	b, _ := consoleSignIn(t, gw, gwtest.User)
	nextLink := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next page</a>`)
	follow := func(start string) (pages []*browser.Page) {
		t.Helper()
		u := start
		for len(pages) < 10 {
			p, err := b.Get(u)
			if err != nil || p.Resp.StatusCode != 200 {
				t.Fatalf("%s: %v %v", u, err, p)
			}
			pages = append(pages, p)
			m := nextLink.FindStringSubmatch(p.Body)
			if m == nil {
				return pages
			}
			u = gw.URL + html.UnescapeString(m[1])
		}
		t.Fatalf("more than 10 pages from %s", start)
		return nil
	}

	pages := follow(gw.URL + "/console/admin/clients?limit=2")
	for _, id := range ids {
		n := 0
		for _, p := range pages {
			n += strings.Count(p.Body, "<code class=\"id\">"+id+"</code>")
		}
		if n != 1 {
			t.Errorf("client %s shown %d times across %d pages", id, n, len(pages))
		}
	}
	if len(pages) < 2 || pages[0].Has("First page") || !pages[len(pages)-1].Has("First page") {
		t.Errorf("%d client pages; want several, with First page on all but the first", len(pages))
	}

	pages = follow(gw.URL + "/console/admin/grants?user=local%3Abob&limit=2")
	if len(pages) != 2 {
		t.Fatalf("%d pages of bob's 3 grants, want 2", len(pages))
	}
	for i, p := range pages {
		if got, want := strings.Count(p.Body, ">local:bob</a>"), []int{2, 1}[i]; got != want {
			t.Errorf("grants page %d shows %d of bob's grants, want %d", i+1, got, want)
		}
	}
	if !strings.Contains(pages[1].Resp.Request.URL.RawQuery, "user=local%3Abob") {
		t.Errorf("the next page lost the filter: %s", pages[1].Resp.Request.URL)
	}

	for _, u := range []string{"/console/admin/clients?after=%21%21", "/console/admin/grants?limit=0"} {
		p, err := b.Get(gw.URL + u)
		if err != nil || p.Resp.StatusCode != http.StatusBadRequest || !p.Has("page link is not valid") {
			t.Errorf("%s: %v %v", u, err, p.Resp.StatusCode)
		}
	}
}

// TestStylesheets: the pages' stylesheets are served where the pages link
// them, and their folders are not listed.
func TestStylesheets(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	for path, want := range map[string]int{"/static/drawbridge.css": 200, "/console/static/console.css": 200,
		"/static/": 404, "/console/static/": 404} {
		resp, err := http.Get(gw.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || (want == 200 && resp.Header.Get("Content-Type") != "text/css; charset=utf-8") {
			t.Errorf("%s: %d %s, want %d", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
	}
}
