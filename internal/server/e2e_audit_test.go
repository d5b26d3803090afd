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
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestAuditTrailOfAScriptedSession: one client's life produces exactly
// these events, in this order, with no secret in any of them, and the
// stored chain verifies.
func TestAuditTrailOfAScriptedSession(t *testing.T) {
	dir := t.TempDir()
	gw := gwtest.Start(t, gwtest.Options{DataDir: dir})
	c := gwtest.RegisterClient(t, gw, nil)

	v := gwtest.NewVerifier()
	p, _ := c.Browser.Get(c.AuthorizeURL(v, nil))
	f := p.HiddenFields()
	f.Set("username", gwtest.User)
	f.Set("password", "wrong password")
	p, _ = c.Browser.Submit(p, "/login", f)
	f.Set("password", gwtest.Password)
	p, _ = c.Browser.Submit(p, "/login", f)
	p, err := c.Browser.Consent(p, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("consent: %v", err)
	}
	status, tok := c.Redeem(p.Callback.Query().Get("code"), v)
	if status != 200 {
		t.Fatalf("token: %d %v", status, tok)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok["access_token"].(string)); resp.StatusCode != 200 {
		t.Fatalf("mcp: %d", resp.StatusCode)
	}
	_, refreshed := c.Refresh(tok["refresh_token"].(string))
	revoke(t, c, url.Values{"token": {refreshed["refresh_token"].(string)}})
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+refreshed["access_token"].(string)); resp.StatusCode != 401 {
		t.Fatalf("mcp after revocation: %d", resp.StatusCode)
	}
	gw.Stop() // flushes the recorder

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
	var events []audit.Event
	for _, r := range recs {
		var e audit.Event
		if err := json.Unmarshal(r.Payload, &e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
		got = append(got, e.Type+" "+e.Decision+" "+e.Reason)
	}
	// Authorization events are recorded before their response is sent, so
	// their order is the session's; an MCP request's event is recorded when
	// its handler returns, which may be after the client moved on.
	wantAuth := []string{
		"client.registered  ", "authorize.started  ", "signin.failed  bad_credentials", "signin.succeeded  ", "consent.given  ",
		"authorize.completed  ", "token.issued  ", "token.refreshed  ", "grant.revoked  revoked_by_client",
	}
	wantMCP := []string{"mcp.request allow ", "mcp.request deny invalid_token"}
	var gotAuth, gotMCP []string
	var mcp audit.Event
	for i, g := range got {
		if strings.HasPrefix(g, "mcp.request") {
			gotMCP = append(gotMCP, g)
			if events[i].Decision == "allow" {
				mcp = events[i]
			}
		} else {
			gotAuth = append(gotAuth, g)
		}
	}
	slices.Sort(gotMCP)
	if !slices.Equal(gotAuth, wantAuth) || !slices.Equal(gotMCP, wantMCP) {
		t.Fatalf("audit events:\n  %s\nwant:\n  %s\n  %s", strings.Join(got, "\n  "), strings.Join(wantAuth, "\n  "), strings.Join(wantMCP, "\n  "))
	}
	want := append(wantAuth, wantMCP...)
	if mcp.Subject != "local:alice" || mcp.ClientID != c.ID || mcp.Server != "snippets" || mcp.Method != "initialize" ||
		mcp.Status != 200 || mcp.RequestID == "" || mcp.BytesOut == 0 {
		t.Errorf("mcp.request event: %+v", mcp)
	}
	ti := events[slices.IndexFunc(events, func(e audit.Event) bool { return e.Type == audit.TokenIssued })]
	if ti.GrantType != "authorization_code" || ti.Scope != "snippets" || ti.Resource != gw.MCP || ti.GrantID == "" {
		t.Errorf("token.issued event: %+v", ti)
	}
	for _, r := range recs {
		for _, secret := range []string{tok["access_token"].(string), tok["refresh_token"].(string), refreshed["refresh_token"].(string), gwtest.Password, "wrong password", gw.Backend.Key,
			p.Callback.Query().Get("code"), "st-123", v} {
			if strings.Contains(string(r.Payload), secret) {
				t.Fatalf("a secret is in audit record %d", r.Seq)
			}
		}
	}
	keys, err := server.SealKeys(gw.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(context.Background(), st, keys); err != nil || !rep.OK() || rep.Records != len(want) {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestAuditRecordsDenialsAndArguments(t *testing.T) {
	dir := t.TempDir()
	gw := gwtest.Start(t, gwtest.Options{DataDir: dir, ExtraYAML: "audit: {arguments: true}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string)
	body := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"save_snippet","arguments":{"snippetname":"n","snippet":"s","api_key":"hunter2"}}}`
	req, _ := http.NewRequest(http.MethodPost, gw.MCP, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+at)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	gwtest.MCPCall(t, gw.MCP, "")
	gw.Stop()
	st, _ := sqlite.Open(context.Background(), dir+"/db.sqlite")
	defer st.Close()
	recs, _ := st.ListAudit(context.Background(), storage.AuditFilter{Type: audit.MCPRequest})
	if len(recs) != 2 {
		t.Fatalf("%d mcp.request records", len(recs))
	}
	// The order of the two is not fixed: an event is recorded when its
	// handler returns, which can be after the client has its answer.
	var call, anon audit.Event
	for _, r := range recs {
		var e audit.Event
		_ = json.Unmarshal(r.Payload, &e)
		if e.Subject == "" {
			anon = e
		} else {
			call = e
		}
	}
	if call.Name != "save_snippet" || call.Method != "tools/call" || !strings.Contains(string(call.Arguments), `"snippetname":"n"`) ||
		strings.Contains(string(call.Arguments), "hunter2") {
		t.Errorf("tool call event: %+v args %s", call, call.Arguments)
	}
	if anon.Decision != "deny" || anon.Reason != "no_token" || anon.Status != 401 || anon.Subject != "" {
		t.Errorf("anonymous call event: %+v", anon)
	}
}
