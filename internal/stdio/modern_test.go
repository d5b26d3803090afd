package stdio

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// In Shared mode a 2026-07-28 client talks to the stateless process
// without a session.
func TestModernSessionless(t *testing.T) {
	h := sharedHarness(t, nil)
	var mu sync.Mutex
	var progress int
	cs := h.connect(t, "", &mcp.ClientOptions{ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		progress++
		mu.Unlock()
	}})
	if got := cs.InitializeResult().ProtocolVersion; got != "2026-07-28" {
		t.Fatalf("negotiated %q, want 2026-07-28", got)
	}
	if cs.ID() != "" {
		t.Errorf("a sessionless client got session %q", cs.ID())
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "modern"}); got != "echo: modern" {
		t.Errorf("echo = %q", got)
	}
	p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{}}
	p.SetProgressToken(7)
	if _, err := cs.CallTool(testContext(t), p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "progress on the request's stream", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return progress == 2
	})
	// A legacy client alongside uses the other shared process.
	legacy := h.connect(t, "2025-11-25", nil)
	if callText(t, legacy, "pid", map[string]any{}) == callText(t, cs, "pid", map[string]any{}) {
		t.Error("legacy sessions and sessionless requests share a process")
	}
}

// A server that lists no 2026-07-28 version in server/discover is
// remembered as legacy-only; clients fall back to sessions.
func TestModernFallbackForLegacyServer(t *testing.T) {
	h := sharedHarness(t, func(o *Options) { o.Env[legacyEnv] = "1" })
	cs := h.connect(t, "", nil)
	if got := cs.InitializeResult().ProtocolVersion; got != "2025-11-25" {
		t.Fatalf("negotiated %q, want the 2025-11-25 fallback", got)
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "x"}); got != "echo: x" {
		t.Errorf("echo = %q", got)
	}
	resp, body := post(t, h.srv.URL, modernHeaders("tools/list", ""), `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`)
	assertUnsupported(t, resp, body)
}

func TestModernRefusedPerSession(t *testing.T) {
	h := newHarness(t, nil)
	resp, body := post(t, h.srv.URL, modernHeaders("server/discover", ""), `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`)
	assertUnsupported(t, resp, body)
	h.b.mu.Lock()
	started := h.b.modern != nil
	h.b.mu.Unlock()
	if started {
		t.Error("per-session mode started a stateless process")
	}
}

func TestModernHeaderValidation(t *testing.T) {
	h := sharedHarness(t, nil)
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	for _, tc := range []struct {
		name    string
		headers http.Header
		body    string
		code    int64
	}{
		{"method mismatch", modernHeaders("tools/list", ""), `{"jsonrpc":"2.0","id":1,"method":"prompts/list","params":{` + meta + `}}`, mcp.CodeHeaderMismatch},
		{"name mismatch", modernHeaders("tools/call", "other"), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",` + meta + `}}`, mcp.CodeHeaderMismatch},
		{"name missing", modernHeaders("tools/call", ""), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",` + meta + `}}`, mcp.CodeHeaderMismatch},
		{"meta missing", modernHeaders("tools/list", ""), `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`, jsonrpc.CodeInvalidParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, h.srv.URL, tc.headers, tc.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
			if got := rpcError(t, body); got.Code != tc.code {
				t.Errorf("code %d, want %d (%s)", got.Code, tc.code, got.Message)
			}
		})
	}
	// A base64-encoded Mcp-Name is decoded before the comparison.
	resp, body := post(t, h.srv.URL, modernHeaders("tools/call", "=?base64?ZWNobw==?="),
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"b64"},`+meta+`}}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "echo: b64") {
		t.Errorf("base64 Mcp-Name: %d %s", resp.StatusCode, body)
	}
	// An unknown method is a 404 with the JSON-RPC error in the body.
	resp, body = post(t, h.srv.URL, modernHeaders("no/such", ""), `{"jsonrpc":"2.0","id":1,"method":"no/such","params":{`+meta+`}}`)
	if resp.StatusCode != http.StatusNotFound || rpcError(t, body).Code != jsonrpc.CodeMethodNotFound {
		t.Errorf("unknown method: %d %s", resp.StatusCode, body)
	}
}

func modernHeaders(method, name string) http.Header {
	h := http.Header{}
	h.Set("MCP-Protocol-Version", "2026-07-28")
	h.Set("Mcp-Method", method)
	if name != "" {
		h.Set("Mcp-Name", name)
	}
	return h
}

func assertUnsupported(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	e := rpcError(t, body)
	if e.Code != mcp.CodeUnsupportedProtocolVersion {
		t.Fatalf("code %d, want UnsupportedProtocolVersion", e.Code)
	}
	var data mcp.UnsupportedProtocolVersionData
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Supported) == 0 || data.Supported[0] != "2025-11-25" || data.Requested != "2026-07-28" {
		t.Errorf("error data %+v: want the session-based versions", data)
	}
}

func rpcError(t *testing.T, body string) *jsonrpc.Error {
	t.Helper()
	msg, err := jsonrpc.DecodeMessage([]byte(body))
	if err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	resp, ok := msg.(*jsonrpc.Response)
	if !ok || resp.Error == nil {
		t.Fatalf("body %q is not a JSON-RPC error", body)
	}
	return resp.Error.(*jsonrpc.Error)
}
