package sseclient_test

import (
	"context"
	"fmt"
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

type textIn struct {
	Text string `json:"text,omitempty"`
}

// legacyServer is a real 2024-11-05 HTTP+SSE MCP server (the Go SDK's
// SSEHandler) with an echo tool, a tool that reports progress, and one
// that asks the client a question (elicitation); it records the
// Authorization header of every request it gets.
type legacyServer struct {
	*httptest.Server
	mu       sync.Mutex
	authz    []string
	requests []string // method and path
}

func newLegacyServer(t *testing.T) *legacyServer {
	t.Helper()
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo"}, func(_ context.Context, _ *mcp.CallToolRequest, in textIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "legacy " + in.Text}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "slow"}, func(ctx context.Context, req *mcp.CallToolRequest, _ textIn) (*mcp.CallToolResult, any, error) {
		if tok := req.Params.GetProgressToken(); tok != nil {
			for i := range 2 {
				_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: float64(i + 1), Total: 2})
			}
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, nil
	})
	mcp.AddTool(srv, &mcp.Tool{Name: "ask"}, func(ctx context.Context, req *mcp.CallToolRequest, _ textIn) (*mcp.CallToolResult, any, error) {
		res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{Message: "your name?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}},
		}})
		if err != nil {
			return nil, nil, err
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("%s %v", res.Action, res.Content["name"])}}}, nil, nil
	})
	h := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	ls := &legacyServer{}
	ls.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		ls.authz = append(ls.authz, r.Header.Get("Authorization"))
		ls.requests = append(ls.requests, r.Method+" "+r.URL.Path)
		ls.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ls.Close)
	return ls
}

// withAuth is a RoundTripper that adds the member's credential.
type withAuth struct{ token string }

func (a withAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+a.token)
	return http.DefaultTransport.RoundTrip(r)
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// bridge serves the server at url through a per-session bridge whose
// sessions each dial their own SSE connection.
func bridge(t *testing.T, url string, timeout time.Duration) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := stdio.New(stdio.Options{Name: "legacy", Mode: stdio.PerSession, Logger: log,
		Dial: sseclient.Dialer(sseclient.Options{URL: url, Timeout: timeout, Log: log,
			Client: &http.Client{Transport: withAuth{"member-credential"}, CheckRedirect: noRedirects}})})
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(b)
	t.Cleanup(func() { s.Close(); b.Close() })
	return s
}

func connect(t *testing.T, ctx context.Context, url string, opt *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, opt)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func call(t *testing.T, ctx context.Context, cs *mcp.ClientSession, p *mcp.CallToolParams) string {
	t.Helper()
	res, err := cs.CallTool(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "")
}

// TestBridgedSession: a Streamable HTTP client reaches a 2024-11-05 server
// through the bridge: tools, calls, progress notifications to the right
// call, and a server-to-client request (elicitation) answered by the
// client; every request the server gets carries the member's credential.
func TestBridgedSession(t *testing.T) {
	ls := newLegacyServer(t)
	br := bridge(t, ls.URL, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var progress []float64
	cs := connect(t, ctx, br.URL, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, req.Params.Progress)
			mu.Unlock()
		},
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "ada"}}, nil
		},
	})
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 3 {
		t.Fatalf("tools: %v, %v", tools, err)
	}
	if got := call(t, ctx, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}}); got != "legacy hi" {
		t.Errorf("echo = %q", got)
	}
	p := &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}}
	p.SetProgressToken("p1")
	if got := call(t, ctx, cs, p); got != "done" {
		t.Errorf("slow = %q", got)
	}
	if got := call(t, ctx, cs, &mcp.CallToolParams{Name: "ask", Arguments: map[string]any{}}); got != "accept ada" {
		t.Errorf("ask = %q", got)
	}
	mu.Lock()
	if fmt.Sprint(progress) != "[1 2]" {
		t.Errorf("progress = %v, want [1 2]", progress)
	}
	mu.Unlock()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if len(ls.authz) < 3 {
		t.Fatalf("the server saw %d requests", len(ls.authz))
	}
	for _, a := range ls.authz {
		if a != "Bearer member-credential" {
			t.Errorf("the server got Authorization %q", a)
		}
	}
}

// TestSessionsHaveTheirOwnConnections: two client sessions open two SSE
// connections; ending one leaves the other working.
func TestSessionsHaveTheirOwnConnections(t *testing.T) {
	ls := newLegacyServer(t)
	br := bridge(t, ls.URL, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := connect(t, ctx, br.URL, nil)
	b := connect(t, ctx, br.URL, nil)
	ls.mu.Lock()
	gets := 0
	for _, r := range ls.requests {
		if strings.HasPrefix(r, "GET ") {
			gets++
		}
	}
	ls.mu.Unlock()
	if gets != 2 {
		t.Errorf("%d SSE streams opened for two sessions", gets)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := call(t, ctx, b, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "b"}}); got != "legacy b" {
		t.Errorf("echo on the other session = %q", got)
	}
}
