package server_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestStdioBackendThroughGateway: a stdio MCP server started by the
// gateway, reached by the Go SDK client with OAuth like any other server,
// one process per session, without the gateway's environment.
func TestStdioBackendThroughGateway(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DRAWBRIDGE_TEST_PARENT_SECRET", "do-not-leak")
	extra := fmt.Sprintf(`  - name: tools
    path: /tools/mcp
    command: [%q]
    env: {%s: "1"}
    scopes: [tools]
`, self, stdioServerEnv)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var pids []string
	for i := range 2 {
		br := browser.New(gw.URL)
		cs := connectSDK(t, ctx, gw.URL+"/tools/mcp", sdkOAuthHandler(t, br, gwtest.User))
		got := gwtest.CallText(t, ctx, cs, "echo", map[string]any{"text": fmt.Sprint("hi ", i)})
		if !strings.HasPrefix(got, fmt.Sprintf("echo hi %d pid ", i)) || !strings.HasSuffix(got, "parent secret absent") {
			t.Fatalf("echo through the stdio bridge: %q", got)
		}
		pids = append(pids, strings.Fields(got)[4])
		cs.Close()
	}
	if pids[0] == pids[1] {
		t.Errorf("two sessions shared process %s in per-session mode", pids[0])
	}
	// A token for the snippets server is not good for the stdio server.
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string)
	if resp := gwtest.MCPCall(t, gw.URL+"/tools/mcp", "Bearer "+at); resp.StatusCode != 401 {
		t.Fatalf("snippets token at the stdio server: %d", resp.StatusCode)
	}
}
