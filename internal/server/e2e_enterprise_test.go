package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/auth/extauth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// enterpriseOID is the user's Entra-style object id: the subject Drawbridge
// gives the user, as an Entra sign-in would (claims.subject: oid).
const enterpriseOID = "6f1d7c0e-3b2a-4c5d-8e9f-a0b1c2d3e4f5"

// startEnterprise runs an enterprise IdP (the test OpenID provider, which
// issues ID-JAGs by token exchange) with the user carol and the agent's
// registration there, and Drawbridge trusting it for the agent and the
// snippets server.
func startEnterprise(t *testing.T) (*gwtest.Gateway, *oidctest.Provider) {
	t.Helper()
	idp := startEnterpriseIdP(t)
	gw := gwtest.Start(t, enterpriseOptions(idp, gwtest.Options{}))
	// The IdP knows the agent as agent-at-idp, and names it as Drawbridge
	// knows it in the grants it issues for Drawbridge.
	idp.SetIDJAGClient("agent-at-idp", gw.URL, "agent")
	return gw, idp
}

func startEnterpriseIdP(t *testing.T) *oidctest.Provider {
	return oidctest.Start(t, oidctest.Options{
		Users:   []oidctest.User{{Username: "carol", OID: enterpriseOID, Email: "carol@example.com", Groups: []string{"eng"}}},
		Clients: []oidctest.Client{{ID: "agent-at-idp", Secret: "agent-idp-secret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
	})
}

// enterpriseOptions adds the agent and the trusted IdP to opt.
func enterpriseOptions(idp *oidctest.Provider, opt gwtest.Options) gwtest.Options {
	opt.Env = map[string]string{"IDP": idp.Issuer()}
	opt.ExtraYAML = `
clients:
  - id: agent
    secret: "agent-secret-0123456789"
    grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
enterprise:
  idps:
    - issuer: "${IDP}"
      clients: [agent]
      servers: [snippets]
      claims: {subject: oid}
`
	return opt
}

// enterpriseHandler is the official Go SDK's enterprise handler (SEP-990),
// signing carol in at the IdP without a browser.
func enterpriseHandler(t *testing.T, gw *gwtest.Gateway, idp *oidctest.Provider, mcpSecret string) *extauth.EnterpriseHandler {
	t.Helper()
	idpCreds := &oauthex.ClientCredentials{ClientID: "agent-at-idp", ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: "agent-idp-secret"}}
	h, err := extauth.NewEnterpriseHandler(&extauth.EnterpriseHandlerConfig{
		IdPIssuerURL:     idp.Issuer(),
		IdPCredentials:   idpCreds,
		MCPAuthServerURL: gw.URL,
		MCPResourceURI:   gw.MCP,
		MCPCredentials:   &oauthex.ClientCredentials{ClientID: "agent", ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: mcpSecret}},
		MCPScopes:        []string{"snippets"},
		IDTokenFetcher:   carolSignsIn(idp, idpCreds),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// carolSignsIn signs carol in at the IdP with the SDK's OIDC login, the
// IdP's login page answered without a browser.
func carolSignsIn(idp *oidctest.Provider, creds *oauthex.ClientCredentials) extauth.IDTokenFetcher {
	return func(ctx context.Context) (*oauth2.Token, error) {
		return extauth.PerformOIDCLogin(ctx, &extauth.OIDCLoginConfig{
			IssuerURL: idp.Issuer(), Credentials: creds, RedirectURL: "http://127.0.0.1/cb",
			Scopes: []string{"openid", "email", "profile"},
		}, func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			back, err := idp.Login(ctx, args.URL, "carol")
			if err != nil {
				return nil, err
			}
			return &auth.AuthorizationResult{Code: back.Query().Get("code"), State: back.Query().Get("state")}, nil
		})
	}
}

// TestEnterpriseManagedAuthorization is SEP-990 end to end with the
// official Go SDK's enterprise handler: carol signs in at her company's
// IdP, the agent exchanges her ID token there for an ID-JAG naming
// Drawbridge and the snippets server, redeems it at Drawbridge with the
// jwt-bearer grant — no browser at Drawbridge, no consent screen — and its
// tool calls reach the backend as carol, named by her object id.
func TestEnterpriseManagedAuthorization(t *testing.T) {
	gw, idp := startEnterprise(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cs := connectSDK(t, ctx, gw.MCP, enterpriseHandler(t, gw, idp, "agent-secret-0123456789"))
	if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, enterpriseOID) {
		t.Errorf("hello_mcp = %q; want the backend to see carol's object id", got)
	}
	if n := len(idp.RequestsTo("token")); n < 2 {
		t.Errorf("the IdP saw %d token requests; want the sign-in's and the token exchange", n)
	}
	// The metadata advertises the grant only because an IdP is trusted.
	resp, err := http.Get(gw.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		GrantTypes []string `json:"grant_types_supported"`
		Profiles   []string `json:"authorization_grant_profiles_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(meta.GrantTypes, "urn:ietf:params:oauth:grant-type:jwt-bearer") ||
		!slices.Equal(meta.Profiles, []string{"urn:ietf:params:oauth:grant-profile:id-jag"}) {
		t.Errorf("grant_types_supported %v, authorization_grant_profiles_supported %v: want jwt-bearer and the id-jag profile",
			meta.GrantTypes, meta.Profiles)
	}
}

// TestEnterpriseGrantRefusedEndToEnd: what the SDK's handler does when
// Drawbridge refuses (the agent's secret is wrong), and that an ID-JAG from
// the IdP is single use: the same grant, sent again, is invalid_grant.
func TestEnterpriseGrantRefusedEndToEnd(t *testing.T) {
	gw, idp := startEnterprise(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	h := enterpriseHandler(t, gw, idp, "wrong-secret-0123456789")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw.MCP, nil)
	resp := &http.Response{StatusCode: http.StatusUnauthorized, Body: http.NoBody}
	if err := h.Authorize(ctx, req, resp); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("Authorize with a wrong secret: %v; want invalid_client", err)
	}

	// An ID-JAG got by hand from the IdP, redeemed twice.
	assertion := idJAGFor(t, ctx, idp, gw.URL, gw.MCP)
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	if status, body := gwtest.PostToken(t, gw, form, "agent", "agent-secret-0123456789"); status != 200 || body["refresh_token"] != nil {
		t.Fatalf("first redemption: %d %v", status, body)
	}
	if status, body := gwtest.PostToken(t, gw, form, "agent", "agent-secret-0123456789"); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("second redemption: %d %v; want 400 invalid_grant", status, body)
	}
	if strings.Contains(gw.Logs.String(), assertion) || strings.Contains(gw.Logs.String(), "agent-secret-0123456789") {
		t.Error("the ID-JAG or the client secret was written to the log")
	}
}

// idJAGFor signs carol in at the IdP and exchanges her ID token for an
// ID-JAG for aud and resource, as the SDK's handler does.
func idJAGFor(t *testing.T, ctx context.Context, idp *oidctest.Provider, aud, resource string) string {
	t.Helper()
	idpCreds := &oauthex.ClientCredentials{ClientID: "agent-at-idp", ClientSecretAuth: &oauthex.ClientSecretAuth{ClientSecret: "agent-idp-secret"}}
	login, err := carolSignsIn(idp, idpCreds)(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := login.Extra("id_token").(string)
	tok, err := oauthex.ExchangeToken(ctx, idp.Issuer()+"/oauth/token", &oauthex.TokenExchangeRequest{
		RequestedTokenType: oauthex.TokenTypeIDJAG, Audience: aud, Resource: resource,
		SubjectToken: idToken, SubjectTokenType: oauthex.TokenTypeIDToken,
	}, idpCreds, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// TestEnterpriseReplayAcrossReplicas: two replicas on one PostgreSQL
// database share which ID-JAGs were redeemed, and a DPoP proof binds the
// token issued for one.
func TestEnterpriseReplayAcrossReplicas(t *testing.T) {
	dsn, dir := gwtest.PostgresDSN(t), t.TempDir()
	idp := startEnterpriseIdP(t)
	opt := enterpriseOptions(idp, gwtest.Options{PostgresDSN: dsn, DataDir: dir, PublicURL: "http://127.0.0.1:9"})
	a, b := gwtest.Start(t, opt), gwtest.Start(t, opt)
	idp.SetIDJAGClient("agent-at-idp", a.URL, "agent")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {idJAGFor(t, ctx, idp, a.URL, a.MCP)}}
	basic := [2]string{"agent", "agent-secret-0123456789"}
	key := dpoptest.New(t)
	st, tok, _ := dpopPost(t, a.Direct+"/token", form, basic, "", key.Proof(t, http.MethodPost, a.URL+"/token", dpoptest.Options{}))
	if st != http.StatusOK || tok["token_type"] != "DPoP" {
		t.Fatalf("redeemed at a with a proof: %d %v", st, tok)
	}
	st, body, _ := dpopPost(t, b.Direct+"/token", form, basic, "")
	wantErr(t, "the same ID-JAG at b", st, body, http.StatusBadRequest, "invalid_grant")
	at := tok["access_token"].(string)
	if st, body, _ := dpopPost(t, b.Direct+"/mcp", nil, [2]string{}, "Bearer "+at); st != http.StatusUnauthorized {
		t.Errorf("the bound token as Bearer: %d %v", st, body)
	}
}
