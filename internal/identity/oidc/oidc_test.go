package oidc_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

const (
	clientID     = "drawbridge"
	clientSecret = "drawbridge-client-secret"
	redirectURL  = "https://drawbridge.test/auth/callback"
)

var (
	alice = oidctest.User{
		Username: "alice", Subject: "alice-pairwise-sub", OID: "6f1c7a52-0000-4000-8000-00000000a11c",
		Email: "alice@example.com", Name: "Alice Liddell",
		Groups: []string{"b7a1c3d0-0000-4000-8000-0000000000g1"}, Roles: []string{"Snippets.Admin"},
	}
	bob = oidctest.User{ // one group, sent as a plain string
		Username: "bob", Email: "bob@example.com", Name: "Bob",
		Claims: map[string]any{"groups": "engineering"},
	}
	carol = oidctest.User{Username: "carol"} // no oid: Entra without the profile scope
)

// startIdP runs a test provider that knows Drawbridge and three users.
func startIdP(t *testing.T, opts oidctest.Options) *oidctest.Provider {
	t.Helper()
	opts.Users = append(opts.Users, alice, bob, carol)
	opts.Clients = append(opts.Clients, oidctest.Client{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURL}})
	return oidctest.Start(t, opts)
}

func genericOptions(idp *oidctest.Provider) oidc.Options {
	return oidc.Options{
		Name: "corp", Issuer: idp.Issuer(), ClientID: clientID, ClientSecret: clientSecret,
		RedirectURL: redirectURL, HTTPClient: idp.Client(),
	}
}

func entraOptions(idp *oidctest.Provider) oidc.EntraOptions {
	return oidc.EntraOptions{
		Name: "entra", TenantID: idp.TenantID(), Cloud: idp.BaseURL(), ClientID: clientID,
		ClientSecret: clientSecret, RedirectURL: redirectURL, HTTPClient: idp.Client(),
	}
}

// login is what Drawbridge's login handler does around the provider: fresh
// state, nonce and PKCE verifier, AuthCodeURL, and (playing the browser) the
// sign-in at the IdP up to the redirect back to Drawbridge.
type login struct {
	state, nonce, verifier string
	callback               url.Values
}

func startLogin(t *testing.T, p identity.RedirectProvider, idp *oidctest.Provider, username string) login {
	t.Helper()
	l := login{state: oauth2.GenerateVerifier(), nonce: oauth2.GenerateVerifier(), verifier: oauth2.GenerateVerifier()}
	authURL, err := p.AuthCodeURL(t.Context(), l.state, l.nonce, oauth2.S256ChallengeFromVerifier(l.verifier))
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	cb, err := idp.Login(t.Context(), authURL, username)
	if err != nil {
		t.Fatalf("login at the IdP: %v", err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != redirectURL {
		t.Fatalf("IdP redirected to %s, want %s", got, redirectURL)
	}
	l.callback = cb.Query()
	return l
}

// code checks the callback like Drawbridge's callback handler does.
func (l login) code(t *testing.T) string {
	t.Helper()
	if e := l.callback.Get("error"); e != "" {
		t.Fatalf("IdP returned %s: %s", e, l.callback.Get("error_description"))
	}
	if l.callback.Get("state") != l.state {
		t.Fatalf("state = %q, want %q", l.callback.Get("state"), l.state)
	}
	return l.callback.Get("code")
}

func TestLogin(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	tests := []struct {
		name string
		opts func(*oidc.Options)
		user string
		want storage.Identity
	}{
		{
			name: "defaults",
			user: "alice",
			want: storage.Identity{Subject: "alice-pairwise-sub", Email: "alice@example.com", Name: "Alice Liddell",
				Groups: []string{"b7a1c3d0-0000-4000-8000-0000000000g1"}, Provider: "corp"},
		},
		{
			name: "groups as a single string",
			user: "bob",
			want: storage.Identity{Subject: "bob", Email: "bob@example.com", Name: "Bob", Groups: []string{"engineering"}, Provider: "corp"},
		},
		{
			name: "custom claim mapping with roles",
			opts: func(o *oidc.Options) {
				o.Claims = oidc.ClaimMapping{Subject: "oid", Name: "preferred_username", Roles: "roles"}
			},
			user: "alice",
			want: storage.Identity{Subject: alice.OID, Email: "alice@example.com", Name: "alice",
				Groups: []string{"b7a1c3d0-0000-4000-8000-0000000000g1", "Snippets.Admin"}, Provider: "corp"},
		},
		{
			name: "without the email scope",
			opts: func(o *oidc.Options) { o.Scopes = []string{"profile"} },
			user: "bob",
			want: storage.Identity{Subject: "bob", Name: "Bob", Groups: []string{"engineering"}, Provider: "corp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := genericOptions(idp)
			if tt.opts != nil {
				tt.opts(&o)
			}
			p, err := oidc.New(o)
			if err != nil {
				t.Fatal(err)
			}
			l := startLogin(t, p, idp, tt.user)
			res, err := p.Exchange(t.Context(), l.code(t), l.verifier, l.nonce)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			// The provider's own sub and session are kept whatever the
			// subject claim, for back-channel logout.
			sub := map[string]string{"alice": "alice-pairwise-sub", "bob": "bob"}[tt.user]
			tt.want.Upstream = storage.UpstreamLogin{Issuer: idp.Issuer(), Subject: sub, SID: lastSession(t, idp, tt.user)}
			if !reflect.DeepEqual(res.Identity, tt.want) {
				t.Errorf("identity = %+v\nwant       %+v", res.Identity, tt.want)
			}
			if res.AccessToken == "" || res.IDToken == "" || !res.Expiry.After(time.Now()) {
				t.Errorf("tokens missing: access %t, id %t, expiry %v", res.AccessToken != "", res.IDToken != "", res.Expiry)
			}
		})
	}
}

func TestAuthorizationRequest(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	o := genericOptions(idp)
	o.ExtraAuthParams = map[string]string{"prompt": "select_account"}
	p, err := oidc.New(o)
	if err != nil {
		t.Fatal(err)
	}
	l := startLogin(t, p, idp, "alice")
	if _, err := p.Exchange(t.Context(), l.code(t), l.verifier, l.nonce); err != nil {
		t.Fatal(err)
	}
	auth := idp.RequestsTo("authorize")
	if len(auth) != 1 {
		t.Fatalf("%d authorization requests, want 1", len(auth))
	}
	q := auth[0].Params
	for k, want := range map[string]string{
		"response_type": "code", "client_id": clientID, "redirect_uri": redirectURL, "scope": "openid email profile",
		"state": l.state, "nonce": l.nonce, "code_challenge": oauth2.S256ChallengeFromVerifier(l.verifier),
		"code_challenge_method": "S256", "prompt": "select_account",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authorization request %s = %q, want %q", k, got, want)
		}
	}
	tok := idp.RequestsTo("token")
	if len(tok) != 1 || tok[0].Params.Get("grant_type") != "authorization_code" || !tok[0].Params.Has("code_verifier") {
		t.Errorf("token requests = %+v", tok)
	}
}

func TestEntra(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{Entra: true, TLS: true})
	p, err := oidc.NewEntra(entraOptions(idp))
	if err != nil {
		t.Fatal(err)
	}
	l := startLogin(t, p, idp, "alice")
	res, err := p.Exchange(t.Context(), l.code(t), l.verifier, l.nonce)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	want := storage.Identity{Subject: alice.OID, Email: "alice@example.com", Name: "Alice Liddell",
		Groups: []string{"b7a1c3d0-0000-4000-8000-0000000000g1", "Snippets.Admin"}, Provider: "entra",
		Upstream: storage.UpstreamLogin{Issuer: idp.Issuer(), Subject: "alice-pairwise-sub", SID: lastSession(t, idp, "alice")}}
	if !reflect.DeepEqual(res.Identity, want) {
		t.Errorf("identity = %+v\nwant       %+v", res.Identity, want)
	}
	if res.RefreshToken == "" {
		t.Error("no refresh token, though offline_access is a default Entra scope")
	}
	if got := idp.RequestsTo("authorize")[0].Params.Get("scope"); got != "openid profile email offline_access" {
		t.Errorf("scope = %q, want Entra v2 scopes", got)
	}
	// SEC3: nothing Drawbridge sent to Entra carried a resource parameter.
	reqs := idp.Requests()
	if len(reqs) < 4 { // discovery, authorize, token, keys (plus the login page)
		t.Fatalf("only %d requests recorded", len(reqs))
	}
	for _, r := range reqs {
		if r.Params.Has("resource") {
			t.Errorf("%s %s carried resource", r.Method, r.Path)
		}
	}
}

func TestEntraMissingOID(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{Entra: true})
	p, err := oidc.NewEntra(entraOptions(idp))
	if err != nil {
		t.Fatal(err)
	}
	l := startLogin(t, p, idp, "carol")
	_, err = p.Exchange(t.Context(), l.code(t), l.verifier, l.nonce)
	if !errors.Is(err, oidc.ErrMissingSubject) || !strings.Contains(err.Error(), `"oid"`) {
		t.Errorf("Exchange error = %v, want ErrMissingSubject naming oid", err)
	}
}

// TestEntraLikeIdPRefusesResource shows the IdP side of SEC3: a provider
// configured (through the generic constructor, which cannot tell a test
// Entra from any other IdP) to send resource is refused.
func TestEntraLikeIdPRefusesResource(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{Entra: true})
	o := genericOptions(idp)
	o.ExtraAuthParams = map[string]string{"resource": "https://mcp.example.com"}
	p, err := oidc.New(o)
	if err != nil {
		t.Fatal(err)
	}
	l := startLogin(t, p, idp, "alice")
	if l.callback.Get("error") != "invalid_request" || !strings.Contains(l.callback.Get("error_description"), "AADSTS901002") {
		t.Errorf("callback = %v, want invalid_request AADSTS901002", l.callback)
	}
	if l.callback.Has("code") {
		t.Error("IdP issued a code despite resource")
	}
}

func TestEntraRefusesResourceInConfig(t *testing.T) {
	t.Parallel()
	o := oidc.EntraOptions{
		Name: "entra", TenantID: oidctest.DefaultTenantID, ClientID: clientID, RedirectURL: redirectURL,
		ExtraAuthParams: map[string]string{"resource": "https://graph.microsoft.com"},
	}
	if _, err := oidc.NewEntra(o); err == nil || !strings.Contains(err.Error(), "AADSTS901002") {
		t.Errorf("NewEntra with resource: %v", err)
	}
	// An Entra issuer configured as a generic provider gets the same guard.
	_, err := oidc.New(oidc.Options{
		Name: "entra-by-hand", Issuer: "https://login.microsoftonline.com/" + oidctest.DefaultTenantID + "/v2.0",
		ClientID: clientID, RedirectURL: redirectURL, ExtraAuthParams: o.ExtraAuthParams,
	})
	if err == nil || !strings.Contains(err.Error(), "resource") {
		t.Errorf("New with an Entra issuer and resource: %v", err)
	}
}

func TestExchangeRejects(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	p, err := oidc.New(genericOptions(idp))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		misuse  func()         // makes the IdP misbehave before the login
		restore func()         // undoes it
		mangle  func(l *login) // changes what Drawbridge passes to Exchange
		check   func(error) bool
	}{
		{
			name:   "wrong nonce",
			mangle: func(l *login) { l.nonce = oauth2.GenerateVerifier() },
			check:  func(err error) bool { return errors.Is(err, oidc.ErrNonceMismatch) },
		},
		{
			name:    "signature by a key outside the JWKS",
			misuse:  func() { idp.SignWithUnknownKey(true) },
			restore: func() { idp.SignWithUnknownKey(false) },
			check:   func(err error) bool { return strings.Contains(err.Error(), "signature") },
		},
		{
			name:   "wrong PKCE verifier",
			mangle: func(l *login) { l.verifier = oauth2.GenerateVerifier() },
			check: func(err error) bool {
				var te *oauthclient.TokenError
				return errors.As(err, &te) && te.Code == "invalid_grant"
			},
		},
	}
	for _, tt := range tests { // sequential: the cases share one IdP's switches
		t.Run(tt.name, func(t *testing.T) {
			if tt.misuse != nil {
				tt.misuse()
				defer tt.restore()
			}
			l := startLogin(t, p, idp, "alice")
			code := l.code(t)
			if tt.mangle != nil {
				tt.mangle(&l)
			}
			res, err := p.Exchange(t.Context(), code, l.verifier, l.nonce)
			if err == nil {
				t.Fatalf("Exchange succeeded: %+v", res.Identity)
			}
			if !tt.check(err) {
				t.Errorf("unexpected error: %v", err)
			}
			assertNoSecrets(t, err, code, l.verifier, l.nonce, clientSecret)
		})
	}
}

func TestExchangeErrorsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	o := genericOptions(idp)
	o.ClientSecret = "not-the-secret-at-all"
	p, err := oidc.New(o)
	if err != nil {
		t.Fatal(err)
	}
	l := startLogin(t, p, idp, "alice")
	code := l.code(t)
	_, err = p.Exchange(t.Context(), code, l.verifier, l.nonce)
	var te *oauthclient.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" {
		t.Fatalf("Exchange with a wrong client secret: %v", err)
	}
	assertNoSecrets(t, err, code, l.verifier, l.nonce, o.ClientSecret)
}

func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

func TestIdPUnreachable(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago: connections are refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	o := oidc.Options{Name: "gone", Issuer: "http://" + addr, ClientID: clientID, RedirectURL: redirectURL}
	p, err := oidc.New(o)
	if err != nil {
		t.Fatalf("New must not contact the IdP: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := p.Ready(ctx); err == nil {
		t.Error("Ready succeeded with no IdP")
	}
	if _, err := p.AuthCodeURL(ctx, "s", "n", strings.Repeat("c", 43)); err == nil {
		t.Error("AuthCodeURL succeeded with no IdP")
	}
}

func TestArguments(t *testing.T) {
	t.Parallel()
	p, err := oidc.New(oidc.Options{Name: "x", Issuer: "https://idp.test", ClientID: clientID, RedirectURL: redirectURL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	verifier := oauth2.GenerateVerifier()
	if _, err := p.AuthCodeURL(ctx, "s", "n", verifier+"x"); err == nil {
		t.Error("AuthCodeURL accepted a verifier as the challenge")
	}
	if _, err := p.AuthCodeURL(ctx, "", "n", oauth2.S256ChallengeFromVerifier(verifier)); err == nil {
		t.Error("AuthCodeURL accepted an empty state")
	}
	if _, err := p.Exchange(ctx, "code", verifier, ""); err == nil {
		t.Error("Exchange accepted an empty nonce")
	}
}
