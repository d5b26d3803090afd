package attack

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// A signed-in client's header tricks: headers that a backend (or a proxy
// or framework in front of it) reads as one the gateway checked or sets.
// The ground truth is the headers the backend received.
func TestHeaderTricks(t *testing.T) {
	rec, url := startRecorder(t, parseFirstWins)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "  - {name: rec, path: /rec, upstream: " + url + ", scopes: [rec], headers: {X-Api-Key: backend-secret}, forward_identity: true}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	tok := token(t, c, gw.URL+"/rec", "rec")
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`

	send := func(t *testing.T, host string, pairs ...string) int {
		t.Helper()
		rec.reset()
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/rec", strings.NewReader(ping))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		if host != "" {
			req.Host = host
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			req.Header[pairs[i]] = append(req.Header[pairs[i]], pairs[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// normalised collects what the backend got under a header name as a
	// lenient server reads it: case ignored, '_' as '-'.
	normalised := func(name string) []string {
		var vs []string
		for k, v := range rec.lastHeaders() {
			if strings.ReplaceAll(strings.ToLower(k), "_", "-") == name {
				vs = append(vs, v...)
			}
		}
		return vs
	}

	t.Run("a session id smuggled under another spelling", func(t *testing.T) {
		status := send(t, "", "Mcp_Session_Id", "victims-session")
		if got := normalised("mcp-session-id"); len(got) > 0 {
			t.Errorf("the backend got a session id the gateway never checked: %q (status %d)", got, status)
		}
	})
	t.Run("two session ids", func(t *testing.T) {
		status := send(t, "", "Mcp-Session-Id", "mine", "Mcp-Session-Id", "victims-session")
		if got := normalised("mcp-session-id"); len(got) > 0 || status != http.StatusBadRequest {
			t.Errorf("status %d, the backend got %q", status, got)
		}
	})
	t.Run("the public host chosen by the client", func(t *testing.T) {
		send(t, "evil.example", "X-Forwarded-Host", "evil.example", "X_Forwarded_Host", "evil.example", "Forwarded", "host=evil.example")
		want := strings.TrimPrefix(gw.URL, "http://")
		if got := normalised("x-forwarded-host"); len(got) != 1 || got[0] != want {
			t.Errorf("X-Forwarded-Host at the backend = %q, want %q", got, want)
		}
		if got := normalised("forwarded"); len(got) > 0 {
			t.Errorf("Forwarded reached the backend: %q", got)
		}
	})
	t.Run("the client address chosen by the client", func(t *testing.T) {
		send(t, "", "X-Forwarded-For", "10.9.9.9", "X-Real-Ip", "10.9.9.9")
		if got := normalised("x-forwarded-for"); len(got) != 1 || got[0] != "127.0.0.1" {
			t.Errorf("X-Forwarded-For at the backend = %q", got)
		}
		if got := normalised("x-real-ip"); len(got) > 0 {
			t.Errorf("X-Real-Ip reached the backend: %q", got)
		}
	})
	t.Run("an identity or credential under another spelling", func(t *testing.T) {
		send(t, "", "X_Drawbridge_Subject", "local:bob", "x-drawbridge-email", "bob@example.com", "X_Api_Key", "client-chosen")
		if got := normalised("x-drawbridge-subject"); len(got) != 1 || got[0] != "local:alice" {
			t.Errorf("subject at the backend = %q", got)
		}
		if got := normalised("x-drawbridge-email"); len(got) != 1 || got[0] != "alice@example.com" {
			t.Errorf("email at the backend = %q", got)
		}
		if got := normalised("x-api-key"); len(got) != 1 || got[0] != "backend-secret" {
			t.Errorf("backend key at the backend = %q", got)
		}
	})
	// A page from another origin (or a sandboxed one, "null", or one
	// posing as the gateway's) driving a signed-in session through the
	// user's browser: the backend must never receive it. The gateway's
	// own origin is served, and only a browser's request gets the CORS
	// headers that let its page read the answer.
	t.Run("a page from another origin", func(t *testing.T) {
		for _, origin := range []string{"https://evil.example", "null", gw.URL + ".evil.example",
			strings.Replace(gw.URL, "http://", "https://", 1), gw.URL + ":1", "http://evil.example/" + gw.URL} {
			status := send(t, "", "Origin", origin)
			if got := rec.lastHeaders(); got != nil || status != http.StatusForbidden {
				t.Errorf("Origin %q: status %d, the backend got the request: %v", origin, status, got != nil)
			}
		}
		for _, tc := range []struct {
			origin string
			cors   bool
		}{{gw.URL, true}, {strings.ToUpper(gw.URL), true}, {"", false}} {
			rec.reset()
			req, _ := http.NewRequest(http.MethodPost, gw.URL+"/rec", strings.NewReader(ping))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			exposed := strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Mcp-Session-Id") &&
				resp.Header.Get("Access-Control-Allow-Origin") == tc.origin
			if resp.StatusCode != http.StatusOK || rec.lastHeaders() == nil || exposed != tc.cors {
				t.Errorf("Origin %q: status %d, the backend got it: %v, CORS headers %v (want %v)", tc.origin, resp.StatusCode, rec.lastHeaders() != nil, resp.Header, tc.cors)
			}
		}
	})
}
