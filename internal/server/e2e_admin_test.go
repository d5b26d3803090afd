package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

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
