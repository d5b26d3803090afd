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

// In the stateless era a backend behind the gateway sees only its own
// credential, so a task id is all that separates one user's task from
// another's. Bob learns alice's task id and tries to read, answer or
// cancel her task: the backend never sees his requests.
func TestAnotherUsersTask(t *testing.T) {
	rec, url := startRecorder(t, parseFirstWins)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "  - {name: rec, path: /rec, upstream: " + url + ", scopes: [rec]}\n"})
	alice := token(t, gwtest.RegisterClient(t, gw, nil), gw.URL+"/rec", "rec")
	bob := tokenAs(t, gw, "bob", gw.URL+"/rec", "rec")
	poll := func(tok, method string) (int, string) {
		return post(t, gw.URL+"/rec", tok, `{"jsonrpc":"2.0","id":3,"method":"`+method+`","params":{"taskId":"task-786512e2"}}`, nil)
	}
	if status, body := poll(alice, "tasks/get"); status != http.StatusOK || len(rec.calls()) != 1 {
		t.Fatalf("alice polling her task: %d %s", status, body)
	}
	rec.reset()
	for _, method := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
		if status, body := poll(bob, method); status != http.StatusOK || !strings.Contains(body, "Task not found") {
			t.Errorf("bob's %s: %d %s", method, status, body)
		}
	}
	if calls := rec.calls(); len(calls) != 0 {
		t.Errorf("bob's requests on alice's task reached the backend: %v", calls)
	}
}
