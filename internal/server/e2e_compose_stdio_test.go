package server_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestComposedServerStdioMember: a stdio MCP server run by the gateway is
// a member like any other, in both eras, beside an upstream member: its
// tools are prefixed, its calls reach its process (which has none of the
// gateway's environment), and its sessions are per client session.
func TestComposedServerStdioMember(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DRAWBRIDGE_TEST_PARENT_SECRET", "do-not-leak")
	notes := startMember(t, "notes", "search")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: all
    path: /all/mcp
    compose:
      - {name: notes, upstream: %q}
      - name: local
        command: [%q]
        env: {%s: "1"}
        prefix: local_
`, notes.URL, self, stdioServerEnv)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, version := range []string{"", "2025-11-25"} {
		cs := connectSDKVersion(t, ctx, gw.URL+"/all/mcp", version, browser.New(gw.URL))
		if got := strings.Join(toolNames(t, ctx, cs), ","); got != "local_echo,search" {
			t.Fatalf("era %q: tools = %s", cmp.Or(version, "2026-07-28"), got)
		}
		got, err := callText(t, ctx, cs, "local_echo", map[string]any{"text": "hi"})
		if err != nil || !strings.HasPrefix(got, "echo hi pid ") || !strings.HasSuffix(got, "parent secret absent") {
			t.Errorf("era %q: local_echo = %q, %v", cmp.Or(version, "2026-07-28"), got, err)
		}
		if got, err := callText(t, ctx, cs, "search", map[string]any{"query": "x"}); err != nil || got != "notes:search:x" {
			t.Errorf("era %q: search = %q, %v", cmp.Or(version, "2026-07-28"), got, err)
		}
	}
}
