package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestLegacySSEServerEndToEnd: a 2024-11-05 HTTP+SSE server behind the
// gateway, reached by the Go SDK's SSE client with OAuth.
func TestLegacySSEServerEndToEnd(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in whoArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "legacy " + in.Text}}}, nil, nil
	})
	var sawToken atomic.Bool
	handler := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			sawToken.Store(true)
		}
		handler.ServeHTTP(w, r)
	}))
	defer be.Close()
	extra := fmt.Sprintf(`  - name: legacy
    path: /legacy/sse
    upstream: %s/sse
    transport: sse
    scopes: [legacy]
`, be.URL)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := sdkOAuthHandler(t, browser.New(gw.URL), gwtest.User)
	// The SDK's SSE transport takes no OAuth handler: authorize through the
	// streamable path's 401 first, then reuse the token.
	if _, err := mcp.NewClient(&mcp.Implementation{Name: "x", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.URL + "/legacy/sse", OAuthHandler: h}, nil); err == nil {
		t.Log("the streamable transport connected to a legacy endpoint (unexpected but harmless)")
	}
	tok, err := mustToken(ctx, h)
	if err != nil {
		t.Fatalf("no token: %v", err)
	}
	hc := &http.Client{Transport: bearerTransport{token: tok.AccessToken}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "legacy-client", Version: "1"}, nil).
		Connect(ctx, &mcp.SSEClientTransport{Endpoint: gw.URL + "/legacy/sse", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("connect over HTTP+SSE: %v", err)
	}
	defer cs.Close()
	if got := gwtest.CallText(t, ctx, cs, "echo", map[string]any{"text": "hi"}); got != "legacy hi" {
		t.Fatalf("echo = %q", got)
	}
	if sawToken.Load() {
		t.Error("the client's token reached the legacy backend")
	}
	if strings.Contains(gw.Logs.String(), tok.AccessToken) {
		t.Error("token in the log")
	}
}

type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}
