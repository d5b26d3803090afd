package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func names(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s%02d", prefix, i))
	}
	return out
}

// Members' own pages are followed, and the merged list is paginated with
// the composed server's cursor, without skipping or repeating items.
func TestPaginationAcrossMembers(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: names("a", 7), pageSize: 3})
	b := newFixture(t, "beta", fixtureOpts{tools: names("b", 5), pageSize: 2})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{})}})
	c.s.pageSize = 4
	cs := c.connect(t, "2025-11-25", nil)
	var got []string
	cursor := ""
	pages := 0
	for {
		res, err := cs.ListTools(testContext(t), &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(res.Tools) > 4 {
			t.Fatalf("page of %d", len(res.Tools))
		}
		for _, tool := range res.Tools {
			got = append(got, tool.Name)
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	want := append(names("a", 7), names("b", 5)...)
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("%d pages: %v, want 3 pages: %v", pages, got, want)
	}
}

// A cursor the server did not write is Invalid params (-32602), whatever
// it is made of.
func TestBadCursors(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: names("a", 3)})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}})
	c.s.pageSize = 2
	cs := c.connect(t, "2025-11-25", nil)
	res, err := cs.ListTools(testContext(t), nil)
	if err != nil || res.NextCursor == "" {
		t.Fatalf("first page: %v %v", res, err)
	}
	promptCursor := encodeCursor(cursor{Method: "prompts/list", Offset: 2, After: "a01"})
	for _, bad := range []string{"x", "!!!", res.NextCursor + "A", promptCursor,
		encodeCursor(cursor{Method: "tools/list", Offset: -1, After: "a"}),
		"eyJtIjoidG9vbHMvbGlzdCIsIm8iOjIsImEiOiJhMDEiLCJ4IjoxfQ"} { // an extra member
		_, err := cs.ListTools(testContext(t), &mcp.ListToolsParams{Cursor: bad})
		wantRPCError(t, err, jsonrpc.CodeInvalidParams, "Invalid params: invalid cursor")
	}
	// The server's own cursor still works.
	res2, err := cs.ListTools(testContext(t), &mcp.ListToolsParams{Cursor: res.NextCursor})
	if err != nil || len(res2.Tools) != 1 || res2.Tools[0].Name != "a02" {
		t.Fatalf("second page: %+v %v", res2, err)
	}
}

// Two configured names that would be equal are refused at New, naming
// both members; so are bad globs and duplicate member names.
func TestNewRefusesCollisions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members []Member
		want    string
	}{
		{"override vs override", []Member{
			{Name: "one", URL: "http://x", Overrides: map[string]Override{"a": {Name: "search"}}},
			{Name: "two", URL: "http://y", Overrides: map[string]Override{"b": {Name: "search"}}},
		}, `compose: members "one" and "two" would both show the name "search"`},
		{"override vs prefixed include", []Member{
			{Name: "one", URL: "http://x", Prefix: "gh_", Include: []string{"issues"}},
			{Name: "two", URL: "http://y", Overrides: map[string]Override{"list": {Name: "gh_issues"}}},
		}, `compose: members "one" and "two" would both show the name "gh_issues"`},
		{"bad glob", []Member{{Name: "one", URL: "http://x", Include: []string{"[a"}}}, `compose: member "one": bad glob "[a"`},
		{"duplicate member", []Member{{Name: "one", URL: "http://x"}, {Name: "one", URL: "http://y"}}, `compose: two members are named "one"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Members: tc.members})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
		})
	}
	// A glob include cannot be known to collide: accepted.
	if _, err := New(Options{Members: []Member{
		{Name: "one", URL: "http://x", Include: []string{"search*"}},
		{Name: "two", URL: "http://y", Overrides: map[string]Override{"b": {Name: "search"}}},
	}}); err != nil {
		t.Fatalf("New: %v", err)
	}
}

// A member announcing a name an earlier member owns is left out of the
// list; the observer hears it once, not on every list.
func TestShadowingAtRunTime(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo", "only_a"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"echo", "only_b"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{})}})
	cs := c.connect(t, "2025-11-25", nil)
	for range 3 {
		if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "only_a", "only_b"}) {
			t.Fatalf("tools = %v", got)
		}
	}
	if got := c.obs.count("shadowed"); got != 1 {
		t.Fatalf("observer heard %d shadowing events: %v", got, c.obs.list())
	}
	if !slices.Contains(c.obs.list(), "shadowed tool echo owner=alpha member=beta") {
		t.Fatalf("events: %v", c.obs.list())
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "1"}); got != "alpha/echo: 1" {
		t.Errorf("echo = %q", got)
	}
	if got := callText(t, cs, "only_b", map[string]any{"text": "1"}); got != "beta/only_b: 1" {
		t.Errorf("only_b = %q", got)
	}
	// Once alpha drops echo, beta's is no longer shadowed and gets the
	// calls; if it comes back, that is a new event.
	a.srv.RemoveTools("echo")
	if got := toolNames(t, cs); !slices.Equal(got, []string{"only_a", "echo", "only_b"}) {
		t.Fatalf("tools = %v", got)
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "2"}); got != "beta/echo: 2" {
		t.Errorf("echo = %q", got)
	}
	a.addTool("echo")
	toolNames(t, cs)
	if got := c.obs.count("shadowed"); got != 2 {
		t.Fatalf("observer heard %d shadowing events: %v", got, c.obs.list())
	}
}

// A member that is down is left out of the list, which still answers;
// the observer hears it go down and come back, and Health shows it.
func TestMemberDown(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"find"}})
	var down atomic.Bool
	gate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	b.http.Config.Handler = gate(b.http.Config.Handler)
	down.Store(true)
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{})}})
	cs := c.connect(t, "2025-11-25", nil)
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo"}) {
		t.Fatalf("tools with beta down = %v", got)
	}
	h := c.s.Health()
	if len(h) != 2 || !h[0].Up || h[1].Up || h[1].Name != "beta" || !strings.Contains(h[1].LastError, "HTTP 503") {
		t.Fatalf("health = %+v", h)
	}
	if got := c.obs.count("down beta"); got != 1 {
		t.Fatalf("events: %v", c.obs.list())
	}
	down.Store(false)
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "find"}) {
		t.Fatalf("tools with beta up = %v", got)
	}
	if h := c.s.Health(); !h[1].Up || h[1].LastError != "" {
		t.Fatalf("health = %+v", h)
	}
	if !slices.Contains(c.obs.list(), "up beta") {
		t.Fatalf("events: %v", c.obs.list())
	}
}

// rawPost sends one JSON-RPC body to the composed server.
func rawPost(t *testing.T, url, session, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set(headerSession, session)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// rawSession opens a session by hand.
func rawSession(t *testing.T, url string) string {
	t.Helper()
	resp, body := rawPost(t, url, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"raw","version":"1"}}}`, nil)
	if resp.StatusCode != 200 || resp.Header.Get(headerSession) == "" {
		t.Fatalf("initialize: %d %s", resp.StatusCode, body)
	}
	var r struct {
		Result struct {
			ProtocolVersion string          `json:"protocolVersion"`
			Capabilities    json.RawMessage `json:"capabilities"`
			ServerInfo      map[string]string
		}
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Result.ProtocolVersion != "2025-11-25" || r.Result.ServerInfo["name"] != "composed" {
		t.Fatalf("initialize result: %s", body)
	}
	return resp.Header.Get(headerSession)
}

// When an item of an earlier page goes away between pages, the next page
// still starts right after the last item given: nothing is skipped.
func TestPaginationSurvivesARemoval(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: names("a", 6)})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}})
	c.s.pageSize = 3
	cs := c.connect(t, "2025-11-25", nil)
	first, err := cs.ListTools(testContext(t), nil)
	if err != nil || len(first.Tools) != 3 || first.Tools[2].Name != "a02" {
		t.Fatalf("first page: %+v %v", first, err)
	}
	a.srv.RemoveTools("a00")
	second, err := cs.ListTools(testContext(t), &mcp.ListToolsParams{Cursor: first.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tool := range second.Tools {
		got = append(got, tool.Name)
	}
	if !slices.Equal(got, []string{"a03", "a04", "a05"}) || second.NextCursor != "" {
		t.Fatalf("second page: %v %q", got, second.NextCursor)
	}
}
