package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
)

// sdkClient builds the official Go SDK's OAuth handler, registering
// dynamically, with br playing the user's browser.
func sdkOAuthHandler(t *testing.T, br *browser.Browser, user string) *auth.AuthorizationCodeHandler {
	t.Helper()
	return sdkOAuthHandlerWith(t, br, user, nil)
}

// sdkOAuthHandlerWith is sdkOAuthHandler whose own requests (discovery,
// registration, token) use hc; nil means http.DefaultClient.
func sdkOAuthHandlerWith(t *testing.T, br *browser.Browser, user string, hc *http.Client) *auth.AuthorizationCodeHandler {
	t.Helper()
	return gwtest.SDKOAuthHandler(t, br, user, "Drawbridge e2e (Go SDK)", hc)
}

func connectSDK(t *testing.T, ctx context.Context, endpoint string, h auth.OAuthHandler) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "drawbridge-e2e", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect through the gateway: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// TestGoSDKClientThroughGateway is the whole story: an MCP client with no
// prior setup hits the gateway, discovers the authorization server from the
// 401, registers, sends the user to sign in and consent, redeems the code,
// and its tool calls reach the backend — which never sees the client's
// token, only its own credential.
func TestGoSDKClientThroughGateway(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	br := browser.New(gw.URL)
	h := sdkOAuthHandler(t, br, gwtest.User)
	cs := connectSDK(t, ctx, gw.MCP, h)

	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "get_snippet,hello_mcp,save_snippet" {
		t.Fatalf("tools through the gateway = %v", names)
	}
	if got := gwtest.CallText(t, ctx, cs, "save_snippet", map[string]any{"snippetname": "greeting", "snippet": "hello, drawbridge"}); got == "" {
		t.Error("save_snippet returned no text")
	}
	if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": "greeting"}); !strings.Contains(got, "hello, drawbridge") {
		t.Errorf("get_snippet = %q", got)
	}
	if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, "local:alice") {
		t.Errorf("hello_mcp = %q; the backend did not get the caller's identity", got)
	}

	tok, err := mustToken(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token for a client registered for the refresh_token grant")
	}

	be := gw.Backend
	be.Mu.Lock()
	defer be.Mu.Unlock()
	if be.Requests < 4 {
		t.Fatalf("backend saw %d requests", be.Requests)
	}
	if len(be.Authorization) != 0 || len(be.Cookies) != 0 {
		t.Errorf("client credentials reached the backend: Authorization=%q Cookie=%q", be.Authorization, be.Cookies)
	}
	for _, k := range be.Keys {
		if k != be.Key {
			t.Fatalf("a backend request lacked the backend's own key")
		}
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, gwtest.Password, be.Key} {
		if secret != "" && strings.Contains(gw.Logs.String(), secret) {
			t.Error("a secret was written to the log")
		}
	}
}

func mustToken(ctx context.Context, h *auth.AuthorizationCodeHandler) (*oauth2Token, error) {
	ts, err := h.TokenSource(ctx)
	if err != nil || ts == nil {
		return nil, fmt.Errorf("no token source: %v", err)
	}
	t, err := ts.Token()
	if err != nil {
		return nil, err
	}
	return &oauth2Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken}, nil
}

type oauth2Token struct{ AccessToken, RefreshToken string }

// TestOAuthDebugTrace: with log.oauth_debug on, every step of a client's
// flow is logged, and no secret value is.
func TestOAuthDebugTrace(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "log: {oauth_debug: true}\n"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := sdkOAuthHandler(t, browser.New(gw.URL), gwtest.User)
	cs := connectSDK(t, ctx, gw.MCP, h)
	gwtest.CallText(t, ctx, cs, "hello_mcp", nil)
	tok, err := mustToken(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	logs := gw.Logs.String()
	for _, step := range []string{
		"resource: request refused", "discovery: protected resource metadata", "discovery: authorization server metadata",
		"registration: request", "authorize: request", "sign-in: form submitted", "consent: answered",
		"authorize: code sent to the client", "token: request", "token: issued",
	} {
		if !strings.Contains(logs, `step="`+step) {
			t.Errorf("the debug trace lacks %q", step)
		}
	}
	if !strings.Contains(logs, "params.code_verifier=\"[redacted, ") {
		t.Error("the token request's verifier was not shown as redacted")
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, gwtest.Password} {
		if strings.Contains(logs, secret) {
			t.Fatal("a secret reached the debug log")
		}
	}
}
