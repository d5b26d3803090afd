package oidctest

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// DefaultTenantID is the tenant of the Entra-like mode when Options.TenantID
// is empty. Entra tenant IDs are GUIDs.
const DefaultTenantID = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"

// Options configures a test provider. The zero value is a generic OpenID
// provider on plain http.
type Options struct {
	// Entra makes the provider look like Microsoft Entra ID (v2 endpoints)
	// for one tenant: issuer {base}/{tenant}/v2.0, discovery only under that
	// issuer, authorization and token endpoints under
	// {base}/{tenant}/oauth2/v2.0/, the JWKS under
	// {base}/{tenant}/discovery/v2.0/keys, tid and ver claims in ID tokens,
	// and any authorization or token request carrying a `resource` parameter
	// refused with invalid_request (AADSTS901002).
	Entra bool
	// TenantID is the Entra-like tenant; default DefaultTenantID.
	TenantID string
	// TLS serves https with httptest's self-signed certificate. Only
	// Provider.Client (and Login) trust it, so the relying party under test
	// must be given Provider.Client as its HTTP client.
	TLS bool
	// Users and Clients to start with; AddUser and AddClient add more.
	Users   []User
	Clients []Client
	// ExchangeAudiences, if set, are the only audiences that token exchange
	// (RFC 8693) may ask for; any other gets invalid_target.
	ExchangeAudiences []string
	// Token lifetimes; defaults 1 hour (ID and access tokens) and 24 hours
	// (refresh tokens).
	IDTokenLifetime      time.Duration
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
}

// Client is a relying party registered at the test provider.
type Client struct {
	ID string
	// Secret authenticates the client at the token endpoint (client_secret_basic
	// or client_secret_post). Empty: a public client, which must use PKCE.
	Secret string
	// Certificate, instead of Secret, makes the client authenticate with a
	// JWT signed by the certificate's key (private_key_jwt); see
	// AddCertificateClient.
	Certificate *x509.Certificate
	// RedirectURIs are matched exactly (OAuth 2.1, section 4.1.1).
	RedirectURIs []string
	// JWTAccessTokens makes the access tokens issued to this client JWTs
	// signed like ID tokens (iss, sub, aud, client_id, scope), which a
	// backend can verify with the JWKS; default opaque.
	JWTAccessTokens bool
}

// Provider is a running test OpenID provider.
type Provider struct {
	srv      *httptest.Server
	op       *op.Provider
	handler  http.Handler // op's routes, with client assertions checked as Entra ID does
	store    *store
	opts     Options
	base     string
	issuer   string
	paths    paths
	down     atomic.Bool
	mu       sync.Mutex // guards requests
	requests []Request
}

// paths are the endpoint paths of one provider; they differ between the
// generic and the Entra-like mode.
type paths struct {
	discovery, authorize, token, keys, userinfo, revoke, endSession, introspect, device, login string
}

// Start runs a provider until the test ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	p, err := start(opts)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	t.Cleanup(p.srv.Close)
	return p
}

func start(opts Options) (*Provider, error) {
	if opts.TenantID == "" {
		opts.TenantID = DefaultTenantID
	}
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	p := &Provider{opts: opts, store: &store{
		clients:           map[string]*client{},
		users:             map[string]User{},
		requests:          map[string]*authRequest{},
		codes:             map[string]string{},
		access:            map[string]*accessToken{},
		refresh:           map[string]*refreshRequest{},
		jtis:              map[string]time.Time{},
		key:               key,
		entra:             opts.Entra,
		exchangeAudiences: opts.ExchangeAudiences,
		tenantID:          opts.TenantID,
		accessTTL:         orDefault(opts.AccessTokenLifetime, time.Hour),
		refreshTTL:        orDefault(opts.RefreshTokenLifetime, 24*time.Hour),
	}}
	// The listener exists before the server starts, so the issuer (which
	// the op library needs up front) can name the real port.
	p.srv = httptest.NewUnstartedServer(p)
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	p.base = scheme + "://" + p.srv.Listener.Addr().String()
	p.issuer, p.paths = p.base, genericPaths()
	if opts.Entra {
		p.issuer, p.paths = p.base+"/"+opts.TenantID+"/v2.0", entraPaths(opts.TenantID)
	}
	if p.op, err = p.newOP(); err != nil {
		p.srv.Close()
		return nil, err
	}
	p.handler = op.CreateRouter(assertionOP{Provider: p.op, p: p})
	for _, u := range opts.Users {
		p.AddUser(u)
	}
	for _, c := range opts.Clients {
		p.addClient(&client{id: c.ID, secret: c.Secret, cert: c.Certificate, redirectURIs: slices.Clone(c.RedirectURIs),
			jwtAccess: c.JWTAccessTokens})
	}
	if opts.TLS {
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	return p, nil
}

func genericPaths() paths {
	return paths{
		discovery:  "/.well-known/openid-configuration",
		authorize:  "/authorize",
		token:      "/oauth/token",
		keys:       "/keys",
		userinfo:   "/userinfo",
		revoke:     "/revoke",
		endSession: "/end_session",
		introspect: "/oauth/introspect",
		device:     "/device_authorization",
		login:      "/login",
	}
}

// entraPaths follow Entra ID's v2 layout, where the endpoints are not under
// the issuer path; a relying party that builds URLs from the issuer instead
// of reading discovery (OIDC Discovery, section 4) fails here.
func entraPaths(tenant string) paths {
	t := "/" + tenant
	return paths{
		discovery:  t + "/v2.0/.well-known/openid-configuration",
		authorize:  t + "/oauth2/v2.0/authorize",
		token:      t + "/oauth2/v2.0/token",
		keys:       t + "/discovery/v2.0/keys",
		userinfo:   t + "/openid/userinfo",
		revoke:     t + "/oauth2/v2.0/revoke",
		endSession: t + "/oauth2/v2.0/logout",
		introspect: t + "/oauth2/v2.0/introspect",
		device:     t + "/oauth2/v2.0/devicecode",
		login:      "/login",
	}
}

func (p *Provider) newOP() (*op.Provider, error) {
	cfg := &op.Config{
		CodeMethodS256:          true,
		AuthMethodPost:          true,
		AuthMethodPrivateKeyJWT: true,
		GrantTypeRefreshToken:   true,
		SupportedClaims:         append(slices.Clone(op.DefaultSupportedClaims), "groups", "roles", "oid", "tid"),
	}
	// Encrypts the authorization codes and opaque access tokens the library
	// hands out.
	_, _ = rand.Read(cfg.CryptoKey[:])
	ep := func(path string) *op.Endpoint { return op.NewEndpointWithURL(path, p.base+path) }
	opts := []op.Option{
		op.WithCustomEndpoints(ep(p.paths.authorize), ep(p.paths.token), ep(p.paths.userinfo),
			ep(p.paths.revoke), ep(p.paths.endSession), ep(p.paths.keys)),
		op.WithCustomIntrospectionEndpoint(ep(p.paths.introspect)),
		op.WithCustomDeviceAuthorizationEndpoint(ep(p.paths.device)),
	}
	if !p.opts.TLS {
		opts = append(opts, op.WithAllowInsecure())
	}
	return op.NewProvider(cfg, p.store, op.StaticIssuer(p.issuer), opts...)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Issuer is the issuer identifier: what a relying party is configured with.
func (p *Provider) Issuer() string { return p.issuer }

// BaseURL is the scheme and host of the provider. In Entra-like mode it
// plays the part of the cloud instance (https://login.microsoftonline.com).
func (p *Provider) BaseURL() string { return p.base }

// TenantID is the Entra-like tenant (also set, unused, in generic mode).
func (p *Provider) TenantID() string { return p.opts.TenantID }

// Client returns a new HTTP client that can reach the provider, trusting its
// certificate when Options.TLS is set. Give it to the relying party.
func (p *Provider) Client() *http.Client {
	return &http.Client{Transport: p.srv.Client().Transport, Timeout: 30 * time.Second}
}

// AddClient registers a relying party, or replaces the one with this ID. An
// empty secret makes a public client.
func (p *Provider) AddClient(id, secret string, redirectURIs ...string) {
	p.addClient(&client{id: id, secret: secret, redirectURIs: slices.Clone(redirectURIs)})
}

// AddCertificateClient registers (or replaces) a relying party that
// authenticates at the token endpoint with private_key_jwt: a JWT signed
// with cert's private key, as Entra ID's "Certificates & secrets >
// Certificates" credentials work. The provider checks, as Entra ID does:
//
//   - the signature, with cert's public key: RS256, PS256 or ES256 (in
//     Entra-like mode RS256 or PS256 only: Entra ID takes RSA certificates);
//   - the header's pointers to the certificate, where present: x5t must be
//     the base64url SHA-1 and x5t#S256 the SHA-256 thumbprint, and kid the
//     SHA-256 thumbprint too. In Entra-like mode x5t or x5t#S256 is
//     required and kid is ignored, because that is how Entra ID finds the
//     certificate;
//   - iss = sub = the client ID (and client_id, if sent, the same);
//   - aud = the token endpoint URL, one value (not the issuer);
//   - exp in the future, nbf and iat not, and at most 10 minutes between
//     nbf (or iat) and exp;
//   - a jti, never seen before.
//
// Failures are invalid_client (401), with Entra's AADSTS codes in the
// description in Entra-like mode, except for what the op library finds
// first and reports as invalid_grant: an aud without the token endpoint
// URL, iss other than sub, a past exp, an iat missing, in the future or
// older than 10 minutes. A client secret is refused for such a client.
func (p *Provider) AddCertificateClient(id string, cert *x509.Certificate, redirectURIs ...string) {
	if cert == nil {
		panic("oidctest: AddCertificateClient: nil certificate")
	}
	p.addClient(&client{id: id, cert: cert, redirectURIs: slices.Clone(redirectURIs)})
}

func (p *Provider) addClient(c *client) {
	c.loginURL = p.base + p.paths.login
	c.idTokenTTL = orDefault(p.opts.IDTokenLifetime, time.Hour)
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.clients[c.id] = c
}

// AddUser adds or replaces a user, keyed by Username.
func (p *Provider) AddUser(u User) {
	if u.Username == "" {
		panic("oidctest: AddUser: empty Username")
	}
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.users[u.Username] = u
}

// SetAutoLogin makes the login page sign in username at once, without
// showing a form, so that any user agent (a real browser, an SDK's OAuth
// handler) completes the login unattended. An empty username turns it off.
func (p *Provider) SetAutoLogin(username string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.autoLogin = username
}

// SetDown simulates an unreachable provider: while down, every connection
// is closed without a response, as if nothing were listening. Requests made
// while down are not recorded.
func (p *Provider) SetDown(down bool) { p.down.Store(down) }

// SignWithUnknownKey makes the provider sign tokens with a key that is not
// in its JWKS, so that their signatures cannot be verified.
func (p *Provider) SignWithUnknownKey(on bool) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if on && p.store.rogue.priv == nil {
		k, err := newSigningKey()
		if err != nil {
			panic(fmt.Sprintf("oidctest: generating a key: %v", err))
		}
		p.store.rogue = k
	}
	p.store.signRogue = on
}

// SignOut ends every session of username at the provider, as a sign-out or
// an administrator's revocation does: the user's refresh and access tokens
// stop working (refreshes get invalid_grant).
func (p *Provider) SignOut(username string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	for k, rt := range p.store.refresh {
		if rt.username == username {
			delete(p.store.refresh, k)
		}
	}
	for k, at := range p.store.access {
		if at.username == username {
			delete(p.store.access, k)
		}
	}
}

// Register adds or replaces a client with every option of Client.
func (p *Provider) Register(c Client) {
	p.addClient(&client{id: c.ID, secret: c.Secret, cert: c.Certificate, redirectURIs: slices.Clone(c.RedirectURIs),
		jwtAccess: c.JWTAccessTokens})
}
