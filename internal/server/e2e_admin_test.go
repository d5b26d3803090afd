package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// adminToken gets a token for the admin API as user.
func adminToken(t *testing.T, gw *gwtest.Gateway, user string) string {
	t.Helper()
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": gw.URL + "/admin", "scope": "admin"}), user, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("admin authorization: %v", err)
	}
	status, body := c.Token(map[string][]string{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {gw.URL + "/admin"}})
	if status != 200 || body["scope"] != "admin" {
		t.Fatalf("admin token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

func adminCall(t *testing.T, gw *gwtest.Gateway, token, method, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, gw.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func TestAdminAPI(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {groups: [eng]}\n"})
	// A client of the MCP server, whose grant the admin will revoke.
	c := gwtest.RegisterClient(t, gw, nil)
	userTok := c.Tokens("bob")
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+userTok["access_token"].(string)); resp.StatusCode != 200 {
		t.Fatalf("bob's MCP call: %d", resp.StatusCode)
	}
	// The conformance-style default: no resource still means the MCP server.
	if v := gwtest.NewVerifier(); true {
		code := c.Code(v, "bob")
		if status, body := c.Token(map[string][]string{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {v}, "redirect_uri": {c.Redirect}}); status != 200 {
			t.Fatalf("a token request without resource: %d %v", status, body)
		}
	}

	if status, _ := adminCall(t, gw, "", "GET", "/admin/api/clients"); status != 401 {
		t.Fatalf("no token: %d", status)
	}
	if status, _ := adminCall(t, gw, userTok["access_token"].(string), "GET", "/admin/api/clients"); status != 401 {
		t.Fatalf("an MCP server's token at the admin API: %d", status)
	}
	if status, m := adminCall(t, gw, adminToken(t, gw, "bob"), "GET", "/admin/api/clients"); status != 403 {
		t.Fatalf("a non-admin: %d %v", status, m)
	}
	admin := adminToken(t, gw, gwtest.User) // alice is in eng

	status, m := adminCall(t, gw, admin, "GET", "/admin/api/clients")
	if status != 200 || !strings.Contains(mustJSON(m), c.ID) || strings.Contains(mustJSON(m), "secret") {
		t.Fatalf("clients: %d %v", status, m)
	}
	status, m = adminCall(t, gw, admin, "GET", "/admin/api/grants?user=local:bob")
	grants, _ := m["grants"].([]any)
	if status != 200 || len(grants) == 0 {
		t.Fatalf("grants: %d %v", status, m)
	}
	status, m = adminCall(t, gw, admin, "POST", "/admin/api/grants/revoke?user=local:bob&client="+c.ID)
	if status != 200 || m["grants_revoked"].(float64) < 1 {
		t.Fatalf("revoke: %d %v", status, m)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+userTok["access_token"].(string)); resp.StatusCode != 401 {
		t.Fatalf("bob's token after the admin revoked it: %d", resp.StatusCode)
	}

	status, m = adminCall(t, gw, admin, "GET", "/admin/api/keys")
	keys, _ := m["keys"].([]any)
	if status != 200 || len(keys) != 1 || strings.Contains(mustJSON(m), `"d"`) {
		t.Fatalf("keys: %d %v", status, m)
	}
	status, m = adminCall(t, gw, admin, "POST", "/admin/api/keys/rotate")
	if status != 200 || m["current"] == keys[0].(map[string]any)["kid"] {
		t.Fatalf("rotate: %d %v", status, m)
	}
	// The admin's token, signed by the previous key, still works.
	if status, _ := adminCall(t, gw, admin, "GET", "/admin/api/servers"); status != 200 {
		t.Fatalf("servers after rotation: %d", status)
	}
	gw.Stop()
}

// TestAdminAPIPaging: lists come in pages whose cursors, followed, give
// every row once; a page size or cursor that is not one is a 400.
func TestAdminAPIPaging(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {groups: [eng]}\n"})
	registered := map[string]bool{}
	for range 3 {
		c := gwtest.RegisterClient(t, gw, nil)
		registered[c.ID] = true
		c.Tokens("bob") // a grant of bob's for each client
	}
	admin := adminToken(t, gw, gwtest.User) // registers one more client
	follow := func(path, list string) (rows []map[string]any, pages int) {
		t.Helper()
		next := ""
		for {
			p := path
			if next != "" {
				p += "&after=" + next
			}
			status, m := adminCall(t, gw, admin, "GET", p)
			if status != 200 {
				t.Fatalf("%s: %d %v", p, status, m)
			}
			items, _ := m[list].([]any)
			if len(items) > 2 {
				t.Fatalf("%s: %d rows on a page of 2", p, len(items))
			}
			for _, it := range items {
				rows = append(rows, it.(map[string]any))
			}
			pages++
			n, more := m["next"].(string)
			if !more {
				return rows, pages
			}
			next = n
		}
	}
	clients, pages := follow("/admin/api/clients?limit=2", "clients")
	seen := map[string]bool{}
	for _, c := range clients {
		id := c["client_id"].(string)
		if seen[id] {
			t.Errorf("client %s listed twice", id)
		}
		seen[id] = true
	}
	for id := range registered {
		if !seen[id] {
			t.Errorf("client %s missing from the pages", id)
		}
	}
	if len(seen) != 4 || pages != 2 {
		t.Errorf("%d clients on %d pages, want 4 on 2", len(seen), pages)
	}
	grants, pages := follow("/admin/api/grants?user=local:bob&limit=2", "grants")
	if len(grants) != 3 || pages != 2 {
		t.Fatalf("%d grants on %d pages, want 3 on 2", len(grants), pages)
	}
	created := func(g map[string]any) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, g["created_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	for i := 1; i < len(grants); i++ {
		if created(grants[i-1]).Before(created(grants[i])) {
			t.Errorf("grants not newest first: %v before %v", grants[i-1]["created_at"], grants[i]["created_at"])
		}
	}
	if status, m := adminCall(t, gw, admin, "GET", "/admin/api/clients?limit=5000"); status != 200 || len(m["clients"].([]any)) != 4 || m["next"] != nil {
		t.Errorf("a limit over the most: %d %v, want every client on one page", status, m)
	}
	for _, p := range []string{"/admin/api/clients?limit=0", "/admin/api/clients?limit=-3", "/admin/api/grants?limit=x",
		"/admin/api/clients?after=%21%21", "/admin/api/grants?after=bm90LWEtY3Vyc29y"} {
		if status, m := adminCall(t, gw, admin, "GET", p); status != 400 || m["error"] != "invalid_request" {
			t.Errorf("%s: %d %v, want 400 invalid_request", p, status, m)
		}
	}
}

func TestAdminAuditAPI(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {users: [\"local:alice\"]}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	gwtest.MCPCall(t, gw.MCP, "Bearer "+c.Tokens("bob")["access_token"].(string))
	admin := adminToken(t, gw, gwtest.User)
	// Events are written in batches: poll until bob's MCP request shows.
	var events []any
	for i := 0; i < 100 && len(events) == 0; i++ {
		_, m := adminCall(t, gw, admin, "GET", "/admin/api/audit?user=local:bob&type=mcp.request")
		events, _ = m["events"].([]any)
		if len(events) == 0 {
			waitABit()
		}
	}
	if len(events) != 1 || events[0].(map[string]any)["sub"] != "local:bob" {
		t.Fatalf("audit query: %v", events)
	}
	// The page after the last is empty and keeps the cursor, so that a
	// script following next_after stops instead of starting over.
	seq := events[0].(map[string]any)["seq"].(float64)
	if _, m := adminCall(t, gw, admin, "GET", fmt.Sprintf("/admin/api/audit?user=local:bob&type=mcp.request&after=%d", int64(seq))); len(m["events"].([]any)) != 0 || m["next_after"] != seq {
		t.Fatalf("the page after the last: %v", m)
	}
	status, m := adminCall(t, gw, admin, "GET", "/admin/api/audit/verify")
	if status != 200 || m["intact"] != true {
		t.Fatalf("verify: %d %v", status, m)
	}
	if status, m := adminCall(t, gw, admin, "GET", "/admin/api/audit?from=yesterday"); status != 400 {
		t.Fatalf("bad time: %d %v", status, m)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
