package attack

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// A malicious or compromised backend sees everything the gateway forwards
// to it. It never sees the client's credentials: not the token in the
// Authorization header, not cookies, not a token copied into the query.
func TestBackendNeverSeesClientCredentials(t *testing.T) {
	rec, url := startRecorder(t, parseFirstWins)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "  - {name: rec, path: /rec, upstream: " + url + ", scopes: [rec]}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	tok := token(t, c, gw.URL+"/rec", "rec")
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/rec?access_token="+tok+"&x="+tok[:20], strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Cookie", "session="+tok)
	req.Header.Set("Proxy-Authorization", "Bearer "+tok)
	req.Header.Set("X-Forwarded-Authorization", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := rec.lastHeaders()
	if resp.StatusCode != http.StatusOK || h == nil {
		t.Fatalf("status %d; the backend got a request: %v", resp.StatusCode, h != nil)
	}
	for name, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, tok) {
				t.Errorf("the backend got the client's token in %s", name)
			}
		}
	}
}

// A backend that hands bob a session id it already gave alice (by mistake
// or on purpose) cannot move alice's session to bob: the gateway refuses
// to bind it twice, and the id stays alice's.
func TestBackendCannotHandOutAnotherUsersSession(t *testing.T) {
	var mu sync.Mutex
	var subjects []string
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		subjects = append(subjects, r.Header.Get("X-Drawbridge-Subject")+" "+r.Header.Get("Mcp-Session-Id"))
		mu.Unlock()
		w.Header().Set("Mcp-Session-Id", "the-one-session")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"x","version":"1"}}}`)
	}))
	t.Cleanup(be.Close)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "  - {name: one, path: /one, upstream: " + be.URL + ", scopes: [one], forward_identity: true}\n"})
	alice := token(t, gwtest.RegisterClient(t, gw, nil), gw.URL+"/one", "one")
	bob := tokenAs(t, gw, "bob", gw.URL+"/one", "one")
	if r := gwtest.MCPCall(t, gw.URL+"/one", "Bearer "+alice); r.StatusCode != http.StatusOK {
		t.Fatalf("alice's initialize: %d", r.StatusCode)
	}
	if r := gwtest.MCPCall(t, gw.URL+"/one", "Bearer "+bob); r.StatusCode == http.StatusOK {
		t.Errorf("bob was handed alice's session (%d, %q)", r.StatusCode, r.Header.Get("Mcp-Session-Id"))
	}
	status, _ := post(t, gw.URL+"/one", bob, `{"jsonrpc":"2.0","id":2,"method":"ping"}`, http.Header{"Mcp-Session-Id": {"the-one-session"}})
	if status != http.StatusNotFound {
		t.Errorf("bob using the session: %d, want 404", status)
	}
	if status, _ := post(t, gw.URL+"/one", alice, `{"jsonrpc":"2.0","id":2,"method":"ping"}`, http.Header{"Mcp-Session-Id": {"the-one-session"}}); status != http.StatusOK {
		t.Errorf("alice using her session: %d", status)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range subjects {
		if s == "local:bob the-one-session" {
			t.Errorf("a request of bob's reached the backend on alice's session")
		}
	}
}
