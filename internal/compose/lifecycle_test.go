package compose

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Check reports every problem at once: a collision naming both members,
// an Include literal and an Override key that name nothing, an
// unreachable member; it skips members that need a user.
func TestCheck(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo", "search"}, prompts: []string{"greet"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"echo"}, prompts: []string{"greet"}})
	toolsOnly := newFixture(t, "tools-only", fixtureOpts{tools: []string{"other"}})
	dead := newFixture(t, "dead", fixtureOpts{})
	dead.http.Close()
	c := newComposed(t, Options{Members: []Member{
		a.member(Member{Include: []string{"echo", "greet", "missing"}, Overrides: map[string]Override{"nothing": {Title: "x"}}}),
		b.member(Member{}),
		toolsOnly.member(Member{}),
		dead.member(Member{}),
		dead.member(Member{Name: "per-user", NeedsUser: true}),
	}})
	var got []string
	for _, err := range c.s.Check(testContext(t)) {
		got = append(got, err.Error())
	}
	want := []string{
		`compose: member "dead" is unreachable`,
		`compose: member "alpha": include "missing" names no tool or prompt`,
		`compose: member "alpha": override "nothing" names no tool or prompt`,
		`compose: members "alpha" and "beta" both show the tool "echo"`,
		`compose: members "alpha" and "beta" both show the prompt "greet"`,
	}
	if len(got) != len(want) {
		t.Fatalf("Check = %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want %q", i, got[i], want[i])
		}
	}
	// Check's own member sessions are closed.
	if a.deleted() != 1 || b.deleted() != 1 {
		t.Errorf("Check left member sessions open: %d %d", a.deleted(), b.deleted())
	}
}

// A session unused for SessionIdle is ended with its member sessions; the
// clock is injected, nothing waits for the timeout.
func TestIdleSessionEnds(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}, SessionIdle: time.Hour})
	var mu sync.Mutex
	now := time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)
	c.s.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	id := rawSession(t, c.http.URL)
	if resp, body := rawPost(t, c.http.URL, id, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{}}}`, nil); resp.StatusCode != 200 {
		t.Fatalf("call: %d %s", resp.StatusCode, body)
	}
	mu.Lock()
	now = now.Add(59 * time.Minute)
	mu.Unlock()
	c.s.sweep()
	if resp, _ := rawPost(t, c.http.URL, id, `{"jsonrpc":"2.0","id":3,"method":"ping"}`, nil); resp.StatusCode != 200 {
		t.Fatalf("ping before the timeout: %d", resp.StatusCode)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	c.s.sweep()
	if resp, _ := rawPost(t, c.http.URL, id, `{"jsonrpc":"2.0","id":4,"method":"ping"}`, nil); resp.StatusCode != 404 {
		t.Fatalf("ping after the timeout: %d, want 404", resp.StatusCode)
	}
	if a.deleted() != 1 {
		t.Fatalf("member DELETEs: %d", a.deleted())
	}
}

// A member that ends its session (404) gets a new one, once, and the
// request goes through.
func TestMemberSessionReopened(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}})
	cs := c.connect(t, "2025-11-25", nil)
	if got := callText(t, cs, "echo", map[string]any{"text": "1"}); got != "alpha/echo: 1" {
		t.Fatal(got)
	}
	// End alpha's session behind the composed server's back.
	sid := func() string {
		c.s.mu.Lock()
		defer c.s.mu.Unlock()
		for _, s := range c.s.sessions {
			id, _ := s.members[0].ident()
			return id
		}
		return ""
	}
	old := sid()
	req, _ := newRequest(http.MethodDelete, a.http.URL, old)
	if resp, err := a.http.Client().Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE at alpha: %v %v", resp, err)
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "2"}); got != "alpha/echo: 2" {
		t.Fatal(got)
	}
	if now := sid(); now == old || now == "" {
		t.Fatalf("member session %q after reopening %q", now, old)
	}
}

// Close ends sessions, closes member sessions, ends open streams, and
// leaves no goroutine of the server behind.
func TestCloseLeavesNothing(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo", "slow"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"find"}})
	before := runtime.NumGoroutine()
	s, err := New(Options{Name: "c", Members: []Member{a.member(Member{}), b.member(Member{Prefix: "b_"})}})
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(s)
	cl := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, &mcp.ClientOptions{ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {}})
	cs, err := cl.Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: srv.URL, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "slow", "b_find"}) {
		t.Fatalf("tools = %v", got)
	}
	slowDone := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(context.Background(), paramsCall{Name: "slow"}.p())
		slowDone <- err
	}()
	eventually(t, "the slow call", func() bool { return slices.Contains(a.toolCalls(), "slow") })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-slowDone; err == nil {
		t.Fatal("the slow call succeeded after Close")
	}
	if a.deleted() != 1 || b.deleted() != 1 {
		t.Fatalf("member DELETEs after Close: %d %d", a.deleted(), b.deleted())
	}
	_ = cs.Close()
	srv.CloseClientConnections()
	srv.Close()
	a.http.CloseClientConnections()
	b.http.CloseClientConnections()
	eventually(t, "goroutines to settle", func() bool {
		runtime.GC()
		return runtime.NumGoroutine() <= before
	})
}
