package attack

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// startComposedRecorder runs a gateway with a composed server at /all
// whose one member is a recorder, and returns alice's and bob's tokens
// for it.
func startComposedRecorder(t *testing.T) (*gwtest.Gateway, *recorder, string, string) {
	t.Helper()
	rec, url := startRecorder(t, parseFirstWins)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "  - {name: all, path: /all, scopes: [all], compose: [{name: rec, upstream: " + url + "}]}\n"})
	alice := token(t, gwtest.RegisterClient(t, gw, nil), gw.URL+"/all", "all")
	bob := tokenAs(t, gw, "bob", gw.URL+"/all", "all")
	return gw, rec, alice, bob
}

// A composed server's members never see the client's credentials either:
// not the Authorization header, not cookies, not a token in the query.
func TestComposedMemberNeverSeesClientCredentials(t *testing.T) {
	gw, rec, tok, _ := startComposedRecorder(t)
	rec.reset()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/all?access_token="+tok+"&x="+tok[:20],
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_mcp","arguments":{},`+
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Cookie", "session="+tok)
	req.Header.Set("Proxy-Authorization", "Bearer "+tok)
	req.Header.Set("X-Forwarded-Authorization", tok)
	req.Header.Set("X-Drawbridge-Subject", "local:bob")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", "hello_mcp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	h := rec.lastHeaders()
	if resp.StatusCode != http.StatusOK || h == nil || len(rec.calls()) != 1 {
		t.Fatalf("status %d (%s); the member got a request: %v, calls %v", resp.StatusCode, answer, h != nil, rec.calls())
	}
	for name, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, tok[:20]) || strings.Contains(v, "local:bob") {
				t.Errorf("the member got %s: %q", name, v)
			}
		}
	}
}

// Bob learns alice's session id on a composed server: with it he reaches
// nothing of hers, and cannot end it (RS6).
func TestComposedAnotherUsersSession(t *testing.T) {
	gw, rec, alice, bob := startComposedRecorder(t)
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"a","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/all", strings.NewReader(init))
	req.Header.Set("Authorization", "Bearer "+alice)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("alice's initialize: %d, session %q", resp.StatusCode, sid)
	}
	v := http.Header{"Mcp-Protocol-Version": {"2025-06-18"}, "Mcp-Session-Id": {sid}}
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hello_mcp","arguments":{}}}`
	rec.reset()
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		req, _ := http.NewRequest(method, gw.URL+"/all", strings.NewReader(call))
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
	if n := len(rec.calls()); n != 0 {
		t.Errorf("%d of bob's calls on alice's session reached the member", n)
	}
	// Alice's session is untouched.
	if status, body := post(t, gw.URL+"/all", alice, call, v); status != http.StatusOK || !strings.Contains(body, `"result"`) {
		t.Errorf("alice after bob's attempts: %d %s", status, body)
	}
}
