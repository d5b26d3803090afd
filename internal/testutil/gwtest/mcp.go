package gwtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
)

// SDKOAuthHandler is the official Go SDK's authorization-code handler,
// registering dynamically as clientName, with br playing the browser of
// user (password Password), who approves. Its own requests (discovery,
// registration, token) use hc; nil means http.DefaultClient.
func SDKOAuthHandler(t *testing.T, br *browser.Browser, user, clientName string, hc *http.Client) *auth.AuthorizationCodeHandler {
	t.Helper()
	const redirect = "http://127.0.0.1:43219/callback" // the browser stops here; nothing listens
	fetch := func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
		p, err := br.SignInLocal(args.URL, user, Password, true)
		if err != nil {
			return nil, err
		}
		if p.Callback == nil {
			return nil, fmt.Errorf("flow stopped at %s (%d): %s\ntrace: %s", p.Path(), p.Resp.StatusCode, p.Body, strings.Join(br.Trace, "\n"))
		}
		q := p.Callback.Query()
		if e := q.Get("error"); e != "" {
			return nil, fmt.Errorf("authorization failed: %s: %s", e, q.Get("error_description"))
		}
		return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
	}
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{redirect}, ClientName: clientName,
			TokenEndpointAuthMethod: "none", GrantTypes: []string{"authorization_code", "refresh_token"},
		}},
		AuthorizationCodeFetcher: fetch,
		RequestRefreshToken:      true,
		Client:                   hc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// CallText calls a tool over an MCP session and returns the text of its
// result, failing the test on a protocol error or a tool error.
func CallText(t *testing.T, ctx context.Context, cs *mcp.ClientSession, tool string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	if res.IsError {
		t.Fatalf("%s returned a tool error: %s", tool, b.String())
	}
	return b.String()
}
