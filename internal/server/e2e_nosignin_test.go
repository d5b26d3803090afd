package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth/extauth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestMachineOnlyGateway: a gateway with no identity section, only a
// machine client, serves that client end to end: the Go SDK's
// client-credentials handler discovers the gateway from the 401, gets a
// token and calls a tool. Nothing that needs a user is there to attack:
// /authorize shows a page and redirects nowhere, and registration, the
// console and the sign-in pages answer 404.
func TestMachineOnlyGateway(t *testing.T) {
	const secret = "machine-secret-0123456789abcdef"
	gw := gwtest.Start(t, gwtest.Options{NoIdentity: true, Env: map[string]string{"JOB_SECRET": secret}, ExtraYAML: `
clients:
  - id: nightly-job
    secret: "${JOB_SECRET}"
    token_endpoint_auth_method: client_secret_post
    grant_types: [client_credentials]
`})
	if gw.Cfg.Identity.Type != "none" {
		t.Fatalf("identity.type %q", gw.Cfg.Identity.Type)
	}

	h, err := extauth.NewClientCredentialsHandler(&extauth.ClientCredentialsHandlerConfig{
		Credentials: &oauthex.ClientCredentials{ClientID: "nightly-job", ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: secret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "nightly-job", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.MCP, OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect with client credentials: %v", err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "hello_mcp"})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "nightly-job") {
		t.Fatalf("hello_mcp: %v %+v", err, res)
	}

	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"response_type": {"code"}, "client_id": {"nightly-job"}, "redirect_uri": {"https://attacker.example/cb"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}, "state": {"s"}, "resource": {gw.MCP}}
	for path, want := range map[string]string{
		"/authorize?" + q.Encode(): "This server signs nobody in.",
		"/login?req=x":             "",
		"/consent?req=x":           "",
		"/callback?state=x.y":      "",
		"/console/":                "",
	} {
		resp, err := noRedirects.Get(gw.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, Location %q, body %q", path, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	resp, err := http.Post(gw.URL+"/register", "application/json", strings.NewReader(`{"redirect_uris": ["`+gwtest.Redirect+`"]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("dynamic registration: %d", resp.StatusCode)
	}
	// The machine client cannot turn into an interactive one.
	status, body := gwtest.PostToken(t, gw, url.Values{"grant_type": {"authorization_code"}, "code": {"made-up"}, "redirect_uri": {gwtest.Redirect},
		"code_verifier": {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}, "client_id": {"nightly-job"}, "client_secret": {secret}}, "", "")
	if status != http.StatusBadRequest || body["error"] != "unauthorized_client" {
		t.Errorf("authorization_code from the machine client: %d %v", status, body)
	}
}
