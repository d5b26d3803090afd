package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// The backend credential modes end to end: a real gateway, a real OpenID
// provider (zitadel/oidc's op, which implements token exchange and client
// credentials; Entra ID's on-behalf-of in its Entra-like mode), a client
// that signs in through both, and a backend that accepts a request only
// with the token it expects and records everything it receives, so that
// each test can check that the client's token never arrived.

const (
	carolSub = "carol-sub"
	carolOID = "7d1c3b5e-0000-4000-8000-00000000c4a1"
	idpKey   = "idp-client-secret-for-tests"
)

// tokenBackend is an MCP server that authenticates Drawbridge by the
// bearer token (or headers) it expects; verify returns who is calling.
type tokenBackend struct {
	URL    string
	verify func(r *http.Request) (string, error)
	// inner, if set, answers the verified requests, with the subject in
	// X-Verified-Subject; otherwise a fixed initialize result does.
	inner http.Handler

	mu       sync.Mutex
	received []string // every header value, query and body
	subjects []string
	tokens   []string // the Authorization values accepted
}

func startTokenBackend(t *testing.T, verify func(*http.Request) (string, error)) *tokenBackend {
	t.Helper()
	b := &tokenBackend{verify: verify}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: b}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	b.URL = "http://" + ln.Addr().String() + "/mcp"
	return b
}

func (b *tokenBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	b.mu.Lock()
	for _, vs := range r.Header {
		b.received = append(b.received, vs...)
	}
	b.received = append(b.received, r.URL.RawQuery, string(body))
	b.mu.Unlock()
	sub, err := b.verify(r)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"error":"invalid_token","error_description":%q}`, err.Error())
		return
	}
	b.mu.Lock()
	b.subjects = append(b.subjects, sub)
	b.tokens = append(b.tokens, r.Header.Get("Authorization"))
	b.mu.Unlock()
	if b.inner != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.Header.Set("X-Verified-Subject", sub)
		b.inner.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":%q,"version":"1"}}}`, "as "+sub)
}

// neverSaw fails the test if any of the secrets reached the backend.
func (b *tokenBackend) neverSaw(t *testing.T, secrets map[string]string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.received) == 0 {
		t.Fatal("the backend received nothing")
	}
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("no %s to look for", name)
		}
		for _, got := range b.received {
			if strings.Contains(got, s) {
				t.Errorf("the backend received the %s", name)
			}
		}
	}
}

func (b *tokenBackend) lastSubject() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subjects) == 0 {
		return ""
	}
	return b.subjects[len(b.subjects)-1]
}

// jwtVerifier checks a bearer JWT signed by the provider for audience and
// returns its subject; check looks at the other claims.
func jwtVerifier(t *testing.T, idp *oidctest.Provider, audience string, check func(map[string]any) error) func(*http.Request) (string, error) {
	jwks := idp.BaseURL() + "/keys"
	if idp.Issuer() != idp.BaseURL() {
		jwks = idp.BaseURL() + "/" + idp.TenantID() + "/discovery/v2.0/keys"
	}
	ctx := gooidc.ClientContext(context.Background(), idp.Client())
	v := gooidc.NewVerifier(idp.Issuer(), gooidc.NewRemoteKeySet(ctx, jwks), &gooidc.Config{ClientID: audience})
	return func(r *http.Request) (string, error) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return "", errors.New("no bearer token")
		}
		tok, err := v.Verify(ctx, raw)
		if err != nil {
			return "", err
		}
		var claims map[string]any
		if err := tok.Claims(&claims); err != nil {
			return "", err
		}
		if check != nil {
			if err := check(claims); err != nil {
				return "", err
			}
		}
		return tok.Subject, nil
	}
}

type userTokenSetup struct {
	entra bool
	// auth is the snippets server's auth section.
	auth string
	// verify authenticates requests at the backend.
	verify func(idp *oidctest.Provider) func(*http.Request) (string, error)
	// jwtAccess makes the provider issue JWT access tokens to Drawbridge.
	jwtAccess bool
	env       map[string]string
	// idpCert authenticates Drawbridge at the provider instead of a secret.
	idpCert *oidctest.ClientCertificate
	// backChannelOff sets identity.oidc.back_channel_logout: false.
	backChannelOff bool
	// servers, if set, adds servers after the snippets one, given the
	// backend's URL.
	servers func(backendURL string) string
	// inner answers the backend's verified requests (see tokenBackend).
	inner http.Handler
}

type userTokenRig struct {
	gw     *gwtest.Gateway
	idp    *oidctest.Provider
	be     *tokenBackend
	client *gwtest.Client
}

// startUserTokenRig runs the provider, the backend and a gateway whose
// users sign in at the provider.
func startUserTokenRig(t *testing.T, s userTokenSetup) *userTokenRig {
	t.Helper()
	idp := oidctest.Start(t, oidctest.Options{Entra: s.entra, TLS: s.entra, Users: []oidctest.User{{
		Username: "carol", Subject: carolSub, OID: carolOID, Email: "carol@example.com", Name: "Carol",
	}}, ExchangeAudiences: []string{"snippets-api", "api://snippets"}})
	idp.SetAutoLogin("carol")
	ident := fmt.Sprintf(`
identity:
  type: oidc
  oidc: {issuer: %q, client_id: drawbridge, client_secret: "${IDP_SECRET}", scopes: [openid, email, profile, offline_access], back_channel_logout: %t}
`, idp.Issuer(), !s.backChannelOff)
	if s.entra {
		cred := `client_secret: "${IDP_SECRET}"`
		if s.idpCert != nil {
			cred = `client_certificate: {cert_file: "${IDP_CERT}", key_file: "${IDP_KEY}"}`
		}
		ident = fmt.Sprintf(`
identity:
  type: entra
  entra:
    tenant_id: %q
    client_id: drawbridge
    %s
    cloud: %q
    scopes: [openid, profile, email, offline_access, "api://drawbridge/access_as_user"]
`, idp.TenantID(), cred, idp.BaseURL())
	}
	be := startTokenBackend(t, s.verify(idp))
	be.inner = s.inner
	env := map[string]string{"IDP_SECRET": idpKey}
	if s.idpCert != nil {
		env["IDP_CERT"], env["IDP_KEY"] = s.idpCert.CertFile, s.idpCert.KeyFile
	}
	for k, v := range s.env {
		env[k] = v
	}
	extra := s.auth
	if s.servers != nil {
		extra += s.servers(be.URL)
	}
	gw := gwtest.Start(t, gwtest.Options{Identity: ident, Env: env, IdPClient: idp.Client(), Upstream: be.URL, ExtraYAML: extra})
	reg := oidctest.Client{ID: "drawbridge", Secret: idpKey, RedirectURIs: []string{gw.URL + "/callback"}, JWTAccessTokens: s.jwtAccess}
	if s.idpCert != nil {
		reg.Secret, reg.Certificate = "", s.idpCert.Cert
	}
	idp.Register(reg)
	c := gwtest.RegisterClient(t, gw, nil)
	c.Browser = browser.New(gw.URL, idp.BaseURL())
	c.Browser.Client.Transport = idp.Client().Transport
	return &userTokenRig{gw: gw, idp: idp, be: be, client: c}
}

// signIn runs the whole authorization (through the provider) and returns
// the client's tokens.
func (r *userTokenRig) signIn(t *testing.T) (access, refresh string) {
	t.Helper()
	tok := r.client.Tokens("carol")
	access, _ = tok["access_token"].(string)
	refresh, _ = tok["refresh_token"].(string)
	return access, refresh
}

// call makes an MCP request with the client's token.
func (r *userTokenRig) call(t *testing.T, access string) (int, string) {
	t.Helper()
	resp := gwtest.MCPCall(t, r.gw.MCP, "Bearer "+access)
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// checkClean: neither the client's tokens nor any secret reached the
// backend, and nothing token-shaped reached the log.
func (r *userTokenRig) checkClean(t *testing.T, access, refresh string) {
	t.Helper()
	secrets := map[string]string{"client's access token": access, "IdP client secret": idpKey}
	if refresh != "" {
		secrets["client's refresh token"] = refresh
	}
	r.be.neverSaw(t, secrets)
	logs := r.gw.Logs.String()
	for name, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds the %s", name)
		}
	}
	r.be.mu.Lock()
	defer r.be.mu.Unlock()
	for _, a := range r.be.tokens {
		if raw := strings.TrimPrefix(a, "Bearer "); raw != "" && strings.Contains(logs, raw) {
			t.Error("the log holds the backend's token")
		}
	}
}

// upstreamSessions counts the vault's rows.
func upstreamSessions(t *testing.T, gw *gwtest.Gateway) int {
	t.Helper()
	us, err := gw.Srv.Store().ListUpstreamSessions(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(us)
}

func exchangeRequests(idp *oidctest.Provider, grantType string) int {
	n := 0
	for _, r := range idp.RequestsTo("token") {
		if r.Params.Get("grant_type") == grantType {
			n++
		}
	}
	return n
}

// TestTokenExchangeBackend: the backend gets a token the provider issued
// for its audience in exchange for the user's upstream token (RFC 8693),
// fetched once for many concurrent requests.
func TestTokenExchangeBackend(t *testing.T) {
	r := startUserTokenRig(t, userTokenSetup{
		auth: "    auth: {mode: token_exchange, audience: snippets-api, scopes: [snippets.read]}\n", jwtAccess: true,
		verify: func(idp *oidctest.Provider) func(*http.Request) (string, error) {
			return jwtVerifier(t, idp, "snippets-api", func(c map[string]any) error {
				if c["scope"] != "snippets.read" || c["client_id"] != "drawbridge" {
					return fmt.Errorf("claims %v", c)
				}
				return nil
			})
		},
	})
	access, refresh := r.signIn(t)
	if n := upstreamSessions(t, r.gw); n != 1 {
		t.Fatalf("%d upstream sessions kept after sign-in, want 1", n)
	}
	const n = 50
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() { statuses[i], _ = r.call(t, access) })
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("request %d: status %d", i, s)
		}
	}
	if got := r.be.lastSubject(); got != carolSub {
		t.Errorf("backend saw subject %q, want %q", got, carolSub)
	}
	const grant = "urn:ietf:params:oauth:grant-type:token-exchange"
	if c := exchangeRequests(r.idp, grant); c != 1 {
		t.Errorf("%d token exchanges for %d concurrent requests, want 1", c, n)
	}
	for _, req := range r.idp.RequestsTo("token") {
		if req.Params.Get("grant_type") == grant && (req.Params.Get("audience") != "snippets-api" ||
			req.Params.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:access_token" ||
			req.Params.Get("subject_token") != oidctest.Redacted || req.BasicAuthUser != "drawbridge") {
			t.Errorf("token exchange request: %v (client %q)", req.Params, req.BasicAuthUser)
		}
	}
	r.checkClean(t, access, refresh)
}

// TestTokenExchangeRefusedAudience: an exchange the provider refuses is
// the configuration's fault: 502, no sign-in loop, nothing proxied.
func TestTokenExchangeRefusedAudience(t *testing.T) {
	r := startUserTokenRig(t, userTokenSetup{
		auth: "    auth: {mode: token_exchange, audience: not-allowed}\n",
		verify: func(*oidctest.Provider) func(*http.Request) (string, error) {
			return func(*http.Request) (string, error) { return "", errors.New("never") }
		},
	})
	access, _ := r.signIn(t)
	if status, body := r.call(t, access); status != http.StatusBadGateway || strings.Contains(body, "invalid_target") {
		t.Fatalf("status %d, body %s", status, body)
	}
	if r.be.lastSubject() != "" {
		t.Fatal("a request was proxied without a backend token")
	}
}

// TestEntraOBOBackend: the backend gets an Entra ID on-behalf-of token for
// its API, with the user in it; the endpoint checks Entra's exact form.
// Drawbridge authenticates as the middle tier with its client secret, or
// with its certificate.
func TestEntraOBOBackend(t *testing.T) {
	for _, cert := range []bool{false, true} {
		t.Run(map[bool]string{false: "client secret", true: "certificate"}[cert], func(t *testing.T) {
			setup := userTokenSetup{entra: true, auth: "    auth: {mode: entra_obo, scopes: [\"api://snippets/.default\"]}\n",
				verify: func(idp *oidctest.Provider) func(*http.Request) (string, error) {
					return jwtVerifier(t, idp, "api://snippets", func(c map[string]any) error {
						want := map[string]any{"scp": "user_impersonation", "oid": carolOID, "tid": idp.TenantID(), "ver": "2.0", "azp": "drawbridge"}
						for k, v := range want {
							if c[k] != v {
								return fmt.Errorf("claim %s = %v, want %v", k, c[k], v)
							}
						}
						return nil
					})
				}}
			if cert {
				setup.idpCert = oidctest.NewClientCertificate(t, nil)
			}
			r := startUserTokenRig(t, setup)
			access, refresh := r.signIn(t)
			if status, body := r.call(t, access); status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if got := r.be.lastSubject(); got != carolSub {
				t.Errorf("backend saw %q", got)
			}
			obo := 0
			for _, req := range r.idp.RequestsTo("token") {
				p := req.Params
				if p.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
					continue
				}
				obo++
				if p.Get("requested_token_use") != "on_behalf_of" || p.Get("scope") != "api://snippets/.default" ||
					p.Get("assertion") != oidctest.Redacted || p.Get("client_id") != "drawbridge" || p.Has("resource") || req.BasicAuthUser != "" {
					t.Errorf("on-behalf-of request: %v", p)
				}
				if cert != (p.Get("client_assertion") == oidctest.Redacted) || cert == (p.Get("client_secret") == oidctest.Redacted) {
					t.Errorf("client authentication: %v", p)
				}
			}
			if obo != 1 {
				t.Errorf("%d on-behalf-of requests, want 1", obo)
			}
			r.checkClean(t, access, refresh)
		})
	}
}

// TestUpstreamTokenBackend: the backend gets the user's own upstream
// access token, and only while it is issued for the configured audience.
func TestUpstreamTokenBackend(t *testing.T) {
	verify := func(idp *oidctest.Provider) func(*http.Request) (string, error) {
		return jwtVerifier(t, idp, "drawbridge", nil) // the provider's tokens name the client they were issued to
	}
	r := startUserTokenRig(t, userTokenSetup{auth: "    auth: {mode: upstream_token, audience: drawbridge}\n", jwtAccess: true, verify: verify})
	access, refresh := r.signIn(t)
	if status, body := r.call(t, access); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if got := r.be.lastSubject(); got != carolSub {
		t.Errorf("backend saw %q", got)
	}
	r.checkClean(t, access, refresh)

	// Configured for another audience: the token is not sent at all.
	wrong := startUserTokenRig(t, userTokenSetup{auth: "    auth: {mode: upstream_token, audience: some-other-api}\n", jwtAccess: true, verify: verify})
	access, _ = wrong.signIn(t)
	if status, _ := wrong.call(t, access); status != http.StatusBadGateway {
		t.Fatalf("token for another audience: status %d, want 502", status)
	}
	wrong.be.mu.Lock()
	defer wrong.be.mu.Unlock()
	if len(wrong.be.received) != 0 {
		t.Error("a request reached the backend without the audience check passing")
	}
}

// TestStaticHeadersBackend: mode headers sends secrets from the
// environment and from files, and nothing of the client's.
func TestStaticHeadersBackend(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("file-secret-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	be := startTokenBackend(t, func(r *http.Request) (string, error) {
		if r.Header.Get("X-Api-Key") != "env-secret-0123456789" || r.Header.Get("X-File-Key") != "file-secret-0123456789" {
			return "", errors.New("wrong keys")
		}
		return "gateway", nil
	})
	gw := gwtest.Start(t, gwtest.Options{Upstream: be.URL, Env: map[string]string{"API_KEY": "env-secret-0123456789", "KEY_FILE": file},
		ExtraYAML: "    auth: {mode: headers, headers: {X-Api-Key: \"${API_KEY}\"}, header_files: {X-File-Key: \"${KEY_FILE}\"}}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	tok := c.Tokens(gwtest.User)
	access, refresh := tok["access_token"].(string), tok["refresh_token"].(string)
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+access); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	be.neverSaw(t, map[string]string{"client's access token": access, "client's refresh token": refresh})
	if logs := gw.Logs.String(); strings.Contains(logs, "env-secret-0123456789") || strings.Contains(logs, "file-secret-0123456789") {
		t.Error("a header secret reached the log")
	}
}

// TestClientCredentialsFromProvider: client_credentials against the
// provider library's own implementation of the grant.
func TestClientCredentialsFromProvider(t *testing.T) {
	idp := oidctest.Start(t, oidctest.Options{})
	idp.Register(oidctest.Client{ID: "gw-backend", Secret: "backend-secret-0123456789", JWTAccessTokens: true})
	be := startTokenBackend(t, jwtVerifier(t, idp, "gw-backend", nil))
	gw := gwtest.Start(t, gwtest.Options{Upstream: be.URL, IdPClient: idp.Client(), ExtraYAML: fmt.Sprintf(`    auth:
      mode: client_credentials
      token_url: %s/oauth/token
      client_id: gw-backend
      client_secret: backend-secret-0123456789
      scopes: [snippets]
`, idp.BaseURL())})
	c := gwtest.RegisterClient(t, gw, nil)
	tok := c.Tokens(gwtest.User)
	access := tok["access_token"].(string)
	for range 3 {
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+access); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if got := be.lastSubject(); got != "gw-backend" {
		t.Errorf("backend saw %q, want the gateway's own client", got)
	}
	if n := exchangeRequests(idp, "client_credentials"); n != 1 {
		t.Errorf("%d client credentials requests for 3 MCP requests, want 1 (cached)", n)
	}
	be.neverSaw(t, map[string]string{"client's access token": access, "backend client secret": "backend-secret-0123456789"})
}

// TestUpstreamSignOutEndsGrant: when the provider refuses to refresh the
// user's upstream token (the user signed out there), the MCP client gets
// a 401 challenge, not a backend error; the grant, its refresh token and
// its upstream tokens are gone.
func TestUpstreamSignOutEndsGrant(t *testing.T) {
	r := startUserTokenRig(t, userTokenSetup{
		auth: "    auth: {mode: token_exchange, audience: snippets-api}\n", jwtAccess: true,
		verify: func(idp *oidctest.Provider) func(*http.Request) (string, error) {
			return jwtVerifier(t, idp, "snippets-api", nil)
		},
	})
	access, refresh := r.signIn(t)
	if status, _ := r.call(t, access); status != http.StatusOK {
		t.Fatalf("before sign-out: %d", status)
	}
	r.idp.SignOut("carol")
	// Close to the upstream token's expiry: the next request refreshes it.
	r.gw.Clock.Advance(59 * time.Minute)
	resp := gwtest.MCPCall(t, r.gw.MCP, "Bearer "+access)
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, "resource_metadata=") {
		t.Fatalf("after upstream sign-out: %d %q", resp.StatusCode, ch)
	}
	if n := upstreamSessions(t, r.gw); n != 0 {
		t.Errorf("%d upstream sessions left", n)
	}
	if status, body := r.client.Refresh(refresh); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("the client's refresh token after the grant ended: %d %v", status, body)
	}
	if status, _ := r.call(t, access); status != http.StatusUnauthorized {
		t.Errorf("the access token after the grant ended: %d", status)
	}
	// Signing in again works.
	access2, refresh2 := r.signIn(t)
	if status, _ := r.call(t, access2); status != http.StatusOK {
		t.Fatalf("after signing in again: %d", status)
	}
	r.checkClean(t, access, refresh)
	r.checkClean(t, access2, refresh2)
}

// TestEntraInteractionRequired: Entra ID answering on-behalf-of with
// interaction_required (MFA) ends the grant: the user signs in again.
func TestEntraInteractionRequired(t *testing.T) {
	r := startUserTokenRig(t, userTokenSetup{entra: true, auth: "    auth: {mode: entra_obo, scopes: [\"api://snippets/.default\"]}\n",
		verify: func(idp *oidctest.Provider) func(*http.Request) (string, error) {
			return jwtVerifier(t, idp, "api://snippets", nil)
		}})
	access, _ := r.signIn(t)
	r.idp.RequireInteraction("carol", true)
	if status, _ := r.call(t, access); status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", status)
	}
	g, err := r.gw.Srv.Store().ListGrants(context.Background(), storage.GrantFilter{IncludeRevoked: true})
	if err != nil || len(g) != 1 || g[0].RevokeReason != "upstream_interaction_required" {
		t.Fatalf("grants: %+v, %v", g, err)
	}
}

// TestRevokedGrantDeletesUpstreamTokens: a client revoking its token
// (RFC 7009) deletes the upstream tokens kept for its grant.
func TestRevokedGrantDeletesUpstreamTokens(t *testing.T) {
	r := startUserTokenRig(t, userTokenSetup{auth: "    auth: {mode: token_exchange, audience: snippets-api}\n",
		verify: func(idp *oidctest.Provider) func(*http.Request) (string, error) {
			return jwtVerifier(t, idp, "snippets-api", nil)
		}})
	_, refresh := r.signIn(t)
	if n := upstreamSessions(t, r.gw); n != 1 {
		t.Fatalf("%d upstream sessions, want 1", n)
	}
	req, _ := http.NewRequest(http.MethodPost, r.gw.URL+"/revoke", strings.NewReader(url.Values{"token": {refresh}, "client_id": {r.client.ID}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", err, resp)
	}
	resp.Body.Close()
	if n := upstreamSessions(t, r.gw); n != 0 {
		t.Errorf("%d upstream sessions after revocation, want 0", n)
	}
}
