package oidctest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

const (
	clientID     = "rp"
	clientSecret = "rp-secret"
	redirectURI  = "https://rp.test/callback"
)

var alice = oidctest.User{
	Username: "alice", Subject: "alice-sub", OID: "00000000-0000-0000-0000-00000000a11c",
	Email: "alice@example.com", Name: "Alice", Groups: []string{"staff"}, Roles: []string{"Admin"},
}

func start(t *testing.T, opts oidctest.Options) *oidctest.Provider {
	t.Helper()
	opts.Users = append(opts.Users, alice)
	opts.Clients = append(opts.Clients, oidctest.Client{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURI}})
	return oidctest.Start(t, opts)
}

// rp is a minimal relying party built from the standard libraries, so that
// these tests check the provider rather than Drawbridge.
type rp struct {
	ctx      context.Context
	provider *gooidc.Provider
	config   oauth2.Config
}

func newRP(t *testing.T, idp *oidctest.Provider, scopes ...string) *rp {
	t.Helper()
	ctx := gooidc.ClientContext(t.Context(), idp.Client())
	provider, err := gooidc.NewProvider(ctx, idp.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &rp{ctx: ctx, provider: provider, config: oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirectURI,
		Endpoint: provider.Endpoint(), Scopes: append([]string{gooidc.ScopeOpenID}, scopes...),
	}}
}

func (r *rp) authURL(verifier string, extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-0S6_WzA2Mj")}, extra...)
	return r.config.AuthCodeURL("st4te", opts...)
}

func mustLogin(t *testing.T, idp *oidctest.Provider, authURL, username string) url.Values {
	t.Helper()
	cb, err := idp.Login(t.Context(), authURL, username)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want %s", got, redirectURI)
	}
	return cb.Query()
}

func TestCodeFlowWithRefresh(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	r := newRP(t, idp, "profile", "email", gooidc.ScopeOfflineAccess)
	verifier := oauth2.GenerateVerifier()
	q := mustLogin(t, idp, r.authURL(verifier), "alice")
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("callback = %v", q)
	}
	tok, err := r.config.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.provider.Verifier(&gooidc.Config{ClientID: clientID}).Verify(r.ctx, raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"sub": "alice-sub", "nonce": "n-0S6_WzA2Mj", "email": "alice@example.com", "name": "Alice",
		"preferred_username": "alice", "oid": alice.OID,
	} {
		if claims[k] != want {
			t.Errorf("claim %s = %v, want %v", k, claims[k], want)
		}
	}
	if g, _ := json.Marshal(claims["groups"]); string(g) != `["staff"]` {
		t.Errorf("groups = %s", g)
	}
	if _, ok := claims["tid"]; ok {
		t.Error("generic mode sent tid")
	}

	// The code is single-use.
	if _, err := r.config.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err == nil {
		t.Error("second redemption of the code succeeded")
	}

	// Refresh rotates the refresh token; the old one stops working.
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	old := oauth2.Token{RefreshToken: tok.RefreshToken} // no access token: forces a refresh
	fresh, err := r.config.TokenSource(r.ctx, &old).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Error("refresh token was not rotated")
	}
	if _, err := r.config.TokenSource(r.ctx, &old).Token(); err == nil {
		t.Error("rotated-out refresh token still works")
	}
}

func TestUserinfo(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	r := newRP(t, idp, "email")
	verifier := oauth2.GenerateVerifier()
	q := mustLogin(t, idp, r.authURL(verifier), "alice")
	tok, err := r.config.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	ui, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	if ui.Subject != "alice-sub" || ui.Email != "alice@example.com" {
		t.Errorf("userinfo = %+v", ui)
	}
}

func TestPKCERequired(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	r := newRP(t, idp)
	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"none":  nil,
		"plain": {oauth2.SetAuthURLParam("code_challenge", "abc"), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
	} {
		q := mustLogin(t, idp, r.config.AuthCodeURL("st4te", opts...), "alice")
		if q.Get("error") != "invalid_request" || q.Get("state") != "st4te" || q.Get("code") != "" {
			t.Errorf("%s: callback = %v, want invalid_request", name, q)
		}
	}
}

func TestUnregisteredRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{Entra: true})
	r := newRP(t, idp)
	r.config.RedirectURL = "https://evil.test/callback"
	_, err := idp.Login(t.Context(), r.authURL(oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("resource", "x")), "alice")
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("Login error = %v, want an error page (400)", err)
	}
}

func TestUnknownUser(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	r := newRP(t, idp)
	if _, err := idp.Login(t.Context(), r.authURL(oauth2.GenerateVerifier()), "mallory"); err == nil {
		t.Error("Login as an unknown user succeeded")
	}
}

func TestLoginPageAndAutoLogin(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	r := newRP(t, idp)
	// A user agent that stops at the first redirect away from the provider,
	// like a browser whose next hop is the relying party.
	c := idp.Client()
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Get(r.authURL(oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `name="username"`) {
		t.Fatalf("login page: %s\n%s", resp.Status, body)
	}

	idp.SetAutoLogin("alice")
	resp, err = c.Get(r.authURL(oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("auto-login: %s, Location %v", resp.Status, loc)
	}
}

func TestEntraLike(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{Entra: true, TLS: true})
	if want := idp.BaseURL() + "/" + oidctest.DefaultTenantID + "/v2.0"; idp.Issuer() != want || !strings.HasPrefix(want, "https://") {
		t.Fatalf("issuer = %s, want %s", idp.Issuer(), want)
	}
	r := newRP(t, idp, "profile", gooidc.ScopeOfflineAccess)
	if want := idp.BaseURL() + "/" + oidctest.DefaultTenantID + "/oauth2/v2.0/authorize"; r.provider.Endpoint().AuthURL != want {
		t.Errorf("authorization endpoint = %s, want %s", r.provider.Endpoint().AuthURL, want)
	}
	resp, err := idp.Client().Get(idp.BaseURL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("root discovery: %s, want 404", resp.Status)
	}

	verifier := oauth2.GenerateVerifier()
	q := mustLogin(t, idp, r.authURL(verifier), "alice")
	tok, err := r.config.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	idt, err := r.provider.Verifier(&gooidc.Config{ClientID: clientID}).Verify(r.ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		TID   string   `json:"tid"`
		Ver   string   `json:"ver"`
		Roles []string `json:"roles"`
	}
	_ = idt.Claims(&claims)
	if claims.TID != oidctest.DefaultTenantID || claims.Ver != "2.0" || !slices.Equal(claims.Roles, []string{"Admin"}) {
		t.Errorf("claims = %+v", claims)
	}

	// resource is refused at the token endpoint too (here on a refresh).
	_, err = r.config.Exchange(r.ctx, "x", oauth2.SetAuthURLParam("grant_type", "refresh_token"),
		oauth2.SetAuthURLParam("refresh_token", tok.RefreshToken), oauth2.SetAuthURLParam("resource", "https://mcp.test"))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_request" || !strings.Contains(re.ErrorDescription, "AADSTS901002") {
		t.Errorf("token request with resource: %v", err)
	}
}

func TestEntraLikeRefusesResourceAtAuthorize(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{Entra: true})
	r := newRP(t, idp)
	q := mustLogin(t, idp, r.authURL(oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("resource", "https://mcp.test")), "alice")
	if q.Get("error") != "invalid_request" || !strings.HasPrefix(q.Get("error_description"), "AADSTS901002") || q.Get("state") != "st4te" {
		t.Errorf("callback = %v", q)
	}
}

func TestRequestsAreRecordedWithoutSecrets(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	r := newRP(t, idp)
	verifier := oauth2.GenerateVerifier()
	q := mustLogin(t, idp, r.authURL(verifier), "alice")
	if _, err := r.config.Exchange(r.ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	auth := idp.RequestsTo("authorize")
	if len(auth) != 1 || auth[0].Params.Get("code_challenge_method") != "S256" || auth[0].Params.Get("nonce") != "n-0S6_WzA2Mj" {
		t.Errorf("authorize requests = %+v", auth)
	}
	tokenReqs := idp.RequestsTo("token")
	if len(tokenReqs) != 1 {
		t.Fatalf("token requests = %+v", tokenReqs)
	}
	tr := tokenReqs[0]
	if tr.BasicAuthUser != clientID || tr.Params.Get("code") != oidctest.Redacted || tr.Params.Get("code_verifier") != oidctest.Redacted {
		t.Errorf("token request = %+v", tr)
	}
	for _, req := range idp.Requests() {
		for _, vs := range req.Params {
			for _, v := range vs {
				if v == q.Get("code") || v == verifier || v == clientSecret {
					t.Errorf("recorded a secret in %s %s", req.Method, req.Path)
				}
			}
		}
	}
}

func TestSetDown(t *testing.T) {
	t.Parallel()
	idp := start(t, oidctest.Options{})
	idp.SetDown(true)
	ctx := gooidc.ClientContext(t.Context(), idp.Client())
	if _, err := gooidc.NewProvider(ctx, idp.Issuer()); err == nil {
		t.Fatal("discovery succeeded while down")
	}
	idp.SetDown(false)
	if _, err := gooidc.NewProvider(ctx, idp.Issuer()); err != nil {
		t.Fatalf("discovery after coming back: %v", err)
	}
	if n := len(idp.RequestsTo("discovery")); n != 1 {
		t.Errorf("recorded %d discovery requests, want 1 (none while down)", n)
	}
}
