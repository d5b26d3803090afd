package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawPost sends a POST with headers given as name/value pairs, so that a
// header may repeat or be spelled as the test wants.
func rawPost(t *testing.T, u, body string, pairs ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer good")
	for i := 0; i+1 < len(pairs); i += 2 {
		req.Header[pairs[i]] = append(req.Header[pairs[i]], pairs[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// A request names at most one session, with a value MCP allows; the
// backend sees exactly the one that was checked.
func TestSessionHeaderIsOneCheckedValue(t *testing.T) {
	var seen []http.Header
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Clone())
		if r.Header.Get("Mcp-Session-Id") == "" {
			w.Header().Set("Mcp-Session-Id", "sess-A")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), nil)
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	if resp, body := rawPost(t, gw.URL+"/mcp", ping); resp.StatusCode != http.StatusOK {
		t.Fatalf("opening the session: %d %s", resp.StatusCode, body)
	}
	for _, tt := range []struct {
		name  string
		pairs []string
	}{
		{"two values", []string{"Mcp-Session-Id", "sess-A", "Mcp-Session-Id", "sess-B"}},
		{"empty", []string{"Mcp-Session-Id", ""}},
		{"a space inside", []string{"Mcp-Session-Id", "sess A"}},
	} {
		n := len(seen)
		resp, body := rawPost(t, gw.URL+"/mcp", ping, tt.pairs...)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "-32600") || len(seen) != n {
			t.Errorf("%s: %d %s (forwarded %v)", tt.name, resp.StatusCode, body, len(seen) != n)
		}
	}
	// A header that only normalises to Mcp-Session-Id never reaches the
	// backend beside the checked one.
	resp, body := rawPost(t, gw.URL+"/mcp", ping, "Mcp-Session-Id", "sess-A", "Mcp_Session_Id", "sess-B", "mcp_session_id", "sess-C")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with underscore variants: %d %s", resp.StatusCode, body)
	}
	last := seen[len(seen)-1]
	for name, v := range last {
		if normalizeName(name) == "mcp-session-id" && (name != "Mcp-Session-Id" || len(v) != 1 || v[0] != "sess-A") {
			t.Errorf("the backend got %s: %q", name, v)
		}
	}
}

// Forwarding headers come from the gateway: the public URL's host and
// scheme and the client's resolved address, never the client's Host or
// its own X-Forwarded-* or Forwarded headers; headers that only normalise
// to one the gateway owns or sets are dropped; others pass.
func TestForwardingAndLookalikeHeaders(t *testing.T) {
	var got http.Header
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), nil)
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Host = "evil.example"
	for name, v := range map[string]string{
		"Authorization": "Bearer good", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http",
		"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9;host=evil.example", "X-Real-Ip": "203.0.113.9",
	} {
		req.Header.Set(name, v)
	}
	for name, v := range map[string]string{
		"X_Forwarded_Host": "evil.example", "X_Backend_Key": "client-chosen", "x_drawbridge_subject": "mallory",
		"Mcp-Param-Region_Code": "eu", "X_Custom": "kept",
	} {
		req.Header[name] = []string{v}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := map[string]string{"X-Forwarded-Host": "gw.example", "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1",
		"X-Backend-Key": "backend-secret", "Mcp-Param-Region_code": "eu", "X_custom": "kept", HeaderSubject: "alice"}
	for name, v := range want {
		if g := got.Values(name); len(g) != 1 || g[0] != v {
			t.Errorf("%s = %q, want %q", name, g, v)
		}
	}
	for name := range got {
		n := normalizeName(name)
		if n == "forwarded" || n == "x-real-ip" ||
			(strings.Contains(name, "_") && (strings.HasPrefix(n, "x-forwarded-") || strings.HasPrefix(n, "x-drawbridge-") || n == "x-backend-key")) {
			t.Errorf("the backend got %s: %q", name, got[name])
		}
	}
}
