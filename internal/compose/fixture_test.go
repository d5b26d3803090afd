package compose

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// testContext is bounded so that a hung exchange fails the test instead
// of the run.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fixture is one real MCP server built with the SDK, as a member.
type fixture struct {
	name      string
	srv       *mcp.Server
	http      *httptest.Server
	mu        sync.Mutex
	calls     []string // tool calls received, by the member's own name
	cancelled int
	sessions  map[string]bool // open SDK sessions, by id
	deletes   int
	listening int           // subscriptions/listen requests received
	stop      chan struct{} // closed at cleanup: slow tools give up
}

type fixtureOpts struct {
	tools     []string
	prompts   []string
	resources []string
	templates []string
	pageSize  int
	stateless bool
	subscribe bool // resources can be subscribed to
}

type textIn struct {
	Text string `json:"text,omitempty"`
}

func newFixture(t *testing.T, name string, o fixtureOpts) *fixture {
	t.Helper()
	f := &fixture{name: name, sessions: map[string]bool{}, stop: make(chan struct{})}
	so := &mcp.ServerOptions{PageSize: o.pageSize}
	// Completion answers with the member's name and the reference it got.
	so.CompletionHandler = func(_ context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
		ref := req.Params.Ref
		return &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: []string{name, ref.Type, ref.Name + ref.URI}}}, nil
	}
	if o.subscribe {
		so.SubscribeHandler = func(context.Context, *mcp.SubscribeRequest) error { return nil }
		so.UnsubscribeHandler = func(context.Context, *mcp.UnsubscribeRequest) error { return nil }
	}
	f.srv = mcp.NewServer(&mcp.Implementation{Name: name, Version: "1"}, so)
	for _, tool := range o.tools {
		f.addTool(tool)
	}
	for _, p := range o.prompts {
		f.srv.AddPrompt(&mcp.Prompt{Name: p, Description: "prompt " + p}, func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Description: name + ":" + req.Params.Name, Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: name}}}}, nil
		})
	}
	for _, uri := range o.resources {
		f.srv.AddResource(&mcp.Resource{URI: uri, Name: uri}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, Text: name + " has " + req.Params.URI}}}, nil
		})
	}
	for _, tmpl := range o.templates {
		f.srv.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: tmpl, Name: tmpl}, func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: req.Params.URI, Text: name + " made " + req.Params.URI}}}, nil
		})
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return f.srv }, &mcp.StreamableHTTPOptions{Stateless: o.stateless})
	f.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(headerMethod) == "subscriptions/listen" {
			f.mu.Lock()
			f.listening++
			f.mu.Unlock()
		}
		if r.Method == http.MethodDelete {
			f.mu.Lock()
			f.deletes++
			f.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.http.Close)
	t.Cleanup(func() { close(f.stop) })
	return f
}

// addTool adds a tool whose behaviour its name selects: "slow…" waits to
// be cancelled, "progress…" reports progress, "ask…" elicits, "sample…"
// samples; every other tool echoes.
func (f *fixture) addTool(tool string) {
	mcp.AddTool(f.srv, &mcp.Tool{Name: tool, Description: "tool " + tool}, func(ctx context.Context, req *mcp.CallToolRequest, in textIn) (*mcp.CallToolResult, any, error) {
		f.mu.Lock()
		f.calls = append(f.calls, tool)
		f.mu.Unlock()
		switch {
		case strings.HasPrefix(tool, "mrtr"):
			// 2026-07-28 multi round-trip: ask with an input_required
			// result, answer when the client retries with the input.
			if res, ok := req.Params.InputResponses["q"].(*mcp.ElicitResult); ok {
				return text(fmt.Sprintf("%s got %v", f.name, res.Content["answer"])), nil, nil
			}
			return &mcp.CallToolResult{InputRequests: mcp.InputRequestMap{"q": &mcp.ElicitParams{Message: f.name + " asks",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}}}}}, nil, nil
		case strings.HasPrefix(tool, "slow"):
			select {
			case <-ctx.Done():
			case <-f.stop:
				return nil, nil, errors.New("test over")
			}
			f.mu.Lock()
			f.cancelled++
			f.mu.Unlock()
			return nil, nil, ctx.Err()
		case strings.HasPrefix(tool, "progress"):
			for i := 1; i <= 2; i++ {
				if err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: req.Params.GetProgressToken(), Progress: float64(i), Total: 2}); err != nil {
					return nil, nil, err
				}
			}
		case strings.HasPrefix(tool, "ask"):
			res, err := req.Session.Elicit(ctx, &mcp.ElicitParams{Message: f.name + " asks", RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}}})
			if err != nil {
				return nil, nil, err
			}
			return text(fmt.Sprintf("%s got %v", f.name, res.Content["answer"])), nil, nil
		case strings.HasPrefix(tool, "sample"):
			//lint:ignore SA1019 sampling and logging are deprecated in 2026-07-28, but legacy sessions still carry them
			res, err := req.Session.CreateMessage(ctx, &mcp.CreateMessageParams{MaxTokens: 10, Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: f.name}}}})
			if err != nil {
				return nil, nil, err
			}
			return text(f.name + " sampled " + res.Content.(*mcp.TextContent).Text), nil, nil
		}
		return text(fmt.Sprintf("%s/%s: %s", f.name, tool, in.Text)), nil, nil
	})
}

func text(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

func (f *fixture) member(m Member) Member {
	if m.Name == "" {
		m.Name = f.name
	}
	m.URL = f.http.URL
	m.Client = f.http.Client()
	return m
}

func (f *fixture) toolCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// recorder is an Observer that records what it hears.
type recorder struct {
	mu     sync.Mutex
	events []string
	errs   []error
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) Routed(_ context.Context, member, name string) {
	r.add("routed %s %s", member, name)
}
func (r *recorder) MemberDown(_ context.Context, member string, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	r.add("down %s", member)
}
func (r *recorder) MemberUp(_ context.Context, member string) { r.add("up %s", member) }
func (r *recorder) Shadowed(_ context.Context, kind, name, owner, member string) {
	r.add("shadowed %s %s owner=%s member=%s", kind, name, owner, member)
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) count(prefix string) int {
	n := 0
	for _, e := range r.list() {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// composed runs a composed server over members behind an HTTP server.
type composed struct {
	s    *Server
	http *httptest.Server
	obs  *recorder
}

func newComposed(t *testing.T, o Options) *composed {
	t.Helper()
	c := &composed{obs: &recorder{}}
	if o.Observer == nil {
		o.Observer = c.obs
	}
	if o.Name == "" {
		o.Name, o.Version = "composed", "1.0"
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.s = s
	c.http = httptest.NewServer(s)
	t.Cleanup(func() {
		c.http.CloseClientConnections()
		c.http.Close()
		_ = s.Close()
	})
	return c
}

// connect opens an SDK client session; version "" lets the client choose
// 2026-07-28 first.
func (c *composed) connect(t *testing.T, version string, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	cl := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, opts)
	cs, err := cl.Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: c.http.URL, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args any) string {
	t.Helper()
	res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("call %s: %+v", name, res)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	var out []string
	for tool, err := range cs.Tools(testContext(t), nil) {
		if err != nil {
			t.Fatalf("tools: %v", err)
		}
		out = append(out, tool.Name)
	}
	return out
}

// eventually polls cond: tests wait for conditions, never for fixed times.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wantRPCError checks that err is the JSON-RPC error code with message.
func wantRPCError(t *testing.T, err error, code int64, message string) {
	t.Helper()
	var we *jsonrpc.Error
	if !errors.As(err, &we) || we.Code != code || we.Message != message {
		t.Errorf("err = %v, want JSON-RPC %d %q", err, code, message)
	}
}

func newRequest(method, url, session string) (*http.Request, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(headerSession, session)
	return req, nil
}

func (f *fixture) deleted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deletes
}

// paramsCall builds CallToolParams with empty arguments.
type paramsCall struct{ Name string }

func (p paramsCall) p() *mcp.CallToolParams {
	return &mcp.CallToolParams{Name: p.Name, Arguments: map[string]any{}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func newHTTPServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }

func (f *fixture) listens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listening
}
