package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// ReservedPaths are served by Drawbridge itself; no MCP server may use them.
var ReservedPaths = []string{
	"/.well-known/", "/authorize", "/token", "/register", "/jwks.json",
	"/login", "/consent", "/callback", "/revoke", "/introspect", "/backchannel-logout",
	"/healthz", "/readyz", "/static/", "/admin/", "/console/",
}

// ReservedClientIDs are client ids Drawbridge registers itself (the web
// console is a first-party client); a configured client may not take one.
var ReservedClientIDs = []string{"drawbridge-console"}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var serverName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate returns every problem in the (defaulted) configuration.
func (c *Config) Validate() []error {
	var v validator
	v.publicURL(c.PublicURL)
	v.tls(c)
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		v.add("listen: %q is not host:port", c.Listen)
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			v.add("metrics.listen: %q is not host:port", c.Metrics.Listen)
		} else if c.Metrics.Listen == c.Listen {
			v.add("metrics.listen: must differ from listen")
		}
	} else if c.Metrics.Pprof {
		v.add("metrics.pprof: needs metrics.listen (the profiler is never served on the public listener)")
	}
	v.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", c.Log.Format, "text", "json")
	v.oneOf("storage.type", c.Storage.Type, "sqlite", "postgres")
	if c.Storage.Type == "postgres" {
		v.required("storage.postgres.dsn", c.Storage.Postgres.DSN)
		if c.Storage.Postgres.MaxConns < 0 || c.Storage.Postgres.MaxConns > 1000 {
			v.add("storage.postgres.max_conns: %d is outside 0..1000", c.Storage.Postgres.MaxConns)
		}
	}
	v.encryptionKeys(c.EncryptionKeys)
	v.identity(&c.Identity)
	v.identityType = c.Identity.Type
	if c.Identity.Type == IdentityNone {
		v.noSignIn(c)
	}
	v.tokens(&c.Tokens)
	v.clients(c.Clients, c.Registration.AllowPrivateUseSchemes)
	v.servers(c.Backends)
	v.scopes(c)
	v.introspection(c.Introspection)
	v.enterprise(c)
	v.networks("trusted_proxies", c.TrustedProxies)
	v.networks("admin.allowed_networks", c.Admin.AllowedNetworks)
	v.between("console.session_ttl", c.Console.SessionTTL, 5*time.Minute, 30*24*time.Hour)
	v.rateLimits(&c.RateLimits)
	v.metadataDocuments(&c.Registration.MetadataDocuments)
	return v.errs
}

// metadataDocuments: a negative count or failure_ttl turns that bound off
// (0 was replaced by its default).
func (v *validator) metadataDocuments(md *MetadataDocuments) {
	if md.FailureTTL.D() > 10*time.Minute {
		v.add("registration.metadata_documents.failure_ttl: %s is over 10m", md.FailureTTL.D())
	}
	v.between("registration.metadata_documents.host_window", md.HostWindow, time.Second, time.Hour)
}

type validator struct {
	errs []error
	// identityType is identity.type, for checks of sections that depend on it.
	identityType string
}

func (v *validator) add(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}

func (v *validator) oneOf(field, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.add("%s: %q is not one of %s", field, value, strings.Join(allowed, ", "))
}

func (v *validator) publicURL(raw string) {
	if raw == "" {
		v.add("public_url: required (the URL clients use, such as https://mcp.example.com)")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		v.add("public_url: %q is not an absolute URL", raw)
	case u.Scheme != "https" && !(u.Scheme == "http" && oauth.IsLoopbackHost(u.Hostname())):
		v.add("public_url: %q must use https (plain http only on a loopback address)", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		v.add("public_url: %q must not contain user information, a query or a fragment", raw)
	case strings.Trim(u.Path, "/") != "":
		v.add("public_url: %q must not have a path; serve Drawbridge at the root of its host", raw)
	}
}

func (v *validator) encryptionKeys(keys []EncryptionKey) {
	if len(keys) == 0 {
		v.add("encryption_keys: at least one key is required (generate one with `drawbridge gen-key`)")
	}
	seen := map[string]bool{}
	for i, k := range keys {
		if k.ID == "" {
			v.add("encryption_keys[%d].id: required", i)
		} else if seen[k.ID] {
			v.add("encryption_keys[%d].id: %q is used twice", i, k.ID)
		}
		seen[k.ID] = true
		if b, err := base64.StdEncoding.DecodeString(k.Key); err != nil || len(b) != 32 {
			v.add("encryption_keys[%d].key: must be 32 bytes in standard base64", i)
		}
	}
}

func (v *validator) identity(id *Identity) {
	switch id.Type {
	case "local":
		if len(id.Local.Users) == 0 {
			v.add("identity.local.users: at least one user is required")
		}
		seen := map[string]bool{}
		for i, u := range id.Local.Users {
			if u.Username == "" {
				v.add("identity.local.users[%d].username: required", i)
			} else if seen[u.Username] {
				v.add("identity.local.users[%d].username: %q is used twice", i, u.Username)
			}
			seen[u.Username] = true
			if !strings.HasPrefix(u.PasswordHash, "$2") && !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
				v.add("identity.local.users[%d].password_hash: must be a bcrypt or argon2id hash (use `drawbridge hash-password`)", i)
			}
		}
	case "oidc":
		v.idpURL("identity.oidc.issuer", id.OIDC.Issuer)
		v.required("identity.oidc.client_id", id.OIDC.ClientID)
		v.clientCredential("identity.oidc", id.OIDC.ClientSecret, id.OIDC.ClientCertificate, false)
		if !contains(id.OIDC.Scopes, "openid") {
			v.add("identity.oidc.scopes: must include openid")
		}
	case "entra":
		if !guid.MatchString(id.Entra.TenantID) {
			v.add("identity.entra.tenant_id: must be the directory (tenant) id, a GUID")
		}
		v.required("identity.entra.client_id", id.Entra.ClientID)
		v.clientCredential("identity.entra", id.Entra.ClientSecret, id.Entra.ClientCertificate, true)
		v.idpURL("identity.entra.cloud", id.Entra.Cloud)
	case IdentityNone:
		// Checked with the rest of the configuration (noSignIn).
	default:
		v.add("identity.type: %q is not one of local, oidc, entra, none", id.Type)
	}
}

// noSignIn checks a configuration in which nobody signs in (no identity
// section): whatever only a signed-in user could use is refused, and some
// client must be able to get a token without one.
func (v *validator) noSignIn(c *Config) {
	const why = "users who sign in, and identity is not configured: add an identity section, or "
	if *c.Registration.Dynamic {
		v.add("registration.dynamic: clients that register themselves need " + why + "leave registration.dynamic out")
	}
	if *c.Registration.MetadataDocuments.Enabled {
		v.add("registration.metadata_documents.enabled: metadata-document clients need " + why + "leave registration.metadata_documents.enabled out")
	}
	if *c.Console.Enabled {
		v.add("console.enabled: the console needs " + why + "leave console.enabled out")
	}
	machine := false
	for i, cl := range c.Clients {
		if contains(cl.GrantTypes, "authorization_code") {
			v.add("clients[%d].grant_types: authorization_code needs "+why+"give this client grant_types: [client_credentials]", i)
		}
		// A client redeeming an enterprise IdP's grants needs no sign-in
		// here either: the IdP signed the user in.
		machine = machine || contains(cl.GrantTypes, "client_credentials") ||
			(contains(cl.GrantTypes, GrantJWTBearer) && len(c.Enterprise.IdPs) > 0)
	}
	if !machine {
		v.add("identity: not configured, and no client has the client_credentials grant, so nobody could get a token: " +
			"add an identity section (such as identity.local.users), or clients with grant_types: [client_credentials]")
	}
}

// clientCredential checks Drawbridge's credential at the identity provider:
// a client secret or a certificate, never both, since which one the
// provider checks would be a guess. required: one must be set (Entra ID
// authenticates every web app; a generic provider may register Drawbridge
// as a public client). Whether the files can be read and parsed is checked
// when the server starts.
func (v *validator) clientCredential(field, secret string, cert *ClientCertificate, required bool) {
	switch {
	case secret != "" && cert != nil:
		v.add("%s: client_secret and client_certificate are both set; use one", field)
	case cert != nil:
		v.required(field+".client_certificate.cert_file", cert.CertFile)
		v.required(field+".client_certificate.key_file", cert.KeyFile)
	case required && secret == "":
		v.add("%s.client_secret: required (or client_certificate)", field)
	}
}

func (v *validator) idpURL(field, raw string) {
	u, err := url.Parse(raw)
	if raw == "" {
		v.add("%s: required", field)
	} else if err != nil || !u.IsAbs() || u.Host == "" ||
		(u.Scheme != "https" && !(u.Scheme == "http" && oauth.IsLoopbackHost(u.Hostname()))) {
		v.add("%s: %q must be an https URL", field, raw)
	}
}

func (v *validator) required(field, value string) {
	if value == "" {
		v.add("%s: required", field)
	}
}

func (v *validator) tokens(t *Tokens) {
	v.between("tokens.access_token_ttl", t.AccessTokenTTL, time.Minute, 24*time.Hour)
	v.between("tokens.refresh_token_ttl", t.RefreshTokenTTL, time.Minute, 365*24*time.Hour)
	v.between("tokens.grant_ttl", t.GrantTTL, time.Minute, 5*365*24*time.Hour)
	v.between("tokens.code_ttl", t.CodeTTL, 10*time.Second, 10*time.Minute)
	v.between("tokens.login_ttl", t.LoginTTL, time.Minute, time.Hour)
	if r := *t.KeyRotation; r != 0 && (r.D() < time.Hour || r.D() < 2*t.AccessTokenTTL.D()) {
		v.add("tokens.key_rotation: %s must be 0s or at least 1h and twice access_token_ttl", r.D())
	}
	if g := *t.RefreshReuseGrace; g < 0 || g.D() > 5*time.Minute {
		v.add("tokens.refresh_reuse_grace: %s is outside 0s..5m", g.D())
	}
}

func (v *validator) between(field string, d Duration, lo, hi time.Duration) {
	if d.D() < lo || d.D() > hi {
		v.add("%s: %s is outside %s..%s", field, d.D(), lo, hi)
	}
}

func (v *validator) clients(clients []Client, privateSchemes bool) {
	seen := map[string]bool{}
	for i, c := range clients {
		field := fmt.Sprintf("clients[%d]", i)
		if c.ID == "" {
			v.add("%s.id: required", field)
		} else if seen[c.ID] {
			v.add("%s.id: %q is used twice", field, c.ID)
		} else if contains(ReservedClientIDs, c.ID) {
			v.add("%s.id: %q is reserved for Drawbridge's own web console", field, c.ID)
		}
		seen[c.ID] = true
		v.clientAuth(field, c)
		interactive := contains(c.GrantTypes, "authorization_code")
		if interactive && len(c.RedirectURIs) == 0 {
			v.add("%s.redirect_uris: at least one is required for the authorization_code grant", field)
		}
		policy := oauth.RedirectPolicy{AllowPrivateUseSchemes: privateSchemes}
		for j, r := range c.RedirectURIs {
			if err := oauth.ValidateRedirectURI(r, oauth.AppTypeNative, policy); err != nil {
				v.add("%s.redirect_uris[%d]: %v", field, j, err)
			}
		}
	}
}

func (v *validator) servers(servers []Backend) {
	if len(servers) == 0 {
		v.add("servers: at least one MCP server is required")
	}
	names, paths := map[string]bool{}, map[string]bool{}
	for i, s := range servers {
		field := fmt.Sprintf("servers[%d]", i)
		if !serverName.MatchString(s.Name) {
			v.add("%s.name: %q must be 1-63 of a-z, 0-9, _ and -", field, s.Name)
		} else if names[s.Name] {
			v.add("%s.name: %q is used twice", field, s.Name)
		}
		names[s.Name] = true
		v.serverPath(field, s.Path, paths)
		v.backend(field, &s)
		if _, err := oauth.ParseScope(strings.Join(s.Scopes, " ")); err != nil {
			v.add("%s.scopes: %v", field, err)
		}
		for name := range s.Headers {
			if !validHeaderName(name) {
				v.add("%s.headers: %q is not a valid header name", field, name)
			}
		}
		v.between(field+".timeout", s.Timeout, time.Second, time.Hour)
		v.oneOf(field+".transport", s.Transport, "streamable-http", "sse", "stdio")
		v.oneOf(field+".pinning", s.Pinning, "off", "warn", "hide", "block")
		v.oneOf(field+".pinning_approval", s.PinningApproval, "tofu", "admin")
		v.networks(field+".allowed_networks", s.AllowedNetworks)
		v.networks(field+".denied_networks", s.DeniedNetworks)
		v.backendAuth(field+".auth", &s)
		if s.MaxRequestBytes < 1024 || s.MaxRequestBytes > 1<<30 {
			v.add("%s.max_request_bytes: %d is outside 1024..1073741824", field, s.MaxRequestBytes)
		}
		for j, o := range s.AllowedOrigins {
			if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/")) {
				v.add("%s.allowed_origins[%d]: %q must be scheme://host[:port] or *", field, j, o)
			}
		}
	}
}

func (v *validator) serverPath(field, p string, seen map[string]bool) {
	switch {
	case !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#* ") || strings.Contains(p, "//") || strings.Contains(p, ".."):
		v.add("%s.path: %q must be an absolute path such as /mcp", field, p)
		return
	case seen[p]:
		v.add("%s.path: %q is used twice", field, p)
	}
	seen[p] = true
	if p == "/" || IsReservedPath(p) {
		v.add("%s.path: %q is used by Drawbridge itself", field, p)
	}
}

// IsReservedPath reports whether p is, or is under, a path Drawbridge serves.
func IsReservedPath(p string) bool {
	for _, r := range ReservedPaths {
		base := strings.TrimSuffix(r, "/")
		if p == base || strings.HasPrefix(p, base+"/") {
			return true
		}
	}
	return false
}

func validHeaderName(name string) bool {
	if name == "" || http.CanonicalHeaderKey(name) == "" {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validator) clientAuth(field string, c Client) {
	for _, g := range c.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" && g != "client_credentials" && g != GrantJWTBearer && g != GrantTokenExchange {
			v.add("%s.grant_types: %q is not one of authorization_code, refresh_token, client_credentials, %s, %s", field, g, GrantJWTBearer, GrantTokenExchange)
		}
	}
	switch c.TokenEndpointAuthMethod {
	case "none":
		if c.Secret != "" {
			v.add("%s.token_endpoint_auth_method: none, but a secret is set", field)
		}
		for _, g := range []string{"client_credentials", GrantJWTBearer, GrantTokenExchange} {
			if contains(c.GrantTypes, g) {
				v.add("%s.grant_types: %s needs a client that authenticates (a secret or private_key_jwt)", field, g)
			}
		}
	case "client_secret_basic", "client_secret_post":
		if len(c.Secret) < 16 {
			v.add("%s.secret: required for %s, at least 16 characters", field, c.TokenEndpointAuthMethod)
		}
	case "private_key_jwt":
		if (c.JWKS == "") == (c.JWKSURI == "") {
			v.add("%s: private_key_jwt needs exactly one of jwks or jwks_uri", field)
		}
		if c.JWKSURI != "" {
			v.idpURL(field+".jwks_uri", c.JWKSURI)
		}
	default:
		v.add("%s.token_endpoint_auth_method: %q is not one of none, client_secret_basic, client_secret_post, private_key_jwt", field, c.TokenEndpointAuthMethod)
	}
}

func (v *validator) scopes(c *Config) {
	if len(c.Scopes) == 0 {
		return
	}
	known := map[string]bool{}
	for i, s := range c.Scopes {
		if _, err := oauth.ParseScope(s.Name); err != nil || s.Name == "" || strings.Contains(s.Name, " ") {
			v.add("scopes[%d].name: %q is not a single valid scope token", i, s.Name)
		}
		if known[s.Name] {
			v.add("scopes[%d].name: %q is listed twice", i, s.Name)
		}
		known[s.Name] = true
	}
	for i, s := range c.Backends {
		for _, sc := range s.Scopes {
			if !known[sc] {
				v.add("servers[%d].scopes: %q is not in the scope catalogue (scopes:)", i, sc)
			}
		}
		for j, r := range s.Policy.Rules {
			for _, sc := range r.RequireScopes {
				if !known[sc] {
					v.add("servers[%d].policy.rules[%d].require_scopes: %q is not in the scope catalogue (scopes:)", i, j, sc)
				}
			}
		}
	}
}

func (v *validator) introspection(in Introspection) {
	for i, c := range in.Clients {
		if c.ID == "" {
			v.add("introspection.clients[%d].id: required", i)
		}
		if len(c.Secret) < 16 {
			v.add("introspection.clients[%d].secret: at least 16 characters", i)
		}
	}
}

func (v *validator) backend(field string, s *Backend) {
	if countSet(len(s.Command) > 0, s.Upstream != "", s.OpenAPI != nil, s.Compose != nil) > 1 {
		v.add("%s: set exactly one of upstream, command, openapi and compose", field)
		if s.Compose == nil {
			return
		}
	}
	if s.BackendHTTP2 && s.Upstream == "" {
		v.add("%s.backend_http2: only a server with an upstream is reached over HTTP", field)
	}
	switch {
	case s.Compose != nil:
		if len(s.Compose) == 0 {
			v.add("%s.compose: at least one member is required", field)
		}
		v.compose(field, s)
	case s.OpenAPI != nil:
		v.openAPI(field, s)
	case len(s.Command) > 0:
		if s.Transport != "stdio" {
			v.add("%s.transport: a command backend speaks stdio", field)
		}
		v.oneOf(field+".stdio.mode", s.Stdio.Mode, "per-session", "shared")
		for name := range s.Env {
			if name == "" || strings.ContainsAny(name, "=\x00") {
				v.add("%s.env: %q is not a valid variable name", field, name)
			}
		}
	default:
		if u, err := url.Parse(s.Upstream); err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			v.add("%s.upstream: %q must be an http or https URL (or set command for a stdio server)", field, s.Upstream)
		}
		if s.Transport == "stdio" {
			v.add("%s.transport: stdio needs a command", field)
		}
	}
}

func (v *validator) networks(field string, list []string) {
	for i, n := range list {
		if _, err := clientaddr.ParsePrefix(n); err != nil {
			v.add("%s[%d]: %v", field, i, err)
		}
	}
}

var rateKeys = []string{"user", "client", "server", "tool", "address"}

func (v *validator) rateLimits(rl *RateLimits) {
	v.oneOf("rate_limits.backend", rl.Backend, "memory", "redis")
	if rl.Backend == "redis" {
		if u, err := url.Parse(rl.Redis.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			v.add("rate_limits.redis.url: must be a redis:// or rediss:// URL")
		}
	}
	v.lockout(&rl.Lockout)
	names := map[string]bool{}
	for i, r := range rl.Rules {
		field := fmt.Sprintf("rate_limits.rules[%d]", i)
		if r.Name == "" || names[r.Name] {
			v.add("%s.name: required and unique", field)
		}
		names[r.Name] = true
		for _, p := range r.Per {
			if !contains(rateKeys, p) {
				v.add("%s.per: %q is not one of %s", field, p, strings.Join(rateKeys, ", "))
			}
		}
		if err := r.Limit().Validate(); err != nil {
			v.add("%s: %v (set rate with every and burst, or quota with window)", field, err)
		}
	}
}

func (v *validator) lockout(l *Lockout) {
	v.between("rate_limits.lockout.base", l.Base, time.Second, 24*time.Hour)
	v.between("rate_limits.lockout.max", l.Max, l.Base.D(), 30*24*time.Hour)
	if l.DeviceTTL >= 0 {
		v.between("rate_limits.lockout.device_ttl", l.DeviceTTL, time.Minute, 365*24*time.Hour)
	}
}

// Limit is the rule as a limiter limit.
func (r RateRule) Limit() ratelimit.Limit {
	if r.Quota > 0 || r.Window != "" {
		w := map[string]ratelimit.Window{"minute": ratelimit.Minute, "hour": ratelimit.Hour, "day": ratelimit.Day}[r.Window]
		return ratelimit.Limit{Name: r.Name, Kind: ratelimit.Quota, Window: w, Max: r.Quota}
	}
	rate := 0.0
	if r.Every > 0 {
		rate = r.Rate / r.Every.D().Seconds()
	}
	return ratelimit.Limit{Name: r.Name, Kind: ratelimit.TokenBucket, Rate: rate, Burst: r.Burst}
}
