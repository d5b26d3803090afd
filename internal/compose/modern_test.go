package compose

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Over stateless members that speak 2026-07-28, a 2026-07-28 client uses
// the composed server without a session: lists merged, calls routed with
// the member's name in params and in Mcp-Name, progress carried.
func TestModernSessionless(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo", "progress"}, stateless: true})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"echo"}, stateless: true})
	var mu sync.Mutex
	var names []string
	b.http.Config.Handler = recordHeader(b.http.Config.Handler, headerName, &mu, &names)
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{Prefix: "b_"})}})
	var progress int
	cs := c.connect(t, "", &mcp.ClientOptions{ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		progress++
		mu.Unlock()
	}})
	if got := cs.InitializeResult().ProtocolVersion; got != "2026-07-28" {
		t.Fatalf("negotiated %q", got)
	}
	if cs.ID() != "" {
		t.Fatalf("session %q", cs.ID())
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "progress", "b_echo"}) {
		t.Fatalf("tools = %v", got)
	}
	if got := callText(t, cs, "b_echo", map[string]any{"text": "m"}); got != "beta/echo: m" {
		t.Fatalf("b_echo = %q", got)
	}
	mu.Lock()
	sawName := slices.Contains(names, "echo") && !slices.Contains(names, "b_echo")
	mu.Unlock()
	if !sawName {
		t.Fatalf("Mcp-Name headers at beta: %v", names)
	}
	p := paramsCall{Name: "progress"}.p()
	p.SetProgressToken("t")
	if _, err := cs.CallTool(testContext(t), p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "progress", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return progress == 2
	})
	c.s.mu.Lock()
	held := len(c.s.sessions)
	c.s.mu.Unlock()
	if held != 0 {
		t.Fatalf("%d sessions held for sessionless requests", held)
	}
}

func recordHeader(next http.Handler, key string, mu *sync.Mutex, into *[]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get(key); v != "" {
			mu.Lock()
			*into = append(*into, v)
			mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// A member that does not speak 2026-07-28 (the SDK's stateful handler)
// makes the composed server answer 2026-07-28 requests with
// UnsupportedProtocolVersion, so the SDK client falls back to a session
// that reaches every member.
func TestModernFallsBackForALegacyMember(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}, stateless: true})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"find"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{})}})
	cs := c.connect(t, "", nil)
	if got := cs.InitializeResult().ProtocolVersion; got != "2025-11-25" {
		t.Fatalf("negotiated %q, want the 2025-11-25 fallback", got)
	}
	if got := callText(t, cs, "find", map[string]any{"text": "f"}); got != "beta/find: f" {
		t.Fatalf("find = %q", got)
	}
	// On the wire: 400 with the session versions.
	resp, body := rawPost(t, c.http.URL, "", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/list"})
	if resp.StatusCode != 400 || !strings.Contains(body, `"code":`+itoa(int64(mcp.CodeUnsupportedProtocolVersion))) || !strings.Contains(body, `"supported":["2025-11-25"`) {
		t.Fatalf("2026-07-28 request: %d %s", resp.StatusCode, body)
	}
}

// 2026-07-28 requests whose headers disagree with the body are refused.
func TestModernHeaderChecks(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}, stateless: true})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}})
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}`
	for _, tc := range []struct {
		hdr  map[string]string
		body string
		code int64
	}{
		{map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/call"}, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{` + meta + `}}`, mcp.CodeHeaderMismatch},
		{map[string]string{headerProtocol: "2025-11-25", headerMethod: "tools/list"}, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{` + meta + `}}`, mcp.CodeHeaderMismatch},
		{map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/list"}, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`, jsonrpc.CodeInvalidParams},
	} {
		resp, body := rawPost(t, c.http.URL, "", tc.body, tc.hdr)
		if resp.StatusCode != 400 || !strings.Contains(body, `"code":`+itoa(tc.code)) {
			t.Errorf("%v %s: %d %s", tc.hdr, tc.body, resp.StatusCode, body)
		}
	}
	// A method nobody serves: -32601 and 404 in this era.
	resp, body := rawPost(t, c.http.URL, "", `{"jsonrpc":"2.0","id":1,"method":"tools/destroy","params":{`+meta+`}}`,
		map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/destroy"})
	if resp.StatusCode != 404 || !strings.Contains(body, `"code":-32601`) {
		t.Errorf("unknown method: %d %s", resp.StatusCode, body)
	}
}

// An input_required result (2026-07-28 multi round-trip) passes through as
// a result; the client's retry with the input reaches the same member.
func TestModernInputRequired(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}, stateless: true})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"mrtr"}, stateless: true})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{Prefix: "b_"})}})
	cs := c.connect(t, "", &mcp.ClientOptions{
		ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": "to " + req.Params.Message}}, nil
		},
	})
	if got := cs.InitializeResult().ProtocolVersion; got != "2026-07-28" {
		t.Fatalf("negotiated %q", got)
	}
	if got := callText(t, cs, "b_mrtr", map[string]any{}); got != "beta got to beta asks" {
		t.Fatalf("b_mrtr = %q", got)
	}
	if got := b.toolCalls(); !slices.Equal(got, []string{"mrtr", "mrtr"}) {
		t.Fatalf("beta received %v", got)
	}
}

// subscriptions/listen fans out to the members: the client gets one
// acknowledgement, then list_changed from any member on its stream.
func TestModernListen(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}, stateless: true})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"find"}, stateless: true})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{Prefix: "b_"})}})
	changed := make(chan struct{}, 10)
	cs := c.connect(t, "", &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} },
	})
	if got := cs.InitializeResult().ProtocolVersion; got != "2026-07-28" {
		t.Fatalf("negotiated %q", got)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "b_find"}) {
		t.Fatalf("tools = %v", got)
	}
	// Both members hold a listen request open.
	eventually(t, "beta's listen request", func() bool { return b.listens() > 0 })
	b.addTool("grep")
	select {
	case <-changed:
	case <-testContext(t).Done():
		t.Fatal("no list_changed reached the client")
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "b_find", "b_grep"}) {
		t.Fatalf("tools = %v", got)
	}
}

// A tool whose arguments are mirrored in Mcp-Param-* headers (x-mcp-header)
// works through the composed server: the client's headers go with the
// call to the member, which checks them against the arguments.
func TestModernParamHeaders(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{stateless: true})
	schema := json.RawMessage(`{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}}}`)
	a.srv.AddTool(&mcp.Tool{Name: "where", InputSchema: schema}, func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return text("at " + string(req.Params.Arguments)), nil
	})
	var mu sync.Mutex
	var seen []string
	a.http.Config.Handler = recordHeader(a.http.Config.Handler, "Mcp-Param-Region", &mu, &seen)
	c := newComposed(t, Options{Members: []Member{a.member(Member{Prefix: "a_"})}})
	cs := c.connect(t, "", nil)
	if got := toolNames(t, cs); !slices.Equal(got, []string{"a_where"}) {
		t.Fatalf("tools = %v", got)
	}
	if got := callText(t, cs, "a_where", map[string]any{"region": "eu-west"}); got != `at {"region":"eu-west"}` {
		t.Fatalf("a_where = %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []string{"eu-west"}) {
		t.Fatalf("Mcp-Param-Region at the member: %v", seen)
	}
}
