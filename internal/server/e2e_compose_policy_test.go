package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestComposedServerStepUp: a step-up scope on a composed tool name is
// asked for like any other: without it the call is a 403 challenge
// naming every scope it needs, and the member never runs it.
func TestComposedServerStepUp(t *testing.T) {
	notes := startMember(t, "notes", "echo", "search")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: all
    path: /all/mcp
    scopes: [all]
    policy:
      rules:
        - {name: echo-needs-write, tools: [notes_echo], require_scopes: ["all:write"], effect: allow}
    compose:
      - {name: notes, upstream: %q, prefix: notes_}
`, notes.URL)})
	tok := tokenFor(t, gw, gw.URL+"/all/mcp")
	call := func(name string) *http.Response {
		body := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"` + name + `","arguments":{"query":"x"},` +
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/all/mcp", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", name)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := call("notes_echo")
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="all all:write"`) {
		t.Errorf("notes_echo without all:write: %d %q", resp.StatusCode, ch)
	}
	if resp := call("notes_search"); resp.StatusCode != http.StatusOK {
		t.Errorf("notes_search needs no step-up: %d", resp.StatusCode)
	}
	if _, _, _, calls := notes.seen(); strings.Join(calls, ",") != "search" {
		t.Errorf("the member ran %v, want only search", calls)
	}
}

// TestComposedServerDefaultDeny: with a default-deny policy, an allow
// rule on a composed (prefixed) name is the only way in: the client sees
// and runs that tool alone, and the member's own name for another tool
// does not get past the default.
func TestComposedServerDefaultDeny(t *testing.T) {
	notes := startMember(t, "notes", "echo", "search")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: all
    path: /all/mcp
    policy:
      default: deny
      rules:
        - {name: search-only, tools: [notes_search], effect: allow}
    compose:
      - {name: notes, upstream: %q, prefix: notes_}
`, notes.URL)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs := connectSDKVersion(t, ctx, gw.URL+"/all/mcp", "", browser.New(gw.URL))
	if got := strings.Join(toolNames(t, ctx, cs), ","); got != "notes_search" {
		t.Errorf("tools = %s, want notes_search alone", got)
	}
	if got, err := callText(t, ctx, cs, "notes_search", map[string]any{"query": "q"}); err != nil || got != "notes:search:q" {
		t.Errorf("notes_search = %q, %v", got, err)
	}
	for _, name := range []string{"notes_echo", "echo", "search"} {
		if got, err := callText(t, ctx, cs, name, map[string]any{"query": "q"}); err == nil {
			t.Errorf("%s went through a default deny: %q", name, got)
		}
	}
	if _, _, _, calls := notes.seen(); strings.Join(calls, ",") != "search" {
		t.Errorf("the member ran %v, want only search", calls)
	}
}
