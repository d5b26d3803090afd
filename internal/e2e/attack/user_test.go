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
// cancel her task — plainly, in a batch, and under a member name that a
// case-insensitive backend reads as taskId beside one of his own: the
// backends never act on alice's task for him.
func TestAnotherUsersTask(t *testing.T) {
	first, firstURL := startRecorder(t, parseFirstWins)
	fold, foldURL := startRecorder(t, parseFolding)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "  - {name: first, path: /first, upstream: " + firstURL + ", scopes: [first]}\n" +
		"  - {name: fold, path: /fold, upstream: " + foldURL + ", scopes: [fold]}\n"})
	const task = "task-786512e2"
	for _, b := range []struct {
		path string
		rec  *recorder
	}{{"/first", first}, {"/fold", fold}} {
		scope := strings.TrimPrefix(b.path, "/")
		alice := token(t, gwtest.RegisterClient(t, gw, nil), gw.URL+b.path, scope)
		bob := tokenAs(t, gw, "bob", gw.URL+b.path, scope)
		call := func(method, params string) string {
			return `{"jsonrpc":"2.0","id":3,"method":"` + method + `","params":` + params + `}`
		}
		if status, body := post(t, gw.URL+b.path, alice, call("tasks/get", `{"taskId":"`+task+`"}`), nil); status != http.StatusOK || len(b.rec.calls()) != 1 {
			t.Fatalf("%s: alice polling her task: %d %s", b.path, status, body)
		}
		for _, body := range []string{
			call("tasks/get", `{"taskId":"`+task+`"}`),
			call("tasks/update", `{"taskId":"`+task+`","inputResponses":{}}`),
			call("tasks/cancel", `{"taskId":"`+task+`"}`),
			`[` + call("tasks/get", `{"taskId":"`+task+`"}`) + `]`,
			call("tasks/get", `{"taskId":"bobs-own","TaskId":"`+task+`"}`),
			call("tasks/get", `{"TASKID":"`+task+`"}`),
		} {
			b.rec.reset()
			status, answer := post(t, gw.URL+b.path, bob, body, nil)
			for _, c := range b.rec.calls() {
				if c.Name == task {
					t.Errorf("%s: bob's %s reached alice's task (%d %s)", b.path, body, status, answer)
				}
			}
		}
	}
}
