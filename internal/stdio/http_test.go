package stdio

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// post sends a raw POST with the headers every client sends, plus extra.
func post(t *testing.T, url string, extra http.Header, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range extra {
		req.Header[k] = v
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func sessionHeader(id string) http.Header {
	h := http.Header{}
	h.Set("Mcp-Session-Id", id)
	h.Set("MCP-Protocol-Version", "2025-11-25")
	return h
}

func TestRawSessionLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	resp, body := post(t, h.srv.URL, nil, initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d, session %q, %s", resp.StatusCode, sid, body)
	}
	// A lone response comes back as plain JSON.
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" || !strings.Contains(body, `"protocolVersion":"2025-11-25"`) {
		t.Errorf("initialize response %s: %s", ct, body)
	}
	resp, _ = post(t, h.srv.URL, sessionHeader(sid), `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("notification: %d, want 202", resp.StatusCode)
	}
	resp, body = post(t, h.srv.URL, sessionHeader(sid), `{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"echo","arguments":{"text":"raw"}}}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"id":"x"`) || !strings.Contains(body, "echo: raw") {
		t.Errorf("tools/call: %d %s", resp.StatusCode, body)
	}

	del, _ := http.NewRequest(http.MethodDelete, h.srv.URL, nil)
	del.Header = sessionHeader(sid)
	if resp, _ := do(t, del); resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %d, want 204", resp.StatusCode)
	}
	// Ended: 404 for everything, with a body that is not JSON-RPC.
	resp, body = post(t, h.srv.URL, sessionHeader(sid), `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "jsonrpc") {
		t.Errorf("POST to an ended session: %d %q", resp.StatusCode, body)
	}
	get, _ := http.NewRequest(http.MethodGet, h.srv.URL, nil)
	get.Header = sessionHeader(sid)
	get.Header.Set("Accept", "text/event-stream")
	if resp, _ := do(t, get); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET on an ended session: %d", resp.StatusCode)
	}
	if resp, _ := do(t, del); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE: %d", resp.StatusCode)
	}
}

func TestRawUnknownSessionAndBadRequests(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct {
		name   string
		method string
		header http.Header
		body   string
		status int
	}{
		{"unknown session", http.MethodPost, sessionHeader("nope"), `{"jsonrpc":"2.0","id":1,"method":"ping"}`, http.StatusNotFound},
		{"no session", http.MethodPost, nil, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, http.StatusBadRequest},
		{"bad json", http.MethodPost, nil, `{"jsonrpc":`, http.StatusBadRequest},
		{"wrong content type", http.MethodPost, http.Header{"Content-Type": {"text/plain"}}, initBody, http.StatusUnsupportedMediaType},
		{"no SSE in Accept", http.MethodPost, http.Header{"Accept": {"application/json"}}, initBody, http.StatusNotAcceptable},
		{"batch after 2025-06-18", http.MethodPost, nil, `[` + initBody + `]`, http.StatusBadRequest},
		{"PUT", http.MethodPut, nil, "", http.StatusMethodNotAllowed},
		{"GET without session", http.MethodGet, http.Header{"Accept": {"text/event-stream"}}, "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, h.srv.URL, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tc.header {
				req.Header[k] = v
			}
			if resp, body := do(t, req); resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
		})
	}
}

func TestRawOwnerBinding(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.SessionOwner = func(r *http.Request) string { return r.Header.Get("X-Test-User") }
	})
	resp, _ := post(t, h.srv.URL, http.Header{"X-Test-User": {"alice"}}, initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	hdr := sessionHeader(sid)
	hdr.Set("X-Test-User", "mallory")
	if resp, _ := post(t, h.srv.URL, hdr, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user's session: %d, want 404", resp.StatusCode)
	}
	hdr.Set("X-Test-User", "alice")
	if resp, body := post(t, h.srv.URL, hdr, `{"jsonrpc":"2.0","id":2,"method":"ping"}`); resp.StatusCode != http.StatusOK {
		t.Errorf("owner's session: %d %s", resp.StatusCode, body)
	}
}

func TestRawMaxSessions(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxSessions = 1 })
	if resp, _ := post(t, h.srv.URL, nil, initBody); resp.StatusCode != http.StatusOK {
		t.Fatalf("first session: %d", resp.StatusCode)
	}
	if resp, body := post(t, h.srv.URL, nil, initBody); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second session: %d %s, want 503", resp.StatusCode, body)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"empty command":   {},
		"missing binary":  {Command: []string{"drawbridge-no-such-binary"}},
		"bad mode":        {Command: []string{"sh"}, Mode: "pooled"},
		"bad env":         {Command: []string{"sh"}, Env: map[string]string{"A=B": "c"}},
		"backoff min>max": {Command: []string{"sh"}, Restart: Backoff{Initial: 2e9, Max: 1e9}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestNegativeKeepAliveDisablesKeepAlives: a negative KeepAlive (the
// configuration's keepalive: -1s) sends no keep-alives; requests are
// answered as usual.
func TestNegativeKeepAliveDisablesKeepAlives(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.KeepAlive = -1 })
	resp, body := post(t, h.srv.URL, nil, initBody)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"protocolVersion":"2025-11-25"`) {
		t.Fatalf("initialize with keep-alives off: %d %s", resp.StatusCode, body)
	}
}
