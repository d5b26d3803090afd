package gateway

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
)

func TestKeepAliveOnlyBetweenEvents(t *testing.T) {
	for _, tt := range []struct {
		sent     string
		boundary bool
	}{
		{"data: a\n\n", true},
		{"data: a\r\n\r\n", true},
		{"data: a\r\r", true},
		{"data: a\n", false},
		{"data: a\ndata: b", false},
		{"", true},
	} {
		k := &keepAlive{atBoundary: true}
		k.note([]byte(tt.sent))
		if k.atBoundary != tt.boundary {
			t.Errorf("after %q: boundary = %v", tt.sent, k.atBoundary)
		}
	}
}

func FuzzHeadersAgreeWithBody(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`), "tools/call", "x", "2026-07-28")
	f.Add([]byte(`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`), "ping", "", "")
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a"}}`), "resources/read", "=?base64?YQ==?=", "")
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"t1","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`), "tasks/get", "t1", "2026-07-28")
	f.Fuzz(func(t *testing.T, body []byte, method, name, version string) {
		h := http.Header{}
		if method != "" {
			h.Set("Mcp-Method", method)
		}
		if name != "" {
			h.Set("Mcp-Name", name)
		}
		if version != "" {
			h.Set("MCP-Protocol-Version", version)
		}
		b, err := jsonrpc.Read(body)
		if err != nil || b.Batch {
			return
		}
		m := &b.Messages[0]
		if checkHeaders(h, m) == nil {
			// Whatever passes must agree with the body.
			if method != "" && m.Method != method {
				t.Fatalf("accepted Mcp-Method %q for body method %q", method, m.Method)
			}
			if want, named := m.Target(); named && name != "" {
				got, err := decodeHeaderValue(name)
				if err != nil || got != want {
					t.Fatalf("accepted Mcp-Name %q for %q", name, want)
				}
			}
			if v := m.ProtocolVersion; v != "" && version != "" && v != version {
				t.Fatalf("accepted MCP-Protocol-Version %q for %q", version, v)
			}
		}
	})
}

// checkEnvelope answers a disagreeing header with a header mismatch and a
// batch where the protocol in use has none with an invalid request.
func TestCheckEnvelope(t *testing.T) {
	one := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`
	batch := `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]`
	for _, tt := range []struct {
		name, body, transport string
		hdr                   []string
		code                  int
		message               string
	}{
		{name: "one message, headers agree", body: one, hdr: []string{"Mcp-Method", "tools/call", "Mcp-Name", "x"}},
		{name: "one message, no headers", body: one},
		{name: "one message, method disagrees", body: one, hdr: []string{"Mcp-Method", "tools/list"},
			code: jsonrpc.CodeHeaderMismatch, message: `Header mismatch: Mcp-Method header "tools/list" does not match the body's method "tools/call"`},
		{name: "batch without a version", body: batch},
		{name: "batch of 2025-03-26", body: batch, hdr: []string{"MCP-Protocol-Version", "2025-03-26"}},
		{name: "batch of a later version", body: batch, hdr: []string{"MCP-Protocol-Version", "2025-06-18"},
			code: jsonrpc.CodeInvalidRequest, message: "JSON-RPC batches are not part of protocol version 2025-06-18"},
		{name: "batch with two versions", body: batch, hdr: []string{"MCP-Protocol-Version", "2025-03-26", "MCP-Protocol-Version", "2025-03-26"},
			code: jsonrpc.CodeHeaderMismatch, message: "Header mismatch: exactly one MCP-Protocol-Version header is allowed"},
		{name: "batch with Mcp-Name", body: batch, hdr: []string{"Mcp-Name", "x"},
			code: jsonrpc.CodeHeaderMismatch, message: "Header mismatch: a batch has no single Mcp-Method or Mcp-Name"},
		{name: "batch on the HTTP+SSE transport", body: batch, transport: TransportSSE,
			code: jsonrpc.CodeInvalidRequest, message: "the HTTP+SSE transport has no JSON-RPC batches"},
		{name: "batch whose message names a version",
			body: `[{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-03-26"}}}]`,
			code: jsonrpc.CodeInvalidRequest, message: "JSON-RPC batches are not part of the protocol version a message names"},
	} {
		b, err := jsonrpc.Read([]byte(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		h := http.Header{}
		for i := 0; i+1 < len(tt.hdr); i += 2 {
			h.Add(tt.hdr[i], tt.hdr[i+1])
		}
		rt := &route{Backend: Backend{Transport: tt.transport}}
		e := rt.checkEnvelope(h, b)
		switch {
		case tt.code == 0 && e != nil:
			t.Errorf("%s: refused: %v", tt.name, e)
		case tt.code != 0 && e == nil:
			t.Errorf("%s: accepted", tt.name)
		case e != nil && (e.Code != tt.code || e.Message != tt.message || e.Data != nil):
			t.Errorf("%s: %d %q, want %d %q", tt.name, e.Code, e.Message, tt.code, tt.message)
		}
	}
}

// TestClientDisconnectCancelsBackend: when the client goes away, the
// backend's request context ends (TR1), so it can stop working.
func TestClientDisconnectCancelsBackend(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
		close(cancelled)
	}), nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}`))
	req.Header.Set("Authorization", "Bearer good")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	resp.Body.Close()
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the backend request was not cancelled when the client went away")
	}
	_, _ = io.Copy(io.Discard, resp.Body)
}
