package attack

import (
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// A signed-in user against another user: bob has a valid token of his own
// and learns alice's session id (from a log, a shared screen, a proxy).
// A session id is never proof of identity (RS6): with it, bob reaches
// nothing of alice's, and cannot end her session.
func TestAnotherUsersSession(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{}) // the sample server with legacy-era sessions
	alice := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
	bob := gwtest.RegisterClient(t, gw, nil).Tokens("bob")["access_token"].(string)

	resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+alice)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("alice's initialize: %d, session %q", resp.StatusCode, sid)
	}
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	v := http.Header{"Mcp-Protocol-Version": {"2025-06-18"}, "Mcp-Session-Id": {sid}}
	before := requests(gw)
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		req, _ := http.NewRequest(method, gw.MCP, strings.NewReader(list))
		req.Header = v.Clone()
		req.Header.Set("Authorization", "Bearer "+bob)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("bob's %s on alice's session: %d, want 404", method, r.StatusCode)
		}
	}
	if n := requests(gw) - before; n != 0 {
		t.Errorf("%d of bob's requests on alice's session reached the backend", n)
	}
	// Alice's session is untouched.
	if status, body := post(t, gw.MCP, alice, list, v); status != http.StatusOK || !strings.Contains(body, "hello_mcp") {
		t.Errorf("alice after bob's attempts: %d %s", status, body)
	}
}

func requests(gw *gwtest.Gateway) int {
	gw.Backend.Mu.Lock()
	defer gw.Backend.Mu.Unlock()
	return gw.Backend.Requests
}
