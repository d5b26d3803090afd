package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// TestComposedServerTokenExchangeMember: a member whose credential acts
// for the caller (token_exchange) gets, for each user, a token the
// provider issued for the member's audience in exchange for that user's
// upstream token; never the client's token. Such a member is not listed
// at start (there is no user then), and works from the first call.
func TestComposedServerTokenExchangeMember(t *testing.T) {
	whoami := mcp.NewServer(&mcp.Implementation{Name: "whoami", Version: "1"}, nil)
	mcp.AddTool(whoami, &mcp.Tool{Name: "whoami"}, func(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "you are " + req.Extra.Header.Get("X-Verified-Subject")}}}, nil, nil
	})
	r := startUserTokenRig(t, userTokenSetup{
		jwtAccess: true,
		inner:     mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return whoami }, &mcp.StreamableHTTPOptions{Stateless: true}),
		servers: func(be string) string {
			return fmt.Sprintf(`  - name: all
    path: /all/mcp
    compose:
      - {name: snips, upstream: %q, auth: {mode: token_exchange, audience: snippets-api, scopes: [snippets.read]}}
`, be)
		},
		verify: func(idp *oidctest.Provider) func(*http.Request) (string, error) {
			return jwtVerifier(t, idp, "snippets-api", func(c map[string]any) error {
				if c["scope"] != "snippets.read" || c["client_id"] != "drawbridge" {
					return fmt.Errorf("claims %v", c)
				}
				return nil
			})
		},
	})
	resource := r.gw.URL + "/all/mcp"
	v := gwtest.NewVerifier()
	p, err := r.client.Browser.SignInLocal(r.client.AuthorizeURL(v, map[string]string{"resource": resource, "scope": ""}), "carol", gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("sign-in: %v", err)
	}
	status, tok := r.client.Token(url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {r.client.Redirect}, "resource": {resource}})
	access, _ := tok["access_token"].(string)
	if status != http.StatusOK || access == "" {
		t.Fatalf("token: %d %v", status, tok)
	}
	r.be.mu.Lock()
	before := len(r.be.subjects)
	r.be.mu.Unlock()
	if before != 0 {
		t.Errorf("the member was called %d times before anyone called the composed server", before)
	}
	status2, answer := postMCP(t, resource, access, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"whoami","arguments":{}}}`)
	if status2 != http.StatusOK || !strings.Contains(answer, `you are `+carolSub) {
		t.Errorf("a call through the composed server: %d %s", status2, answer)
	}
	if got := r.be.lastSubject(); got != carolSub {
		t.Errorf("the member saw subject %q, want %q", got, carolSub)
	}
	r.checkClean(t, access, tok["refresh_token"].(string))
}

// postMCP posts one JSON-RPC message as a 2025-03-26 client without a
// session would, and returns the status and body.
func postMCP(t *testing.T, endpoint, token, body string) (int, string) {
	t.Helper()
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	resp, _ := rawPost(t, endpoint, token, init, nil)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d session %q", resp.StatusCode, sid)
	}
	h := http.Header{"Mcp-Session-Id": {sid}, "Mcp-Protocol-Version": {"2025-06-18"}}
	rawPost(t, endpoint, token, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, h)
	resp, b := rawPost(t, endpoint, token, body, h)
	return resp.StatusCode, b
}

func rawPost(t *testing.T, endpoint, token, body string, h http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, sb.String()
}
