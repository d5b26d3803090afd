package sseclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/sseclient"
	"github.com/drawbridge-mcp/drawbridge/internal/stdio"
)

type callerKey struct{}

// callerTransport sends the caller its request's context names as the
// member's credential would be: X-Caller.
type callerTransport struct{}

func (callerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	caller, _ := r.Context().Value(callerKey{}).(string)
	r.Header.Set("X-Caller", caller)
	return http.DefaultTransport.RoundTrip(r)
}

// TestEachMessageSentAsItsCaller: a message goes to the member with the
// credential of the request it belongs to, not of the one that opened the
// session (whose token may since have expired, or carried other scopes):
// the stream is opened as the initialize's caller, and each later POST
// carries its own request's caller.
func TestEachMessageSentAsItsCaller(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in textIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	sdk := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	var mu sync.Mutex
	seen := map[string]string{} // "GET" or the JSON-RPC method → the caller it came as
	member := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var m struct {
				Method string `json:"method"`
			}
			_ = json.Unmarshal(body, &m)
			key = m.Method
		}
		mu.Lock()
		seen[key] = r.Header.Get("X-Caller")
		mu.Unlock()
		sdk.ServeHTTP(w, r)
	}))
	defer member.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := stdio.New(stdio.Options{Name: "legacy", Mode: stdio.PerSession, Logger: log,
		Dial: sseclient.Dialer(sseclient.Options{URL: member.URL, Timeout: 10 * time.Second, Log: log,
			Client: &http.Client{Transport: callerTransport{}, CheckRedirect: noRedirects}})})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// The gateway puts the caller in each request's context; so does this.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, r.Header.Get("X-Test-Caller"))))
	}))
	defer front.Close()
	send := func(caller, sid, body string) (string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, front.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("X-Test-Caller", caller)
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.Header.Get("Mcp-Session-Id"), string(out)
	}
	sid, out := send("token-1", "", initBody)
	if sid == "" {
		t.Fatalf("initialize: %s", out)
	}
	send("token-2", sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if _, out := send("token-3", sid, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`); !strings.Contains(out, `"hi"`) {
		t.Fatalf("tools/call: %s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]string{"GET": "token-1", "initialize": "token-1", "notifications/initialized": "token-2", "tools/call": "token-3"}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s went to the member as %q, want %q (all: %v)", k, seen[k], v, seen)
		}
	}
}
