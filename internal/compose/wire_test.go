package compose

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// A member's answer is relayed as it came: JSON as JSON, a stream as a
// stream; the composed server answers ping and unknown methods itself.
func TestWireForms(t *testing.T) {
	streaming := newFixture(t, "streaming", fixtureOpts{tools: []string{"echo"}})
	plain := newFixture(t, "plain", fixtureOpts{tools: []string{"echo"}})
	plain.http.Config.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return plain.srv }, &mcp.StreamableHTTPOptions{JSONResponse: true})
	var mu sync.Mutex
	var bodies []string
	inner := streaming.http.Config.Handler
	streaming.http.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		inner.ServeHTTP(w, r)
	})
	c := newComposed(t, Options{Members: []Member{streaming.member(Member{Prefix: "s_"}), plain.member(Member{Prefix: "p_"})}})
	id := rawSession(t, c.http.URL)
	for _, tc := range []struct{ body, ctype, want string }{
		{`{"jsonrpc":"2.0","id":"x1","method":"tools/call","params":{"name":"s_echo","arguments":{"text":"s"},"_meta":{"custom":{"kept":true}}}}`, "text/event-stream", `"id":"x1","result":{"content":[{"type":"text","text":"streaming/echo: s"}]`},
		{`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"p_echo","arguments":{"text":"p"}}}`, "application/json", `"id":2,"result":{"content":[{"type":"text","text":"plain/echo: p"}]`},
		{`{"jsonrpc":"2.0","id":3,"method":"ping"}`, "application/json", `{"jsonrpc":"2.0","id":3,"result":{}}`},
		{`{"jsonrpc":"2.0","id":4,"method":"tools/destroy"}`, "application/json", `{"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"Method not found"}}`},
		{`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"s_echo","name":"p_echo"}}`, "application/json", `"code":-32602`},
	} {
		resp, body := rawPost(t, c.http.URL, id, tc.body, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s %s", tc.body, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	// Only the name changed on the way: the rest is byte for byte.
	mu.Lock()
	forwarded := slices.ContainsFunc(bodies, func(b string) bool {
		return strings.Contains(b, `"params":{"name":"echo","arguments":{"text":"s"},"_meta":{"custom":{"kept":true}}}`)
	})
	mu.Unlock()
	if !forwarded {
		t.Errorf("member received %q", bodies)
	}
	for _, tc := range []struct {
		body string
		hdr  map[string]string
		code int
	}{
		{`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, nil, 400},
		{`{"jsonrpc":"2.0","id":1,"method":"ping"`, nil, 400},
		{`{"jsonrpc":"2.0","id":1,"method":"ping"}`, map[string]string{"Content-Type": "text/plain"}, 415},
		{`{"jsonrpc":"2.0","id":1,"method":"ping"}`, map[string]string{"Accept": "application/json"}, 406},
		{`{"jsonrpc":"2.0","id":1,"method":"ping"}`, map[string]string{headerProtocol: "2025-03-26"}, 400},
	} {
		if resp, body := rawPost(t, c.http.URL, id, tc.body, tc.hdr); resp.StatusCode != tc.code {
			t.Errorf("%s %v: %d %s, want %d", tc.body, tc.hdr, resp.StatusCode, body, tc.code)
		}
	}
	// Without a session and not initialize: 400; an unknown session: 404.
	if resp, _ := rawPost(t, c.http.URL, "", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, nil); resp.StatusCode != 400 {
		t.Errorf("no session: %d", resp.StatusCode)
	}
	if resp, _ := rawPost(t, c.http.URL, "nope", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, nil); resp.StatusCode != 404 {
		t.Errorf("unknown session: %d", resp.StatusCode)
	}
}
