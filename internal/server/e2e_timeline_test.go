package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestAdminTimelineAPI: GET /admin/api/timeline is a client's connection
// timeline as JSON, for administrators only.
func TestAdminTimelineAPI(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "admin: {users: [\"local:alice\"]}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+c.Tokens("bob")["access_token"].(string)); resp.StatusCode != 200 {
		t.Fatalf("bob's MCP call: %d", resp.StatusCode)
	}
	admin := adminToken(t, gw, gwtest.User)
	path := "/admin/api/timeline?client_id=" + url.QueryEscape(c.ID)
	var attempts []any
	var m map[string]any
	for i := 0; i < 100; i++ { // events are written in batches
		var status int
		status, m = adminCall(t, gw, admin, "GET", path)
		if status != http.StatusOK {
			t.Fatalf("timeline: %d %v", status, m)
		}
		attempts, _ = m["attempts"].([]any)
		if len(attempts) == 1 && attempts[0].(map[string]any)["outcome"] == "succeeded" {
			break
		}
		waitABit()
	}
	if m["client_id"] != c.ID || len(attempts) != 1 {
		t.Fatalf("timeline: %v", mustJSON(m))
	}
	a := attempts[0].(map[string]any)
	steps, _ := a["steps"].([]any)
	if a["outcome"] != "succeeded" || a["sub"] != "local:bob" || len(steps) < 5 || steps[len(steps)-1].(map[string]any)["name"] != "mcp" {
		t.Fatalf("attempt: %v", mustJSON(a))
	}
	for _, tt := range []struct {
		token, path string
		status      int
	}{
		{"", path, http.StatusUnauthorized},
		{adminToken(t, gw, "bob"), path, http.StatusForbidden},
		{admin, "/admin/api/timeline", http.StatusBadRequest},
	} {
		if status, m := adminCall(t, gw, tt.token, "GET", tt.path); status != tt.status {
			t.Errorf("%s: %d %v, want %d", tt.path, status, m, tt.status)
		}
	}
}
