package authserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/idjag"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
	"github.com/drawbridge-mcp/drawbridge/internal/webpage"
)

// Resource is an MCP server that tokens can be issued for.
type Resource struct {
	// URL is the canonical resource identifier (public URL of the endpoint).
	URL    string
	Title  string
	Scopes []string
	// Optional scopes may be requested but are not needed to connect:
	// scopes that policy rules require for some calls (step-up).
	Optional []string
	// ExplicitOnly resources (the admin API) are never the default for a
	// request that names no resource.
	ExplicitOnly bool
}

// Options configures the authorization server.
// Vault keeps upstream tokens; *vault.Vault is one.
type Vault interface {
	Save(ctx context.Context, subject string, t vault.Tokens) (string, error)
}

type Options struct {
	Issuer string
	Store  storage.Store
	Keys   *tokens.Keys
	// Revoker revokes grants (store, this replica's revocation list, audit
	// trail); default one over Store and Audit with no revocation list.
	Revoker *revoke.Revoker
	// Tokens verifies access tokens presented for revocation or
	// introspection (any audience).
	Tokens interface {
		Inspect(ctx context.Context, raw string) (*tokens.AccessClaims, error)
	}
	Resources []Resource
	// At most one of Password or Redirect is set. Neither: nobody signs in
	// (nosignin.go), and only Clients with the client_credentials grant
	// get tokens.
	Password identity.PasswordProvider
	Redirect identity.RedirectProvider
	// Logout, if set, serves PathBackChannelLogout: the Redirect provider's
	// back-channel logout ends the grants of the sign-ins it names.
	Logout identity.LogoutVerifier
	// Vault keeps the identity provider's tokens of each sign-in, for
	// backends that act for the user; nil keeps none.
	Vault Vault
	// Clients are pre-registered clients.
	Clients []ConfigClient
	// ScopeDescriptions explain scopes on the consent page.
	ScopeDescriptions map[string]string
	// SensitiveScopes are given to a machine client only when its
	// ConfigClient.Scopes lists them; admin.Scope always is one.
	SensitiveScopes []string
	// Introspectors may call POST /introspect; none disables it.
	Introspectors []Introspector
	// Limiter counts the per-address Limits of the endpoints; nil: no
	// limits.
	Limiter ratelimit.Limiter
	// Limits maps an endpoint (LimitToken, LimitAuthorize, LimitLogin,
	// LimitRegister) to its per-address limit; an endpoint without one is
	// not limited.
	Limits map[string]ratelimit.Limit
	// Metrics counts requests refused by a limit; nil counts nothing.
	Metrics *telemetry.Metrics
	// Lockout after LockoutAfter failed sign-ins for a username from one
	// client address (or from one remembered device), or
	// LockoutAddressAfter from one address whatever the usernames, for
	// LockoutBase doubling up to LockoutMax (lockout.go). LockoutAfter 0 or
	// less: never; LockoutAddressAfter 0 or less: no per-address count.
	LockoutAfter, LockoutAddressAfter int
	LockoutBase, LockoutMax           time.Duration
	// Keyring seals remembered-device cookies (device.go), which last
	// DeviceTTL; nil or DeviceTTL 0 or less: browsers are not remembered.
	Keyring   *tokens.Keyring
	DeviceTTL time.Duration
	// HTTPClient fetches configured clients' key sets (jwks_uri); default a
	// client with a timeout.
	HTTPClient *http.Client
	// Metadata fetches client ID metadata documents; nil turns them off.
	Metadata *cimd.Fetcher
	// Debug logs every step of every client's flow (log.oauth_debug), with
	// secret values replaced by their length.
	Debug bool
	// DPoPNonces, when set, makes every DPoP proof at the token endpoint
	// carry a server nonce (RFC 9449 §8); nil asks for none.
	DPoPNonces *dpop.Nonces
	// Audit receives authorization events; nil records none.
	Audit audit.Emitter
	// Enterprise are the identity providers whose ID-JAGs the token
	// endpoint redeems (jwt-bearer grant, token_jwtbearer.go); none turns
	// the grant off. Their keys are fetched with HTTPClient.
	Enterprise []idjag.Issuer
	// Issue are the other authorization servers the token endpoint issues
	// ID-JAGs for, as an enterprise IdP (token exchange,
	// token_exchange.go); none turns the exchange off.
	Issue []IssueAudience

	AccessTokenTTL    time.Duration
	RefreshTokenTTL   time.Duration
	GrantTTL          time.Duration
	RefreshReuseGrace time.Duration
	CodeTTL           time.Duration
	LoginTTL          time.Duration

	DynamicRegistration bool
	ClientTTL           time.Duration
	RedirectPolicy      oauth.RedirectPolicy

	// SecureCookies marks cookies Secure with the __Host- prefix; on for
	// https public URLs, off for plain-http loopback development.
	SecureCookies bool
	Now           func() time.Time
	Log           *slog.Logger
}

// ConfigClient is a pre-registered client from the configuration.
type ConfigClient struct {
	ID           string
	Secret       string
	Name         string
	RedirectURIs []string
	SkipConsent  bool
	// GrantTypes default to authorization_code and refresh_token.
	GrantTypes []string
	// AuthMethod is the token endpoint authentication method.
	AuthMethod string
	// JWKS (inline JSON) or JWKSURI hold the keys for private_key_jwt.
	JWKS    string
	JWKSURI string
	// Scopes are what client_credentials tokens may carry; nil: the
	// resource's scopes that are not sensitive.
	Scopes []string
}

// Introspector is a backend allowed to call the introspection endpoint.
type Introspector struct {
	ID     string
	Secret string
}

// Server serves the authorization server endpoints.
type Server struct {
	opt       Options
	clients   map[string]*client
	resources map[string]*Resource
	scopes    []string
	pages     *pages
	jwksCache *jwksCache
	lockout   *lockout
	dpop      *dpop.Checker
	idjag     *idjag.Verifier
	issue     map[string]*IssueAudience
}

// New checks the options and builds the server.
func New(opt Options) (*Server, error) {
	if opt.Password != nil && opt.Redirect != nil {
		return nil, fmt.Errorf("authserver: at most one identity provider may be set")
	}
	if len(opt.Resources) == 0 {
		return nil, fmt.Errorf("authserver: at least one resource is required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	opt.Log = abandonedLogger(opt.Log)
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Revoker == nil {
		opt.Revoker = revoke.New(revoke.Options{Store: opt.Store, Audit: opt.Audit, Now: opt.Now})
	}
	s := &Server{opt: opt, clients: map[string]*client{}, resources: map[string]*Resource{},
		jwksCache: newJWKSCache(opt.HTTPClient, jwksEntries),
		lockout:   newLockout(opt.LockoutAfter, opt.LockoutAddressAfter, opt.LockoutBase, opt.LockoutMax),
		dpop:      &dpop.Checker{Replay: opt.Store, Now: opt.Now, Nonces: opt.DPoPNonces}}
	s.idjag = idjag.NewVerifier(opt.Issuer, opt.Enterprise, opt.HTTPClient, opt.Now)
	var err error
	if s.issue, err = newIssue(opt.Issuer, opt.Issue); err != nil {
		return nil, err
	}
	for _, c := range opt.Clients {
		cl, err := configClient(c, opt.Now())
		if err != nil {
			return nil, fmt.Errorf("authserver: %w", err)
		}
		s.clients[c.ID] = cl
	}
	for i := range opt.Resources {
		r := &opt.Resources[i]
		canon, err := oauth.CanonicalResource(r.URL)
		if err != nil {
			return nil, fmt.Errorf("authserver: resource %q: %w", r.URL, err)
		}
		s.resources[canon] = r
		s.scopes = oauth.ScopeUnion(oauth.ScopeUnion(s.scopes, r.Scopes), r.Optional)
	}
	if s.signsIn() {
		// A refresh token needs a grant a user made.
		s.scopes = oauth.ScopeUnion(s.scopes, []string{scopeOfflineAccess})
	}
	pages, err := newPages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

// scopeOfflineAccess asks for a refresh token (OIDC Core §11; MCP 2026-07-28
// "Refresh Tokens"). It is advertised by the authorization server only, never
// by a protected resource.
const scopeOfflineAccess = "offline_access"

// Endpoint paths, relative to the issuer.
const (
	PathAuthorize  = "/authorize"
	PathToken      = "/token"
	PathRegister   = "/register"
	PathJWKS       = "/jwks.json"
	PathLogin      = "/login"
	PathConsent    = "/consent"
	PathCallback   = "/callback"
	PathStatic     = "/static/"
	PathRevoke     = "/revoke"
	PathIntrospect = "/introspect"
	// PathBackChannelLogout is the backchannel_logout_uri to register at
	// the upstream identity provider.
	PathBackChannelLogout = "/backchannel-logout"
)

// Routes mounts every endpoint on mux.
func (s *Server) Routes(mux *http.ServeMux) {
	meta := cors(http.HandlerFunc(s.metadata))
	mux.Handle("/.well-known/oauth-authorization-server", meta)
	mux.Handle("/.well-known/openid-configuration", meta)
	mux.Handle(PathJWKS, cors(http.HandlerFunc(s.jwks)))
	mux.Handle(PathRegister, cors(http.HandlerFunc(s.register)))
	mux.Handle(PathToken, cors(http.HandlerFunc(s.token)))
	mux.Handle(PathRevoke, cors(http.HandlerFunc(s.revoke)))
	mux.HandleFunc(PathIntrospect, s.introspect)
	mux.HandleFunc(PathAuthorize, s.authorize)
	mux.HandleFunc(PathLogin, s.login)
	mux.HandleFunc(PathConsent, s.consent)
	mux.HandleFunc(PathCallback, s.callback)
	mux.HandleFunc(PathBackChannelLogout, s.backChannelLogout)
	mux.Handle(PathStatic, webpage.Static(staticFS))
}

func (s *Server) url(path string) string { return s.opt.Issuer + path }

// cors lets browser-based MCP clients read metadata and call the token and
// registration endpoints. No credentials (cookies) are involved, so any
// origin may. A browser client may send a DPoP proof and must be able to
// read the nonce and the challenge it is answered with (RFC 9449 §8, §7.1).
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "DPoP-Nonce, WWW-Authenticate")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version, DPoP")
			w.Header().Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// resource resolves a requested resource indicator to a configured one.
// An empty request means the only resource, if there is just one.
func (s *Server) resource(requested []string) (*Resource, *oauth.Error) {
	switch {
	case len(requested) > 1:
		return nil, oauth.NewError(oauth.ErrInvalidTarget, "only one resource may be requested at a time")
	case len(requested) == 0 || requested[0] == "":
		var only *Resource
		for i := range s.opt.Resources {
			if r := &s.opt.Resources[i]; !r.ExplicitOnly {
				if only != nil {
					return nil, s.resourceRequired()
				}
				only = r
			}
		}
		if only == nil {
			return nil, oauth.NewError(oauth.ErrInvalidTarget, "the resource parameter is required")
		}
		return only, nil
	}
	canon, err := oauth.CanonicalResource(requested[0])
	if err != nil {
		return nil, oauth.NewError(oauth.ErrInvalidTarget, "the resource is not a valid URI: "+err.Error())
	}
	r, ok := s.resources[canon]
	if !ok {
		return nil, oauth.NewError(oauth.ErrInvalidTarget, "the resource is not served by this authorization server")
	}
	return r, nil
}

// grantableScopes narrows requested scopes to what this resource knows, plus
// offline_access. Unknown scopes are dropped rather than refused (RFC 6749
// §3.3 lets the server ignore part of a request) because clients often ask
// for scopes of other providers; the token response says what was granted.
// No scope requested means the resource's scopes.
func (s *Server) grantableScopes(r *Resource, requested []string) []string {
	if len(requested) == 0 {
		return append([]string(nil), r.Scopes...)
	}
	var out []string
	for _, sc := range requested {
		if sc == scopeOfflineAccess || containsString(r.Scopes, sc) || containsString(r.Optional, sc) {
			out = append(out, sc)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// clientIP is the client's address (behind trusted proxies, from
// X-Forwarded-For), for logs, audit and limits.
func clientIP(r *http.Request) string { return clientaddr.String(r) }
