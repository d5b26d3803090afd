package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// metadataClient publishes a document at path and returns a client using
// it, with a grant (and tokens) of bob's.
type metadataClient struct {
	*gwtest.Client
	path   string
	tokens map[string]any
}

func newMetadataClient(t *testing.T, gw *gwtest.Gateway, docs *gwtest.DocServer, path string) *metadataClient {
	t.Helper()
	id := docs.Publish(path, map[string]any{
		"client_name": "Agent " + path, "redirect_uris": []string{gwtest.Redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
	})
	c := &metadataClient{Client: gwtest.NewClient(t, gw, id, gwtest.Redirect), path: path}
	c.tokens = c.Tokens("bob")
	return c
}

// authorizeStatus starts an authorization in a new browser and reports
// where it stopped: the page's status and path, and whether it was
// redirected to the client.
func authorizeStatus(t *testing.T, c *gwtest.Client) (int, string, bool, string) {
	t.Helper()
	p, err := browser.New(c.GW.URL).Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
	if err != nil {
		t.Fatal(err)
	}
	return p.Resp.StatusCode, p.Path(), p.Callback != nil, p.Body
}

// wantRefused: the client is refused everywhere: /authorize shows a page
// that says why (403) and never redirects to the client, /token answers
// invalid_client, and its access token stops working at the gateway.
func wantRefused(t *testing.T, what string, c *metadataClient) {
	t.Helper()
	status, path, redirected, body := authorizeStatus(t, c.Client)
	if status != http.StatusForbidden || path != "/authorize" || redirected || !strings.Contains(body, "blocked") {
		t.Errorf("%s: /authorize answered %d at %s (redirected to the client: %v), want 403 and a page saying it is blocked",
			what, status, path, redirected)
	}
	if st, body := c.Refresh(c.tokens["refresh_token"].(string)); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("%s: refresh answered %d %v, want 401 invalid_client", what, st, body)
	}
	if resp := gwtest.MCPCall(t, c.GW.MCP, "Bearer "+c.tokens["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("%s: its access token at the gateway: %d, want 401", what, resp.StatusCode)
	}
}

// wantWorking: the client's token works and a new authorization reaches
// the sign-in page.
func wantWorking(t *testing.T, what string, c *metadataClient) {
	t.Helper()
	if resp := gwtest.MCPCall(t, c.GW.MCP, "Bearer "+c.tokens["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Errorf("%s: its access token at the gateway: %d, want 200", what, resp.StatusCode)
	}
	if status, path, _, _ := authorizeStatus(t, c.Client); status != http.StatusOK || path != "/login" {
		t.Errorf("%s: /authorize answered %d at %s, want the sign-in page", what, status, path)
	}
}

// TestBlockMetadataDocumentClients: administrators block CIMD clients by
// client_id URL and by host through the admin API; blocking revokes their
// grants and refuses them, even with their document in the fetcher's
// cache, while clients on another host go on working; unblocking lets
// them back (with a new authorization).
func TestBlockMetadataDocumentClients(t *testing.T) {
	dir := t.TempDir()
	docs, docs6 := gwtest.StartDocServer(t), gwtest.StartDocServerOn(t, "[::1]:0")
	gw := gwtest.Start(t, gwtest.Options{DataDir: dir, ExtraYAML: gwtest.MetadataDocumentsYAML + "admin: {groups: [eng]}\n",
		MetadataRootCAs: docs.RootCAs()})
	a := newMetadataClient(t, gw, docs, "/a.json")
	b := newMetadataClient(t, gw, docs, "/b.json")
	var other *metadataClient // another host: ::1
	if docs6 != nil {
		other = newMetadataClient(t, gw, docs6, "/other.json")
	}
	admin, notAdmin := adminToken(t, gw, gwtest.User), adminToken(t, gw, "bob")
	block := func(token, method, param, value string) (int, map[string]any) {
		t.Helper()
		return adminCall(t, gw, token, method, "/admin/api/blocks?"+url.Values{param: {value}, "reason": {"test"}}.Encode())
	}

	t.Run("a non-administrator cannot block", func(t *testing.T) {
		if status, m := block(notAdmin, "POST", "client_id", a.ID); status != http.StatusForbidden {
			t.Fatalf("bob blocking: %d %v, want 403", status, m)
		}
		if status, m := block(notAdmin, "POST", "host", "127.0.0.1"); status != http.StatusForbidden {
			t.Fatalf("bob blocking a host: %d %v, want 403", status, m)
		}
		if status, _ := block("", "POST", "host", "127.0.0.1"); status != http.StatusUnauthorized {
			t.Fatalf("blocking without a token: %d, want 401", status)
		}
		if status, _ := adminCall(t, gw, notAdmin, "GET", "/admin/api/blocks"); status != http.StatusForbidden {
			t.Fatalf("bob listing blocks: %d, want 403", status)
		}
		wantWorking(t, "client a after refused blocks", a)
	})

	t.Run("bad requests change nothing", func(t *testing.T) {
		for _, q := range []string{"", "client_id=" + url.QueryEscape(a.ID) + "&host=127.0.0.1", "client_id=http%3A%2F%2Fagents.example%2Fc.json",
			"client_id=not-a-url", "host=bad%20host", "host=" + url.QueryEscape("https://127.0.0.1/x"), "host=127.0.0.1:443"} {
			if status, m := adminCall(t, gw, admin, "POST", "/admin/api/blocks?"+q); status != http.StatusBadRequest || m["error"] != "invalid_request" {
				t.Errorf("POST /admin/api/blocks?%s: %d %v, want 400 invalid_request", q, status, m)
			}
		}
		if status, m := block(admin, "DELETE", "host", "never-blocked.example"); status != http.StatusNotFound {
			t.Errorf("unblocking what is not blocked: %d %v, want 404", status, m)
		}
		wantWorking(t, "client a after bad requests", a)
	})

	t.Run("by client_id, with the document cached", func(t *testing.T) {
		fetched := docs.Fetches("/a.json")
		if fetched != 1 {
			t.Fatalf("the document was fetched %d times before the block; the test needs it cached", fetched)
		}
		status, m := block(admin, "POST", "client_id", a.ID)
		if status != http.StatusOK || m["grants_revoked"] != 1.0 {
			t.Fatalf("block: %d %v", status, m)
		}
		wantRefused(t, "client a, blocked by client_id", a)
		if n := docs.Fetches("/a.json"); n != fetched {
			t.Errorf("the blocked client's document was fetched again (%d times)", n)
		}
		wantWorking(t, "client b, same host, not blocked", b)
		// Blocking again is no error; nothing is left to revoke.
		if status, m := block(admin, "POST", "client_id", a.ID); status != http.StatusOK || m["grants_revoked"] != 0.0 {
			t.Errorf("blocking again: %d %v", status, m)
		}
	})

	t.Run("by host", func(t *testing.T) {
		status, m := block(admin, "POST", "host", "127.0.0.1")
		if status != http.StatusOK || m["grants_revoked"] != 1.0 {
			t.Fatalf("block host: %d %v", status, m)
		}
		wantRefused(t, "client b, its host blocked", b)
		// A client of that host never seen before is refused without a fetch.
		id := docs.Publish("/new.json", map[string]any{"client_name": "New", "redirect_uris": []string{gwtest.Redirect}})
		if status, _, redirected, _ := authorizeStatus(t, gwtest.NewClient(t, gw, id, gwtest.Redirect)); status != http.StatusForbidden || redirected {
			t.Errorf("a new client of the blocked host: %d (redirected %v), want 403", status, redirected)
		}
		if n := docs.Fetches("/new.json"); n != 0 {
			t.Errorf("a document of the blocked host was fetched %d times", n)
		}
		if other == nil {
			t.Log("no IPv6 loopback: a client on another host was not checked")
		} else {
			wantWorking(t, "a client on another host", other)
		}
	})

	t.Run("listed", func(t *testing.T) {
		status, m := adminCall(t, gw, admin, "GET", "/admin/api/blocks")
		var got []string
		for _, v := range m["blocks"].([]any) {
			bl := v.(map[string]any)
			got = append(got, bl["kind"].(string)+" "+bl["value"].(string)+" "+bl["created_by"].(string)+" "+bl["reason"].(string))
		}
		want := []string{"client_id " + a.ID + " local:alice test", "host 127.0.0.1 local:alice test"}
		if status != http.StatusOK || !slices.Equal(got, want) {
			t.Errorf("GET /admin/api/blocks: %d %q, want %q", status, got, want)
		}
	})

	t.Run("unblocked", func(t *testing.T) {
		if status, m := block(admin, "DELETE", "client_id", a.ID); status != http.StatusOK {
			t.Fatalf("unblock: %d %v", status, m)
		}
		// Still blocked by its host.
		if status, _, _, _ := authorizeStatus(t, a.Client); status != http.StatusForbidden {
			t.Errorf("client a, its host still blocked: %d, want 403", status)
		}
		if status, m := block(admin, "DELETE", "host", "127.0.0.1"); status != http.StatusOK {
			t.Fatalf("unblock host: %d %v", status, m)
		}
		for _, c := range []*metadataClient{a, b} {
			if status, path, _, _ := authorizeStatus(t, c.Client); status != http.StatusOK || path != "/login" {
				t.Errorf("%s after unblocking: %d at %s, want the sign-in page", c.ID, status, path)
			}
			// The grants stay revoked: the client has to be approved again.
			if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+c.tokens["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: a token revoked by the block works again after unblocking: %d", c.ID, resp.StatusCode)
			}
		}
		if status, m := adminCall(t, gw, admin, "GET", "/admin/api/blocks"); status != http.StatusOK || len(m["blocks"].([]any)) != 0 {
			t.Errorf("blocks after unblocking: %d %v", status, m)
		}
	})

	gw.Stop() // flushes the audit trail
	st, err := sqlite.Open(context.Background(), dir+"/db.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ListAudit(context.Background(), storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		var e audit.Event
		_ = json.Unmarshal(r.Payload, &e)
		switch {
		case strings.HasPrefix(e.Type, "admin.client_"):
			got = append(got, e.Type+" "+e.Subject+" "+e.Name)
		case e.Type == audit.GrantRevoked && e.Reason == "client_blocked":
			got = append(got, e.Type+" "+e.ClientID+" "+e.Subject)
		}
	}
	want := []string{
		"admin.client_blocked local:alice client_id " + a.ID, audit.GrantRevoked + " " + a.ID + " local:bob",
		"admin.client_blocked local:alice host 127.0.0.1", audit.GrantRevoked + " " + b.ID + " local:bob",
		"admin.client_unblocked local:alice client_id " + a.ID, "admin.client_unblocked local:alice host 127.0.0.1",
	}
	// A block's revocations are recorded before the block itself.
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("audit events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestConsoleBlocksClients: the console's block form takes effect like the
// API (the client is refused, its grant revoked), a forged form or a
// non-administrator changes nothing.
func TestConsoleBlocksClients(t *testing.T) {
	docs := gwtest.StartDocServer(t)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: gwtest.MetadataDocumentsYAML + "admin: {groups: [eng]}\n",
		MetadataRootCAs: docs.RootCAs()})
	a := newMetadataClient(t, gw, docs, "/a.json")

	// bob is no administrator: the form is refused, whatever it carries.
	bb, bp := consoleSignIn(t, gw, "bob")
	form := url.Values{"csrf": {bp.HiddenFields().Get("csrf")}, "kind": {"client_id"}, "value": {a.ID}}
	if p := consolePost(t, bb, bp, "/console/admin/blocks/add", form); p.Resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob blocking in the console: %d, want 403", p.Resp.StatusCode)
	}
	b, _ := consoleSignIn(t, gw, gwtest.User)
	p, err := b.Get(gw.URL + "/console/admin/clients")
	if err != nil || p.Resp.StatusCode != http.StatusOK || !p.Has("Nothing is blocked.") {
		t.Fatalf("the clients page: %v", err)
	}
	form = url.Values{"kind": {"client_id"}, "value": {a.ID}, "reason": {"test"}}
	for _, bad := range []string{"", "forged"} {
		form.Set("csrf", bad)
		if np := consolePost(t, b, p, "/console/admin/blocks/add", form); np.Resp.StatusCode != http.StatusForbidden {
			t.Fatalf("block with csrf %q: %d, want 403", bad, np.Resp.StatusCode)
		}
	}
	wantWorking(t, "client a after refused forms", a)

	form.Set("csrf", p.HiddenFields().Get("csrf"))
	p = consolePost(t, b, p, "/console/admin/blocks/add", form)
	if p.Path() != "/console/admin/clients" || !p.Has("Blocked; 1 grant(s) revoked.") || !p.Has(a.ID) {
		t.Fatalf("after blocking in the console: %d %s", p.Resp.StatusCode, p.Path())
	}
	wantRefused(t, "client a, blocked in the console", a)

	unblock := url.Values{"csrf": {p.HiddenFields().Get("csrf")}, "kind": {"client_id"}, "value": {a.ID}}
	if p = consolePost(t, b, p, "/console/admin/blocks/remove", unblock); !p.Has("Unblocked.") || !p.Has("Nothing is blocked.") {
		t.Fatalf("after unblocking in the console: %d %s", p.Resp.StatusCode, p.Path())
	}
	if p = consolePost(t, b, p, "/console/admin/blocks/remove", unblock); p.Resp.StatusCode != http.StatusNotFound {
		t.Errorf("unblocking twice: %d, want 404", p.Resp.StatusCode)
	}
}

// TestBlockDuringAuthorization: a client blocked while its user is on the
// consent page gets nothing: neither Allow nor Deny sends the browser to
// its redirect URI.
func TestBlockDuringAuthorization(t *testing.T) {
	docs := gwtest.StartDocServer(t)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: gwtest.MetadataDocumentsYAML + "admin: {groups: [eng]}\n",
		MetadataRootCAs: docs.RootCAs()})
	id := docs.Publish("/late.json", map[string]any{"client_name": "Late", "redirect_uris": []string{gwtest.Redirect}})
	c := gwtest.NewClient(t, gw, id, gwtest.Redirect)
	admin := adminToken(t, gw, gwtest.User)
	for _, action := range []bool{true, false} {
		p := authorizeAs(t, c, gw.MCP, "snippets")
		readConsentPage(t, p)
		if status, m := adminCall(t, gw, admin, "POST", "/admin/api/blocks?client_id="+url.QueryEscape(id)); status != http.StatusOK {
			t.Fatalf("block: %d %v", status, m)
		}
		p, err := c.Browser.Consent(p, action)
		if err != nil || p.Callback != nil || p.Resp.StatusCode != http.StatusForbidden || !p.Has("blocked") {
			t.Errorf("answering the consent page (approve %v) after the block: %v, status %d, redirected %v",
				action, err, p.Resp.StatusCode, p.Callback != nil)
		}
		if status, m := adminCall(t, gw, admin, "DELETE", "/admin/api/blocks?client_id="+url.QueryEscape(id)); status != http.StatusOK {
			t.Fatalf("unblock: %d %v", status, m)
		}
	}
}

// TestBlockReachesEveryReplica: a block made on one replica refuses the
// client on another (one database) at once, although that replica has the
// client's document in its cache.
func TestBlockReachesEveryReplica(t *testing.T) {
	dsn, dir := gwtest.PostgresDSN(t), t.TempDir()
	docs := gwtest.StartDocServer(t)
	opt := gwtest.Options{PostgresDSN: dsn, DataDir: dir, ExtraYAML: gwtest.MetadataDocumentsYAML + "admin: {groups: [eng]}\n",
		MetadataRootCAs: docs.RootCAs()}
	one, two := gwtest.Start(t, opt), gwtest.Start(t, opt)
	c := newMetadataClient(t, two, docs, "/replicated.json") // its document is in two's cache
	fetched := docs.Fetches("/replicated.json")
	status, m := adminCall(t, one, adminToken(t, one, gwtest.User), "POST", "/admin/api/blocks?client_id="+url.QueryEscape(c.ID))
	if status != http.StatusOK || m["grants_revoked"] != 1.0 {
		t.Fatalf("block on replica one: %d %v", status, m)
	}
	if status, _, redirected, _ := authorizeStatus(t, c.Client); status != http.StatusForbidden || redirected {
		t.Errorf("/authorize on replica two: %d (redirected %v), want 403", status, redirected)
	}
	if st, body := c.Refresh(c.tokens["refresh_token"].(string)); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Errorf("refresh on replica two: %d %v, want 401 invalid_client", st, body)
	}
	if n := docs.Fetches("/replicated.json"); n != fetched {
		t.Errorf("the document was fetched again (%d, was %d)", n, fetched)
	}
}
