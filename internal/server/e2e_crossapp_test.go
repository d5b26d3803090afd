package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// Drawbridge as the enterprise IdP, end to end with two Drawbridges: A,
// where alice signs in (a local user, the real authorization code flow,
// consent included), issues ID-JAGs for B; B trusts A as an enterprise IdP
// (A's keys found by discovery) for its snippets server.
const (
	crossAgentSecret  = "agent-secret-0123456789"
	crossAgentBSecret = "agent-b-secret-0123456789"
)

// crossApp is the pair: A the IdP, B the authorization server in front
// of the MCP server the agent calls, and alice's refresh token of the
// agent at A.
type crossApp struct {
	a, b    *gwtest.Gateway
	agent   *gwtest.Client // the agent at A
	refresh string
}

// startCrossApp starts B first, trusting A's issuer (its address reserved),
// then A, issuing grants for B; extraAud adds an audience to A's list.
func startCrossApp(t *testing.T, extraAud string) *crossApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrA := ln.Addr().String()
	_ = ln.Close()
	b := gwtest.Start(t, gwtest.Options{Env: map[string]string{"IDP": "http://" + addrA}, ExtraYAML: `
clients:
  - id: agent-b
    secret: "` + crossAgentBSecret + `"
    grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
enterprise:
  idps:
    - issuer: "${IDP}"
      clients: [agent-b]
      servers: [snippets]
`})
	audiences := `
    - audience: "${AUD}"
      resources: ["${RES}"]
      scopes: [snippets]
      clients: {agent: agent-b}`
	if extraAud != "" {
		audiences += `
    - audience: "` + extraAud + `"
      resources: ["` + extraAud + `/mcp"]
      scopes: [snippets]
      clients: {agent: agent-b}`
	}
	a := gwtest.Start(t, gwtest.Options{Listen: addrA, Env: map[string]string{"AUD": b.URL, "RES": b.MCP}, ExtraYAML: `
clients:
  - id: agent
    secret: "` + crossAgentSecret + `"
    redirect_uris: ["` + gwtest.Redirect + `"]
    grant_types: [authorization_code, refresh_token, "urn:ietf:params:oauth:grant-type:token-exchange"]
enterprise:
  issue:` + audiences + "\n"})
	agent := gwtest.NewClient(t, a, "agent", gwtest.Redirect)
	agent.Secret = crossAgentSecret
	tok := agent.Tokens(gwtest.User) // alice signs in at A and approves the agent
	rt, _ := tok["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token from A: %v", tok)
	}
	return &crossApp{a: a, b: b, agent: agent, refresh: rt}
}

// exchangeAtA is the token exchange at A, by the official Go SDK's RFC
// 8693 client (oauthex.ExchangeToken), with the refresh token as subject.
func (x *crossApp) exchangeAtA(ctx context.Context, audience, resource string) (*oauth2.Token, error) {
	meta, err := auth.GetAuthServerMetadata(ctx, x.a.URL, http.DefaultClient)
	if err != nil {
		return nil, err
	}
	return oauthex.ExchangeToken(ctx, meta.TokenEndpoint, &oauthex.TokenExchangeRequest{
		RequestedTokenType: oauthex.TokenTypeIDJAG, Audience: audience, Resource: resource, Scope: []string{"snippets"},
		SubjectToken: x.refresh, SubjectTokenType: "urn:ietf:params:oauth:token-type:refresh_token",
	}, &oauthex.ClientCredentials{ClientID: "agent", ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: crossAgentSecret}}, nil)
}

// redeemAtB is the jwt-bearer grant at B (RFC 7523 §2.1), with
// golang.org/x/oauth2 as the SDK's enterprise handler sends it: that
// handler itself cannot be used, for it only exchanges an ID token
// (subject_token_type id_token), which Drawbridge does not issue.
func redeemAtB(ctx context.Context, b *gwtest.Gateway, idjag string) (*oauth2.Token, error) {
	meta, err := auth.GetAuthServerMetadata(ctx, b.URL, http.DefaultClient)
	if err != nil {
		return nil, err
	}
	cfg := &oauth2.Config{ClientID: "agent-b", ClientSecret: crossAgentBSecret,
		Endpoint: oauth2.Endpoint{TokenURL: meta.TokenEndpoint, AuthStyle: oauth2.AuthStyleInHeader}}
	return cfg.Exchange(ctx, "", oauth2.SetAuthURLParam("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
		oauth2.SetAuthURLParam("assertion", idjag))
}

// crossAppHandler is an auth.OAuthHandler for B's MCP server that gets
// its token the cross-app way: exchange at A, redeem at B.
type crossAppHandler struct {
	x  *crossApp
	ts oauth2.TokenSource
}

func (h *crossAppHandler) TokenSource(context.Context) (oauth2.TokenSource, error) { return h.ts, nil }

func (h *crossAppHandler) Authorize(ctx context.Context, _ *http.Request, resp *http.Response) error {
	resp.Body.Close()
	grant, err := h.x.exchangeAtA(ctx, h.x.b.URL, h.x.b.MCP)
	if err != nil {
		return fmt.Errorf("token exchange at A: %w", err)
	}
	tok, err := redeemAtB(ctx, h.x.b, grant.AccessToken)
	if err != nil {
		return fmt.Errorf("jwt-bearer grant at B: %w", err)
	}
	h.ts = oauth2.StaticTokenSource(tok)
	return nil
}

// TestDrawbridgeAsEnterpriseIdP: alice signs in at A; the agent exchanges
// its refresh token at A for an ID-JAG naming B and B's snippets server,
// redeems it at B (which found A's keys by discovery) and calls a tool on
// B's server, which sees alice as A named her. A advertises the exchange;
// B never saw alice sign in.
func TestDrawbridgeAsEnterpriseIdP(t *testing.T) {
	x := startCrossApp(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cs := connectSDK(t, ctx, x.b.MCP, &crossAppHandler{x: x})
	if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, "local:alice") {
		t.Errorf("hello_mcp at B = %q; want the backend to see alice as A names her", got)
	}
	meta, err := auth.GetAuthServerMetadata(ctx, x.a.URL, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		GrantTypes []string `json:"grant_types_supported"`
		Chaining   []string `json:"identity_chaining_requested_token_types_supported"`
	}
	getJSON(t, x.a.URL+"/.well-known/oauth-authorization-server", &raw)
	if meta.TokenEndpoint != x.a.URL+"/token" || !slices.Contains(raw.GrantTypes, "urn:ietf:params:oauth:grant-type:token-exchange") ||
		len(raw.Chaining) != 1 || raw.Chaining[0] != "urn:ietf:params:oauth:token-type:id-jag" {
		t.Errorf("A's metadata: grant types %v, identity chaining %v", raw.GrantTypes, raw.Chaining)
	}
	raw.GrantTypes, raw.Chaining = nil, nil
	getJSON(t, x.b.URL+"/.well-known/oauth-authorization-server", &raw)
	if slices.Contains(raw.GrantTypes, "urn:ietf:params:oauth:grant-type:token-exchange") || raw.Chaining != nil {
		t.Errorf("B issues no ID-JAGs but advertises %v, %v", raw.GrantTypes, raw.Chaining)
	}
	for _, gw := range []*gwtest.Gateway{x.a, x.b} {
		if logs := gw.Logs.String(); strings.Contains(logs, x.refresh) || strings.Contains(logs, crossAgentSecret) {
			t.Error("a refresh token or a client secret reached a log")
		}
	}
}

// TestDrawbridgeAsEnterpriseIdPRefusals: an ID-JAG A issued for another
// authorization server C is refused at B; once alice's grant at A is
// revoked, A issues no more; and an ID-JAG is redeemed once.
func TestDrawbridgeAsEnterpriseIdPRefusals(t *testing.T) {
	const audC = "https://c.example.net"
	x := startCrossApp(t, audC)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	forC, err := x.exchangeAtA(ctx, audC, audC+"/mcp")
	if err != nil {
		t.Fatalf("exchange for C: %v", err)
	}
	if _, err := redeemAtB(ctx, x.b, forC.AccessToken); !oauthErrorIs(err, "invalid_grant", "aud must be this authorization server") {
		t.Errorf("C's ID-JAG at B: %v; want invalid_grant for its audience", err)
	}

	forB, err := x.exchangeAtA(ctx, x.b.URL, x.b.MCP)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := redeemAtB(ctx, x.b, forB.AccessToken); err != nil {
		t.Fatalf("B's ID-JAG at B: %v", err)
	}
	if _, err := redeemAtB(ctx, x.b, forB.AccessToken); !oauthErrorIs(err, "invalid_grant", "already used") {
		t.Errorf("the same ID-JAG again: %v; want invalid_grant", err)
	}

	// alice's grant at A is revoked (as the console or her sign-out does):
	// the refresh token proves nothing any more.
	form := url.Values{"token": {x.refresh}, "token_type_hint": {"refresh_token"}}
	req, _ := http.NewRequest(http.MethodPost, x.a.URL+"/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("agent", crossAgentSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke at A: %d", resp.StatusCode)
	}
	if _, err := x.exchangeAtA(ctx, x.b.URL, x.b.MCP); !oauthErrorIs(err, "invalid_grant", "invalid, expired or revoked") {
		t.Errorf("exchange after the grant was revoked: %v; want invalid_grant", err)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// oauthErrorIs reports whether err is an OAuth error answer with code and
// a description that says why.
func oauthErrorIs(err error, code, why string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code && strings.Contains(re.ErrorDescription, why)
}
