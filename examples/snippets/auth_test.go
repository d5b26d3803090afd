package snippets_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
)

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

func rawRequest(t *testing.T, method, url string, h http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, url, strings.NewReader(initializeBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestKeyRequired(t *testing.T) {
	custom := snippets.Options{KeyHeader: "X-Backend-Key"}
	tests := []struct {
		name   string
		opts   snippets.Options
		method string
		path   string
		header http.Header
	}{
		{"no key", snippets.Options{}, http.MethodPost, snippets.MCPPath, nil},
		{"wrong key", snippets.Options{}, http.MethodPost, snippets.MCPPath, keyHeader("wrong")},
		{"key prefix", snippets.Options{}, http.MethodPost, snippets.MCPPath, keyHeader(testKey[:len(testKey)-1])},
		{"key with suffix", snippets.Options{}, http.MethodPost, snippets.MCPPath, keyHeader(testKey + "x")},
		{"empty key", snippets.Options{}, http.MethodPost, snippets.MCPPath, keyHeader("")},
		{"GET stream", snippets.Options{}, http.MethodGet, snippets.MCPPath, nil},
		{"DELETE session", snippets.Options{}, http.MethodDelete, snippets.MCPPath, nil},
		{"other path", snippets.Options{}, http.MethodGet, "/nothing-here", nil},
		{"key in the default header when another is configured", custom, http.MethodPost, snippets.MCPPath, keyHeader(testKey)},
		{"key as bearer token", snippets.Options{}, http.MethodPost, snippets.MCPPath, http.Header{"Authorization": {"Bearer " + testKey}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.opts)
			resp := rawRequest(t, tt.method, ts.URL+tt.path, tt.header)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401; body %q", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if got := strings.TrimSpace(string(body)); got != `{"error":"unauthorized"}` {
				t.Errorf("body = %q", got)
			}
			if strings.Contains(string(body), testKey[:8]) {
				t.Error("401 body reveals the key")
			}
		})
	}
}

func TestKeyAccepted(t *testing.T) {
	ts := startServer(t, snippets.Options{KeyHeader: "X-Backend-Key"})
	resp := rawRequest(t, http.MethodPost, ts.URL+snippets.MCPPath, http.Header{"X-Backend-Key": {testKey}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if resp.Header.Get("Mcp-Session-Id") == "" {
		t.Error("stateful server issued no Mcp-Session-Id")
	}
}

func TestClientWithWrongKeyCannotConnect(t *testing.T) {
	ts := startServer(t, snippets.Options{})
	for name, h := range map[string]http.Header{"missing": {}, "wrong": keyHeader("wrong")} {
		if cs, err := dial(testContext(t), ts, h, nil); err == nil {
			cs.Close()
			t.Errorf("%s key: Connect succeeded", name)
		}
	}
}

func TestInsecureNoKeyServesAnyone(t *testing.T) {
	ts := startServer(t, snippets.Options{InsecureNoKey: true})
	if resp := rawRequest(t, http.MethodPost, ts.URL+snippets.MCPPath, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
}

// TestKeyNeverLogged drives every path that logs, with the most verbose
// level, and looks for the key in what was written.
func TestKeyNeverLogged(t *testing.T) {
	var logs lockedBuffer
	ts := startServer(t, snippets.Options{Logger: newDebugLogger(&logs)})
	rawRequest(t, http.MethodPost, ts.URL+snippets.MCPPath, keyHeader(testKey+"-wrong"))
	rawRequest(t, http.MethodPost, ts.URL+snippets.MCPPath, keyHeader(testKey[:10]))
	cs := connect(t, ts, nil)
	call(t, cs, "save_snippet", map[string]any{"snippetname": "n", "snippet": "s"})
	call(t, cs, "get_snippet", map[string]any{"snippetname": "missing"})
	cs.Close()

	out := logs.String()
	if !strings.Contains(out, "rejected request") {
		t.Fatalf("expected the rejections to be logged; got:\n%s", out)
	}
	if strings.Contains(out, testKey[:10]) {
		t.Errorf("log contains the key:\n%s", out)
	}
}
