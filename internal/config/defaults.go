package config

import (
	"reflect"
	"slices"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// Defaults, in one place: applyDefaults sets them, docs/configuration.md
// states them (TestDocumentedDefaults compares the two), and a package that
// falls back on one when its Options leave it zero (for its own tests)
// takes it from here rather than writing the value again. The Redis
// limiter's are the ratelimit package's, which this package already uses.
const (
	DefaultListen     = "127.0.0.1:8080"
	DefaultLogLevel   = "info"
	DefaultLogFormat  = "text"
	DefaultStorage    = "sqlite"
	DefaultSQLitePath = "drawbridge-data/drawbridge.db"
	// IdentityNone is identity.type when the configuration has no
	// identity section: nobody signs in, and only machine clients
	// (client_credentials) get tokens.
	IdentityNone = "none"
	// DefaultIdentity is identity.type when a section names none.
	DefaultIdentity   = "local"
	DefaultEntraCloud = "https://login.microsoftonline.com"

	DefaultAccessTokenTTL    = time.Hour
	DefaultRefreshTokenTTL   = 30 * 24 * time.Hour
	DefaultGrantTTL          = 90 * 24 * time.Hour
	DefaultRefreshReuseGrace = 30 * time.Second
	DefaultCodeTTL           = 60 * time.Second
	DefaultLoginTTL          = 10 * time.Minute
	DefaultKeyRotation       = 30 * 24 * time.Hour

	DefaultClientTTL                = 30 * 24 * time.Hour
	DefaultRegistrationsPerHour     = 20
	DefaultMetadataFailureTTL       = time.Minute
	DefaultMetadataHostFetches      = 30
	DefaultMetadataHostWindow       = time.Minute
	DefaultMetadataHostConcurrency  = 4
	DefaultClientAuthMethod         = "none"
	DefaultConfidentialClientMethod = "client_secret_basic"

	DefaultSessionTTL        = 24 * time.Hour
	DefaultConsoleSessionTTL = 8 * time.Hour

	DefaultRateLimitBackend    = "memory"
	DefaultRedisTimeout        = ratelimit.DefaultRedisTimeout
	DefaultRedisPrefix         = ratelimit.DefaultRedisPrefix
	DefaultRateRuleEvery       = time.Minute
	DefaultTokenPerMinute      = 120
	DefaultAuthorizePerMinute  = 60
	DefaultLoginPerMinute      = 20
	DefaultLockoutAfter        = 5
	DefaultLockoutAddressAfter = 20
	DefaultLockoutBase         = time.Minute
	DefaultLockoutMax          = time.Hour
	DefaultLockoutDeviceTTL    = 720 * time.Hour

	DefaultServerTimeout = 60 * time.Second
	// DefaultServerTransport is a URL backend's transport; a command's
	// is TransportStdio.
	DefaultServerTransport  = "streamable-http"
	TransportStdio          = "stdio"
	DefaultMaxRequestBytes  = 4 << 20
	DefaultKeepAlive        = 25 * time.Second
	DefaultStdioMode        = "per-session"
	DefaultStdioMaxSessions = 100
	DefaultStdioIdleTimeout = 30 * time.Minute
	DefaultBackendAuth      = "none"

	// An OpenAPI server's calls (docs/openapi.md): the whole call,
	// response body included, and the largest response body accepted.
	DefaultOpenAPITimeout          = 30 * time.Second
	DefaultOpenAPIMaxResponseBytes = 1 << 20
	// The document itself: its largest size, and how long fetching a URL
	// spec may take at start.
	DefaultOpenAPIMaxSpecBytes   = 16 << 20
	DefaultOpenAPISpecFetchLimit = 30 * time.Second
	// DefaultOpenAPIRefresh is off: a document is read again only on
	// SIGHUP. MinOpenAPIRefresh is the shortest refresh interval: a
	// document is configuration, and fetching it more often than this
	// only loads the API's server.
	DefaultOpenAPIRefresh = 0
	MinOpenAPIRefresh     = time.Minute
	// DefaultComposeCheckTimeout bounds the first listing of a composed
	// server's members at start (and by drawbridge check): a member that
	// has not answered by then is reported as unreachable.
	DefaultComposeCheckTimeout = 15 * time.Second
	DefaultAssertionHeader     = "Authorization"
	DefaultAssertionTTL        = time.Minute

	// DefaultPinning is hide, because the attack tool pinning exists for
	// is a change after approval (a "rug pull"), which hide stops without
	// anyone having to approve anything first; trusting on first use
	// (DefaultPinningApproval) lets a new deployment work at once. block
	// (every new tool waits) and admin approval (the first contact too)
	// are for servers whose every tool an administrator wants to see.
	DefaultPinning         = "hide"
	DefaultPinningApproval = "tofu"

	// DefaultIssueLifetime is how long an identity assertion grant that
	// Drawbridge issues as an enterprise IdP (enterprise.issue) lasts: the
	// draft's example, long enough to be redeemed at once and too short to
	// be worth stealing.
	DefaultIssueLifetime = 5 * time.Minute
)

// The default lists are functions, so that no caller can change them.

// DefaultOIDCScopes are requested at a generic OIDC provider.
func DefaultOIDCScopes() []string { return []string{"openid", "email", "profile"} }

// DefaultEntraScopes are requested at Entra ID.
func DefaultEntraScopes() []string { return []string{"openid", "profile", "email", "offline_access"} }

// DefaultGrantTypes are a configured client's.
func DefaultGrantTypes() []string { return []string{"authorization_code", "refresh_token"} }

// DefaultRedactKeys are the tool-argument names whose values the audit
// trail never records.
func DefaultRedactKeys() []string {
	return []string{"password", "secret", "token", "api_key", "apikey", "authorization", "credential", "private_key"}
}

// DefaultClaims is the claim mapping of a generic OIDC provider (no roles).
func DefaultClaims() Claims {
	return Claims{Subject: "sub", Email: "email", Name: "name", Groups: "groups"}
}

// applyDefaults fills what the file leaves out, section by section. The
// identity section comes first: without one nobody signs in, and what only
// a signed-in user can use is then off by default.
func (c *Config) applyDefaults() {
	c.defaultServer()
	c.defaultIdentity()
	c.defaultTokens()
	interactive := c.Identity.Type != IdentityNone
	c.defaultRegistration(interactive)
	c.defaultClients()
	c.defaultConsole(interactive)
	c.defaultRateLimits()
	c.defaultAudit()
	c.defaultEnterprise()
	for i := range c.Backends {
		c.Backends[i].applyDefaults()
	}
}

// defaultServer: the listener, logs and storage.
func (c *Config) defaultServer() {
	setString(&c.Listen, DefaultListen)
	setString(&c.Log.Level, DefaultLogLevel)
	setString(&c.Log.Format, DefaultLogFormat)
	setString(&c.Storage.Type, DefaultStorage)
	setString(&c.Storage.SQLite.Path, DefaultSQLitePath)
	setDuration(&c.SessionTTL, DefaultSessionTTL)
}

func (c *Config) defaultIdentity() {
	id := &c.Identity
	if id.Type == "" && reflect.ValueOf(*id).IsZero() {
		// No identity section: nobody signs in (machine clients only).
		id.Type = IdentityNone
	}
	setString(&id.Type, DefaultIdentity)
	setList(&id.OIDC.Scopes, DefaultOIDCScopes())
	cl, def := &id.OIDC.Claims, DefaultClaims()
	setString(&cl.Subject, def.Subject)
	setString(&cl.Email, def.Email)
	setString(&cl.Name, def.Name)
	setString(&cl.Groups, def.Groups)
	setBool(&id.OIDC.BackChannelLogout, true)
	setString(&id.Entra.Cloud, DefaultEntraCloud)
	setList(&id.Entra.Scopes, DefaultEntraScopes())
}

// defaultEnterprise: each enterprise IdP's claims default to a generic
// OIDC provider's; the grants Drawbridge issues last DefaultIssueLifetime.
func (c *Config) defaultEnterprise() {
	for i := range c.Enterprise.Issue {
		setDuration(&c.Enterprise.Issue[i].Lifetime, DefaultIssueLifetime)
	}
	for i := range c.Enterprise.IdPs {
		cl, def := &c.Enterprise.IdPs[i].Claims, DefaultClaims()
		setString(&cl.Subject, def.Subject)
		setString(&cl.Email, def.Email)
		setString(&cl.Name, def.Name)
		setString(&cl.Groups, def.Groups)
	}
}

func (c *Config) defaultTokens() {
	t := &c.Tokens
	setDuration(&t.AccessTokenTTL, DefaultAccessTokenTTL)
	setDuration(&t.RefreshTokenTTL, DefaultRefreshTokenTTL)
	setDuration(&t.GrantTTL, DefaultGrantTTL)
	setDuration(&t.CodeTTL, DefaultCodeTTL)
	setDuration(&t.LoginTTL, DefaultLoginTTL)
	// 0s is meaningful for these two (manual rotation only, no grace).
	setDurationPtr(&t.KeyRotation, DefaultKeyRotation)
	setDurationPtr(&t.RefreshReuseGrace, DefaultRefreshReuseGrace)
}

// defaultRegistration: what only a signed-in user can use is off when
// nobody signs in; Validate refuses turning it on.
func (c *Config) defaultRegistration(interactive bool) {
	r := &c.Registration
	setBool(&r.Dynamic, interactive)
	setDuration(&r.ClientTTL, DefaultClientTTL)
	setInt(&r.PerAddressPerHour, DefaultRegistrationsPerHour)
	md := &r.MetadataDocuments
	setBool(&md.Enabled, interactive)
	setDuration(&md.FailureTTL, DefaultMetadataFailureTTL)
	setInt(&md.HostFetches, DefaultMetadataHostFetches)
	setDuration(&md.HostWindow, DefaultMetadataHostWindow)
	setInt(&md.HostConcurrency, DefaultMetadataHostConcurrency)
}

func (c *Config) defaultClients() {
	for i := range c.Clients {
		cl := &c.Clients[i]
		setList(&cl.GrantTypes, DefaultGrantTypes())
		if cl.Secret != "" {
			setString(&cl.TokenEndpointAuthMethod, DefaultConfidentialClientMethod)
		}
		setString(&cl.TokenEndpointAuthMethod, DefaultClientAuthMethod)
	}
}

func (c *Config) defaultConsole(interactive bool) {
	setBool(&c.Console.Enabled, interactive)
	setDuration(&c.Console.SessionTTL, DefaultConsoleSessionTTL)
}

func (c *Config) defaultRateLimits() {
	rl := &c.RateLimits
	setString(&rl.Backend, DefaultRateLimitBackend)
	setDuration(&rl.Redis.Timeout, DefaultRedisTimeout)
	setString(&rl.Redis.Prefix, DefaultRedisPrefix)
	for i := range rl.Rules {
		r := &rl.Rules[i]
		setDuration(&r.Every, DefaultRateRuleEvery)
		if r.Burst == 0 && r.Rate > 0 {
			r.Burst = int64(r.Rate + 0.999999) // the rate, rounded up
		}
	}
	setInt(&rl.Auth.TokenPerMinute, DefaultTokenPerMinute)
	setInt(&rl.Auth.AuthorizePerMinute, DefaultAuthorizePerMinute)
	setInt(&rl.Auth.LoginPerMinute, DefaultLoginPerMinute)
	lo := &rl.Lockout
	setInt(&lo.After, DefaultLockoutAfter)
	setInt(&lo.AddressAfter, DefaultLockoutAddressAfter)
	setDuration(&lo.Base, DefaultLockoutBase)
	setDuration(&lo.Max, DefaultLockoutMax)
	setDuration(&lo.DeviceTTL, DefaultLockoutDeviceTTL)
}

func (c *Config) defaultAudit() {
	setBool(&c.Audit.Store, true)
	if c.Audit.RedactKeys == nil { // [] records every argument as is
		c.Audit.RedactKeys = DefaultRedactKeys()
	}
}

// applyDefaults fills one server's defaults.
func (b *Backend) applyDefaults() {
	setString(&b.Title, b.Name)
	setDuration(&b.Timeout, DefaultServerTimeout)
	setInt(&b.MaxRequestBytes, DefaultMaxRequestBytes)
	setDuration(&b.KeepAlive, DefaultKeepAlive)
	if len(b.Command) > 0 {
		setString(&b.Transport, TransportStdio)
		setString(&b.Stdio.Mode, DefaultStdioMode)
		setInt(&b.Stdio.MaxSessions, DefaultStdioMaxSessions)
		setDuration(&b.Stdio.IdleTimeout, DefaultStdioIdleTimeout)
	}
	if o := b.OpenAPI; o != nil {
		setDuration(&o.Timeout, DefaultOpenAPITimeout)
		setInt(&o.MaxResponseBytes, DefaultOpenAPIMaxResponseBytes)
		setDuration(&o.Refresh, DefaultOpenAPIRefresh)
	}
	setString(&b.Transport, DefaultServerTransport)
	setString(&b.Auth.Mode, DefaultBackendAuth)
	if b.Auth.Mode == "identity_assertion" {
		setString(&b.Auth.Header, DefaultAssertionHeader)
		setDuration(&b.Auth.TTL, DefaultAssertionTTL)
	}
	// Tool pinning (docs/pinning.md says why hide on first use).
	setString(&b.Pinning, DefaultPinning)
	setString(&b.PinningApproval, DefaultPinningApproval)
	for i := range b.Compose {
		b.Compose[i].applyDefaults(b)
	}
}

// applyDefaults fills a composed server's member's defaults: those of a
// server of the same kind.
func (m *Member) applyDefaults(s *Backend) {
	b := s.MemberServer(m)
	b.applyDefaults()
	m.Transport, m.Stdio, m.Auth, m.Timeout = b.Transport, b.Stdio, b.Auth, b.Timeout
}

func setString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setDuration(p *Duration, v time.Duration) {
	if *p == 0 {
		*p = Duration(v)
	}
}

// setDurationPtr sets a duration whose zero is a value of its own.
func setDurationPtr(p **Duration, v time.Duration) {
	if *p == nil {
		d := Duration(v)
		*p = &d
	}
}

func setInt[T int | int64](p *T, v T) {
	if *p == 0 {
		*p = v
	}
}

// setBool sets a switch the file did not mention.
func setBool(p **bool, v bool) {
	if *p == nil {
		*p = &v
	}
}

func setList(p *[]string, v []string) {
	if len(*p) == 0 {
		*p = slices.Clone(v)
	}
}
