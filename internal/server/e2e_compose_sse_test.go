package server_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// sseMember is a real 2024-11-05 HTTP+SSE MCP server (the Go SDK's
// SSEHandler) with one tool, recording the headers of every request.
type sseMember struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func startSSEMember(t *testing.T, tool string) *sseMember {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: tool, Description: "a tool on a legacy server"},
		func(_ context.Context, _ *mcp.CallToolRequest, in queryIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "legacy:" + tool + ":" + in.Query}}}, nil, nil
		})
	h := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	m := &sseMember{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.headers = append(m.headers, r.Header.Clone())
		m.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *sseMember) seen() []http.Header {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.headers)
}

// TestComposedServerSSEMember: a member that speaks only the 2024-11-05
// HTTP+SSE transport is a member like any other, in both eras, beside a
// Streamable HTTP member: its tools are listed and called through the
// composed server with OAuth, and every request it gets carries the
// member's own credential and the caller's identity, never the client's
// token. A 2026-07-28 client falls back to a session.
func TestComposedServerSSEMember(t *testing.T) {
	notes := startMember(t, "notes", "search")
	legacy := startSSEMember(t, "lookup")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: all
    path: /all/mcp
    compose:
      - {name: notes, upstream: %q}
      - name: legacy
        upstream: %q
        transport: sse
        prefix: old_
        headers: {X-Api-Key: legacy-key}
        forward_identity: true
`, notes.URL, legacy.URL)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, version := range []string{"", "2025-11-25", "2025-03-26"} {
		era := cmp.Or(version, "2026-07-28")
		cs := connectSDKVersion(t, ctx, gw.URL+"/all/mcp", version, browser.New(gw.URL))
		if got := strings.Join(toolNames(t, ctx, cs), ","); got != "old_lookup,search" {
			t.Fatalf("era %s: tools = %s", era, got)
		}
		if got, err := callText(t, ctx, cs, "old_lookup", map[string]any{"query": era}); err != nil || got != "legacy:lookup:"+era {
			t.Errorf("era %s: old_lookup = %q, %v", era, got, err)
		}
		if got, err := callText(t, ctx, cs, "search", map[string]any{"query": "x"}); err != nil || got != "notes:search:x" {
			t.Errorf("era %s: search = %q, %v", era, got, err)
		}
	}
	seen := legacy.seen()
	gets := 0
	for _, h := range seen {
		if h.Get("Accept") == "text/event-stream" {
			gets++
		}
		if h.Get("Authorization") != "" || h.Get("Cookie") != "" || h.Get("X-Api-Key") != "legacy-key" {
			t.Errorf("the SSE member got Authorization %q, Cookie %q, X-Api-Key %q", h.Get("Authorization"), h.Get("Cookie"), h.Get("X-Api-Key"))
		}
	}
	if gets < 3 {
		t.Errorf("the SSE member saw %d streams for three client sessions", gets)
	}
	// The start-up listing has no caller; every request of a client's
	// session names the user.
	users := 0
	for _, h := range seen {
		if h.Get("X-Drawbridge-Subject") != "" {
			users++
		}
	}
	if users == 0 {
		t.Error("no request to the SSE member named the caller (forward_identity)")
	}
}

// TestComposedSSEMemberCallbacks: what an SSE member sends during a call
// reaches the client through the gateway and the composed server: its
// progress notifications on the call's stream, and its elicitation
// request, whose answer goes back to the member on its own connection.
func TestComposedSSEMemberCallbacks(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "ask"}, func(ctx context.Context, req *mcp.CallToolRequest, _ queryIn) (*mcp.CallToolResult, any, error) {
		if tok := req.Params.GetProgressToken(); tok != nil {
			for i := range 2 {
				_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: float64(i + 1), Total: 3})
			}
		}
		res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{Message: "your name?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}},
		}})
		if err != nil {
			return nil, nil, err
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("%s %v", res.Action, res.Content["name"])}}}, nil, nil
	})
	be := httptest.NewServer(mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(be.Close)
	notes := startMember(t, "notes", "search")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: all
    path: /all/mcp
    compose:
      - {name: notes, upstream: %q}
      - {name: legacy, upstream: %q, transport: sse, prefix: old_}
`, notes.URL, be.URL)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var progress []float64
	client := mcp.NewClient(&mcp.Implementation{Name: "drawbridge-e2e", Version: "1.0.0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, req.Params.Progress)
			mu.Unlock()
		},
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "ada"}}, nil
		},
	})
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.URL + "/all/mcp",
		OAuthHandler: sdkOAuthHandler(t, browser.New(gw.URL), gwtest.User)}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	p := &mcp.CallToolParams{Name: "old_ask", Arguments: map[string]any{"query": "q"}}
	p.SetProgressToken("call-1")
	res, err := cs.CallTool(ctx, p)
	if err != nil || res.IsError || len(res.Content) == 0 {
		b, _ := json.Marshal(res)
		t.Fatalf("old_ask: %s, %v", b, err)
	}
	if got := res.Content[0].(*mcp.TextContent).Text; got != "accept ada" {
		t.Errorf("old_ask = %q, want the client's answer", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(progress) != "[1 2]" {
		t.Errorf("progress = %v, want [1 2]", progress)
	}
}
