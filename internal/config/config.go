package config

// Config is the whole configuration file.
type Config struct {
	// PublicURL is the URL clients use to reach Drawbridge, such as
	// https://mcp.example.com. Everything Drawbridge advertises (the issuer,
	// its endpoints, each server's resource URL) is built from it, never from
	// the address it listens on, so it works behind a TLS-terminating proxy.
	// It must be https unless the host is a loopback address.
	PublicURL string `yaml:"public_url"`
	// Listen is the address the HTTP server binds. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// H2C also accepts HTTP/2 without TLS (with prior knowledge) on Listen,
	// for a front proxy that speaks HTTP/2 to its backends (Envoy, a cloud
	// load balancer): many clients' streams then share a few connections.
	// HTTP/1.1 is always accepted. Default false.
	H2C bool `yaml:"h2c"`
	// TLS serves HTTPS on Listen from certificate files, reloaded when
	// they change. Default off: plain HTTP behind a TLS-terminating proxy.
	TLS TLS `yaml:"tls"`
	// Log sets the log level and format.
	Log Log `yaml:"log"`
	// Storage picks where state is kept.
	Storage Storage `yaml:"storage"`
	// EncryptionKeys seal secrets at rest (signing keys, upstream tokens).
	// New data is sealed with the first key; all keys can open. Each key is
	// 32 random bytes in standard base64; generate one with
	// `drawbridge gen-key`. Keep them out of the file: key: ${DRAWBRIDGE_KEY}.
	EncryptionKeys []EncryptionKey `yaml:"encryption_keys"`
	// Identity says how users sign in.
	Identity Identity `yaml:"identity"`
	// Tokens sets token and grant lifetimes.
	Tokens Tokens `yaml:"tokens"`
	// Registration controls dynamic client registration (RFC 7591).
	Registration Registration `yaml:"registration"`
	// Clients are pre-registered OAuth clients.
	Clients []Client `yaml:"clients"`
	// Scopes is the scope catalogue: every scope a server requires, with
	// the description the consent page shows. When it is not empty, servers
	// may only use scopes listed here.
	Scopes []Scope `yaml:"scopes"`
	// Audit configures the audit trail.
	Audit Audit `yaml:"audit"`
	// Metrics configures the Prometheus endpoint.
	Metrics Metrics `yaml:"metrics"`
	// Admin names the administrators of the admin API and console.
	Admin Admin `yaml:"admin"`
	// Console is the web console at /console (docs/console.md).
	Console Console `yaml:"console"`
	// TrustedProxies are the load balancers (CIDRs or addresses) whose
	// X-Forwarded-For header is believed when finding a client's address.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// RateLimits configures rate limits and quotas (docs/policy.md).
	RateLimits RateLimits `yaml:"rate_limits"`
	// Introspection lists the backends allowed to call the token
	// introspection endpoint (RFC 7662).
	Introspection Introspection `yaml:"introspection"`
	// Enterprise lets enterprise identity providers decide which agents
	// reach which servers: Drawbridge redeems the identity assertion
	// grants (ID-JAG, MCP's enterprise-managed authorization) they issue
	// (docs/enterprise.md). Default: none trusted, and the grant is off.
	Enterprise Enterprise `yaml:"enterprise"`
	// Backends are the MCP servers behind Drawbridge (the servers: list).
	Backends []Backend `yaml:"servers"`
	// SessionTTL is how long an MCP session stays bound to the user who
	// opened it; after it the client is told to start a new session.
	// Default 24h.
	SessionTTL Duration `yaml:"session_ttl"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is text or json. Default text.
	Format string `yaml:"format"`
	// OAuthDebug logs every step of every client's authorization flow
	// (discovery, registration, authorize, sign-in, consent, callback,
	// token) with its parameters, secret values replaced by their length:
	// for diagnosing a client that fails to connect. Off by default.
	OAuthDebug bool `yaml:"oauth_debug"`
}

// Storage picks the storage backend.
type Storage struct {
	// Type is "sqlite" (the default) or "postgres".
	Type string `yaml:"type"`
	// SQLite configures the embedded database.
	SQLite SQLite `yaml:"sqlite"`
	// Postgres configures a shared PostgreSQL database, for several
	// replicas.
	Postgres Postgres `yaml:"postgres"`
}

// Postgres configures the PostgreSQL store.
type Postgres struct {
	// DSN is a postgres:// URL or key=value connection string; keep the
	// password in the environment: ${DRAWBRIDGE_PG_DSN}.
	DSN string `yaml:"dsn"`
	// MaxConns bounds the connection pool. Default 16.
	MaxConns int `yaml:"max_conns"`
}

// SQLite configures the embedded SQLite database.
type SQLite struct {
	// Path of the database file. Default ./drawbridge-data/drawbridge.db.
	Path string `yaml:"path"`
}

// EncryptionKey is one key of the keyring that seals secrets at rest.
type EncryptionKey struct {
	// ID names the key in sealed data, so that old data finds its key.
	ID string `yaml:"id"`
	// Key is 32 bytes, standard base64.
	Key string `yaml:"key"`
}

// Identity selects and configures the identity provider.
type Identity struct {
	// Type is local, oidc, entra or none. Default local; with no identity
	// section at all, none: nobody signs in, and only clients configured
	// with the client_credentials grant get tokens (a machine-only
	// deployment). Then dynamic registration, metadata-document clients and
	// the console are off, /authorize answers 404 with a page saying that
	// this server signs nobody in, and the metadata advertises only the
	// client_credentials grant.
	Type string `yaml:"type"`
	// Local lists users who sign in with a password on Drawbridge's own page.
	Local Local `yaml:"local"`
	// OIDC configures any OpenID Connect provider.
	OIDC OIDC `yaml:"oidc"`
	// Entra configures Microsoft Entra ID (an OIDC provider with its own rules).
	Entra Entra `yaml:"entra"`
}

// Local configures local users.
type Local struct {
	Users []User `yaml:"users"`
}

// User is a local user.
type User struct {
	// Username is what the user types to sign in.
	Username string `yaml:"username"`
	// PasswordHash is a bcrypt or argon2id (PHC string) hash; make one with
	// `drawbridge hash-password`. Plain passwords are never accepted.
	PasswordHash string   `yaml:"password_hash"`
	Email        string   `yaml:"email"`
	Name         string   `yaml:"name"`
	Groups       []string `yaml:"groups"`
}

// OIDC configures an upstream OpenID Connect provider.
type OIDC struct {
	// Issuer is the provider's issuer URL; discovery starts from it.
	Issuer string `yaml:"issuer"`
	// ClientID and ClientSecret are Drawbridge's own registration at the
	// provider, with redirect URI <public_url>/callback.
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// ClientCertificate authenticates Drawbridge to the provider with a
	// certificate (private_key_jwt) instead of ClientSecret; not both.
	ClientCertificate *ClientCertificate `yaml:"client_certificate"`
	// Scopes requested upstream. Default openid email profile.
	Scopes []string `yaml:"scopes"`
	// Claims maps ID-token claims to the user's identity.
	Claims Claims `yaml:"claims"`
	// BackChannelLogout serves <public_url>/backchannel-logout, to be
	// registered at the provider as the back-channel logout URI (OIDC
	// Back-Channel Logout 1.0): when a user signs out there, the grants of
	// that sign-in end at once. Default true; false answers 404 there.
	BackChannelLogout *bool `yaml:"back_channel_logout"`
}

// Claims names the ID-token claims that make up an identity.
type Claims struct {
	// Subject claim. Default sub.
	Subject string `yaml:"subject"`
	// Email claim. Default email.
	Email string `yaml:"email"`
	// Name claim. Default name.
	Name string `yaml:"name"`
	// Groups claim (a string or a list of strings). Default groups.
	Groups string `yaml:"groups"`
	// Roles claim whose values are added to the groups. Default none.
	Roles string `yaml:"roles"`
}

// Entra configures Microsoft Entra ID.
type Entra struct {
	// TenantID is the directory (tenant) id, a GUID; the issuer is built
	// from it. Multi-tenant values (common, organizations) are refused: they
	// would admit users of any tenant.
	TenantID     string `yaml:"tenant_id"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// ClientCertificate is a certificate uploaded to the app registration
	// (Certificates & secrets, Certificates), used instead of ClientSecret:
	// exactly one of the two. Its key must be RSA.
	ClientCertificate *ClientCertificate `yaml:"client_certificate"`
	// Cloud is the login host. Default https://login.microsoftonline.com.
	Cloud string `yaml:"cloud"`
	// Scopes requested at sign-in. Default openid profile email
	// offline_access. For entra_obo backends add Drawbridge's own API scope
	// (api://<client_id>/access_as_user): on-behalf-of needs a user token
	// issued to Drawbridge's app.
	Scopes []string `yaml:"scopes"`
}

// ClientCertificate is a certificate and its private key in PEM files, with
// which Drawbridge signs the JWTs that authenticate it at the identity
// provider's token endpoint. Files rather than values, because PEM does not
// fit in YAML or environment variables comfortably; paths may use ${NAME}.
type ClientCertificate struct {
	// CertFile holds the certificate; certificates after the first (a
	// chain) are ignored.
	CertFile string `yaml:"cert_file"`
	// KeyFile holds its unencrypted private key (PKCS#1, PKCS#8 or SEC 1):
	// RSA of 2048 bits or more, or ECDSA P-256. It may be CertFile itself.
	KeyFile string `yaml:"key_file"`
}

// Tokens sets lifetimes. Durations are Go durations such as 10m or 720h.
type Tokens struct {
	// AccessTokenTTL is the access-token lifetime. Default 1h; at most 24h.
	AccessTokenTTL Duration `yaml:"access_token_ttl"`
	// RefreshTokenTTL is how long an unused refresh token stays valid.
	// Default 720h (30 days).
	RefreshTokenTTL Duration `yaml:"refresh_token_ttl"`
	// GrantTTL bounds a grant, refreshes included; then the user signs in
	// again. Default 2160h (90 days).
	GrantTTL Duration `yaml:"grant_ttl"`
	// RefreshReuseGrace lets a client that lost a refresh response retry with
	// the previous refresh token, once, for this long; a second use is reuse
	// and revokes the grant. 0 disables. Default 30s.
	RefreshReuseGrace *Duration `yaml:"refresh_reuse_grace"`
	// CodeTTL is the authorization-code lifetime. Default 60s; 10m at most.
	CodeTTL Duration `yaml:"code_ttl"`
	// LoginTTL is how long a user has to sign in and consent. Default 10m.
	LoginTTL Duration `yaml:"login_ttl"`
	// KeyRotation makes a new signing key this often; the previous one
	// stays published until the tokens it signed have expired. Default
	// 720h; 0s: only by hand (drawbridge keys rotate).
	KeyRotation *Duration `yaml:"key_rotation"`
	// DPoPNonce makes every DPoP proof at the token endpoint carry a
	// nonce the server chose (RFC 9449 §8): a client's first proof gets
	// use_dpop_nonce and the nonce in the DPoP-Nonce header, and retries
	// with it. Nonces change every 5 minutes and are derived from the
	// first keyring key, so replicas agree. It limits how far ahead a
	// proof can be made. Default false.
	DPoPNonce bool `yaml:"dpop_nonce"`
}

// Registration controls dynamic client registration.
type Registration struct {
	// Dynamic enables POST /register (RFC 7591). Default true.
	Dynamic *bool `yaml:"dynamic"`
	// ClientTTL removes dynamically registered clients this long after they
	// were last used. Default 720h.
	ClientTTL Duration `yaml:"client_ttl"`
	// AllowPrivateUseSchemes admits redirect URIs such as com.example.app:/cb
	// for native clients. Default false.
	AllowPrivateUseSchemes bool `yaml:"allow_private_use_schemes"`
	// MetadataDocuments accepts clients whose client_id is the https URL of
	// their client ID metadata document, fetched with SSRF defences.
	MetadataDocuments MetadataDocuments `yaml:"metadata_documents"`
	// PerAddressPerHour limits registrations from one client address.
	// Default 20; a negative value removes the limit.
	PerAddressPerHour int `yaml:"per_address_per_hour"`
}

// Admin configures administration.
type Admin struct {
	// Users (subjects, such as local:alice or an Entra object id) and
	// Groups (including roles) whose members are administrators. Both
	// empty: no admin API.
	Users  []string `yaml:"users"`
	Groups []string `yaml:"groups"`
	// AllowedNetworks, if set, are the only client addresses (CIDRs) that
	// may reach the admin API.
	AllowedNetworks []string `yaml:"allowed_networks"`
}

// Console configures the web console, where every user sees and revokes
// the agents they approved and administrators manage Drawbridge.
type Console struct {
	// Enabled serves /console; default true.
	Enabled *bool `yaml:"enabled"`
	// SessionTTL is how long a console sign-in lasts; default 8h.
	SessionTTL Duration `yaml:"session_ttl"`
}

// RateLimits configures limits on MCP requests and on the authorization
// server's endpoints.
type RateLimits struct {
	// Backend keeps the counters: memory (per replica, the default) or
	// redis (shared by every replica).
	Backend string `yaml:"backend"`
	// Redis configures the redis backend.
	Redis Redis `yaml:"redis"`
	// Rules limit MCP requests.
	Rules []RateRule `yaml:"rules"`
	// Auth limits the authorization server's endpoints per client address.
	Auth AuthLimits `yaml:"auth"`
	// Lockout slows down password guessing at the sign-in form.
	Lockout Lockout `yaml:"lockout"`
}

// Redis configures the Redis connection for rate limits.
type Redis struct {
	// URL is redis://[user:password@]host:port/db (rediss:// for TLS).
	URL string `yaml:"url"`
	// FailOpen admits requests when Redis cannot be reached; the default
	// refuses them (429 with a short Retry-After).
	FailOpen bool `yaml:"fail_open"`
	// Timeout bounds one decision. Default 100ms.
	Timeout Duration `yaml:"timeout"`
	// Prefix starts every key Drawbridge writes, so that several
	// deployments can share one Redis. Default "drawbridge:rl:".
	Prefix string `yaml:"prefix"`
}

// RateRule is one limit on MCP requests.
type RateRule struct {
	// Name identifies the limit in errors, logs, audit and metrics.
	Name string `yaml:"name"`
	// Per says what is counted separately: any of user, client, server,
	// tool, address (an IPv6 client by its /64). Empty: one counter for
	// everyone.
	Per []string `yaml:"per"`
	// Servers, Methods and Tools (names or globs) select the requests the
	// limit applies to; empty: all.
	Servers []string `yaml:"servers"`
	Methods []string `yaml:"methods"`
	Tools   []string `yaml:"tools"`
	// A token bucket: Rate requests per Every (default 1m), up to Burst
	// at once (default Rate).
	Rate  float64  `yaml:"rate"`
	Every Duration `yaml:"every"`
	Burst int64    `yaml:"burst"`
	// Or a quota: at most Quota requests per Window (minute, hour, day),
	// windows aligned to UTC.
	Quota  int64  `yaml:"quota"`
	Window string `yaml:"window"`
}

// AuthLimits are per-address limits on the authorization server. An IPv6
// client is counted by its /64 (clientaddr.LimitKey).
type AuthLimits struct {
	// Requests per minute from one address. Defaults: token 120,
	// authorize 60, login 20; negative: no limit.
	TokenPerMinute     int64 `yaml:"token_per_minute"`
	AuthorizePerMinute int64 `yaml:"authorize_per_minute"`
	LoginPerMinute     int64 `yaml:"login_per_minute"`
}

// Lockout slows password guessing at the sign-in form: repeated failures
// lock a username at one client address (never everywhere, so a stranger
// cannot lock a user out), and an address that fails for many usernames,
// for a time that doubles with each further failure. A browser that signed
// in as the user before is let in from a locked address (a remembered
// device) and counted on its own. An IPv6 client's address is its /64.
type Lockout struct {
	// After this many failures in a row for one username from one address
	// (or from one remembered device), that username is locked there.
	// Default 5; negative: no lockout at all.
	After int `yaml:"after"`
	// AddressAfter this many failures in a row from one address, whatever
	// the usernames, the address is locked for every username. Default 20;
	// negative: not counted.
	AddressAfter int `yaml:"address_after"`
	// Base is the first lock's length. Default 1m.
	Base Duration `yaml:"base"`
	// Max caps the lock; failures are forgotten this long after the last
	// one (or its lock's end). Default 1h.
	Max Duration `yaml:"max"`
	// DeviceTTL is how long a browser that signed in is remembered (an
	// encrypted __Host- cookie) and so exempt from its address's lockout for
	// that username. Default 720h; negative: browsers are not remembered.
	DeviceTTL Duration `yaml:"device_ttl"`
}

// Metrics configures Prometheus metrics.
type Metrics struct {
	// Listen serves /metrics on this separate address, such as
	// 127.0.0.1:9464, kept off the public listener. Empty: no metrics.
	Listen string `yaml:"listen"`
	// Pprof also serves Go's profiler at /debug/pprof/ on that listener.
	// Default false: profiles reveal memory contents to whoever can fetch
	// them, so turn it on only while investigating.
	Pprof bool `yaml:"pprof"`
}

// Audit configures the audit trail.
type Audit struct {
	// Store keeps the hash-chained trail in the database (drawbridge audit
	// verify checks it). Default true.
	Store *bool `yaml:"store"`
	// Stdout writes each event as a JSON line to standard output.
	Stdout bool `yaml:"stdout"`
	// File appends each event as a JSON line to this file.
	File string `yaml:"file"`
	// Arguments records tool-call arguments, with the values of RedactKeys
	// replaced. Default false: arguments often hold personal data.
	Arguments bool `yaml:"arguments"`
	// RedactKeys are argument names (matched as case-insensitive
	// substrings) whose values are never recorded. Default: password,
	// secret, token, api_key, apikey, authorization, credential, private_key.
	RedactKeys []string `yaml:"redact_keys"`
}

// BackendAuth configures how Drawbridge authenticates to a backend
// (docs/backends.md). The MCP client's token never reaches a backend,
// whatever the mode.
type BackendAuth struct {
	// Mode is none (default: only the server's headers), headers (static
	// secret headers), identity_assertion (a JWT signed by Drawbridge naming
	// the caller; recommended), client_credentials (a token of the backend's
	// own from an OAuth token endpoint), token_exchange (the user's upstream
	// token exchanged for one scoped to the backend, RFC 8693), entra_obo
	// (Microsoft Entra ID on-behalf-of) or upstream_token (the user's own
	// upstream access token; see the risks in docs/backends.md).
	Mode string `yaml:"mode"`
	// Audience is the assertion's aud (default: the upstream URL's origin);
	// for client_credentials and token_exchange, the audience parameter; for
	// upstream_token, the audience the user's upstream token was issued for
	// (required).
	Audience string `yaml:"audience"`
	// Header carries the assertion: Authorization (default, as a Bearer
	// token) or another header name (the bare JWT).
	Header string `yaml:"header"`
	// TTL is the assertion's lifetime. Default 60s.
	TTL Duration `yaml:"ttl"`
	// Headers (mode headers) are sent with every request; take the values
	// from the environment: ${NAME}. HeaderFiles name files whose content
	// (one line) is a header's value, such as mounted secrets. Both are
	// read at startup and never logged.
	Headers     map[string]string `yaml:"headers"`
	HeaderFiles map[string]string `yaml:"header_files"`
	// TokenURL is the token endpoint: required for client_credentials; for
	// token_exchange and entra_obo the identity provider's by default.
	TokenURL string `yaml:"token_url"`
	// ClientID with ClientSecret or ClientCertificate authenticate
	// Drawbridge at TokenURL. For token_exchange and entra_obo they default
	// to the identity provider's client (identity.oidc or identity.entra).
	ClientID          string             `yaml:"client_id"`
	ClientSecret      string             `yaml:"client_secret"`
	ClientCertificate *ClientCertificate `yaml:"client_certificate"`
	// Scopes are asked for (client_credentials, token_exchange); for
	// entra_obo, the backend API's scopes, such as api://snippets/.default
	// (required).
	Scopes []string `yaml:"scopes"`
	// Resource is sent as resource= (RFC 8707) when set; not for entra_obo.
	Resource string `yaml:"resource"`
}

// UsesUpstreamTokens reports whether the mode acts with the user's tokens
// from the identity provider, which Drawbridge then keeps in its vault.
func (a BackendAuth) UsesUpstreamTokens() bool {
	return a.Mode == "token_exchange" || a.Mode == "entra_obo" || a.Mode == "upstream_token"
}

// UsesUpstreamTokens reports whether the server, or one of its members
// when it is composed, acts with the user's tokens from the identity
// provider.
func (s *Backend) UsesUpstreamTokens() bool {
	if s.Auth.UsesUpstreamTokens() {
		return true
	}
	for _, m := range s.Compose {
		if m.Auth.UsesUpstreamTokens() {
			return true
		}
	}
	return false
}

// Policy is a server's access policy.
type Policy struct {
	// Default decides calls no rule applies to: allow (default) or deny.
	Default string `yaml:"default"`
	// Connect limits who may use the server at all.
	Connect Who `yaml:"connect"`
	// Rules are tried in order; the first that applies decides.
	Rules []Rule `yaml:"rules"`
}

// Who matches callers. Every non-empty list must match (any entry of it).
type Who struct {
	Subjects []string `yaml:"subjects"`
	Emails   []string `yaml:"emails"`
	// Groups include roles from the identity provider.
	Groups  []string `yaml:"groups"`
	Clients []string `yaml:"clients"`
	// Scopes must all be granted.
	Scopes []string `yaml:"scopes"`
}

// Rule is one policy rule.
type Rule struct {
	Name string `yaml:"name"`
	// Tools, Prompts and Resources (URIs) the rule is about: names or
	// globs (*, ?, [...]). None: every call.
	Tools     []string `yaml:"tools"`
	Prompts   []string `yaml:"prompts"`
	Resources []string `yaml:"resources"`
	// Who the rule is about.
	Who Who `yaml:"who"`
	// When is a CEL condition over identity.{sub,email,name,groups,
	// client_id,scopes} and request.{method,name,arguments}.
	When string `yaml:"when"`
	// Effect is allow or deny.
	Effect string `yaml:"effect"`
	// RequireScopes are needed for an allowed call; without them the
	// client gets a step-up challenge.
	RequireScopes []string `yaml:"require_scopes"`
}

// OpenAPI configures a server whose backend is a REST API described by an
// OpenAPI 3.0, 3.1 or 3.2 document: each operation becomes a tool.
type OpenAPI struct {
	// Spec is the document: a file path, or an http(s) URL, read at start
	// and again on reload (SIGHUP, Refresh).
	Spec string `yaml:"spec"`
	// BaseURL is where every call goes (the document's own servers list
	// is not used): an http or https URL, such as https://api.example/v3.
	BaseURL string `yaml:"base_url"`
	// Include, if set, keeps only the operations it names; Exclude drops
	// operations (and wins). Each entry is an operationId, tag:NAME or
	// path:GLOB (a path template glob, * matching one segment, such as
	// path:/pet/*). An entry that matches no operation is an error.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// Timeout bounds one call, response included. Default 30s.
	Timeout Duration `yaml:"timeout"`
	// MaxResponseBytes caps a response body; a larger success is a tool
	// error. Default 1048576 (1 MiB).
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// Refresh, if set, reads the document again about this often (up to
	// a tenth later, so that replicas and servers spread their fetches),
	// as SIGHUP does; a document that fails keeps the tools already
	// served. Default 0: only at start and on SIGHUP. At least 1m.
	Refresh Duration `yaml:"refresh"`
}

// Member is one backend of a composed server (docs/virtual-servers.md):
// a Streamable HTTP upstream, a stdio command or an OpenAPI-described API,
// with its own credential and the names its tools and prompts are shown
// under.
type Member struct {
	// Name identifies the member in logs, metrics, audit records
	// (backend) and errors: a-z, 0-9, _ and -, unique in the server.
	Name string `yaml:"name"`
	// Upstream is the member's MCP endpoint: Streamable HTTP, or the SSE
	// stream of the 2024-11-05 HTTP+SSE transport.
	Upstream string `yaml:"upstream"`
	// Transport is streamable-http (the default for an upstream) or sse
	// (one SSE connection per client session, bridged to Streamable HTTP:
	// docs/virtual-servers.md); stdio for a command.
	Transport string `yaml:"transport"`
	// Command, Env, Dir and Stdio run a stdio MCP server, as a server's
	// do.
	Command []string          `yaml:"command"`
	Env     map[string]string `yaml:"env"`
	Dir     string            `yaml:"dir"`
	Stdio   Stdio             `yaml:"stdio"`
	// OpenAPI serves a REST API as the member's tools, as a server's does.
	OpenAPI *OpenAPI `yaml:"openapi"`
	// Auth is the member's own credential (docs/backends.md).
	Auth BackendAuth `yaml:"auth"`
	// Headers are added to every request to the member. Never logged.
	Headers map[string]string `yaml:"headers"`
	// ForwardIdentity sends the caller's identity as X-Drawbridge-*
	// headers (upstream members).
	ForwardIdentity bool `yaml:"forward_identity"`
	// Timeout bounds the wait for the member's response headers (and a
	// list's whole answer). Default 60s.
	Timeout Duration `yaml:"timeout"`
	// BackendHTTP2 speaks only HTTP/2 to Upstream, as a server's does.
	BackendHTTP2 bool `yaml:"backend_http2"`
	// Prefix is put before each of the member's tool and prompt names,
	// such as "github_" (default none). Resource URIs are never changed.
	Prefix string `yaml:"prefix"`
	// Include, if set, keeps only the tools and prompts whose member name
	// matches one of its globs (*, ?, [...]); Exclude drops those matching
	// one of its globs, and wins.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// Overrides rename a tool or prompt, keyed by the member's own name,
	// and replace its title or description. An override's name is the
	// whole name clients see: the prefix is not added to it.
	Overrides map[string]Override `yaml:"overrides"`
}

// Override changes how one of a member's tools or prompts is shown.
// Empty fields keep the member's value.
type Override struct {
	Name        string `yaml:"name"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
}

// MemberServer is member m of server s seen as a server of its own: what
// the parts a plain server is built from (credentials, stdio bridges,
// OpenAPI handlers) take. It shares the composed server's path, body limit
// and keep-alive.
func (s *Backend) MemberServer(m *Member) Backend {
	return Backend{Name: m.Name, Path: s.Path, Title: m.Name, Upstream: m.Upstream, Transport: m.Transport,
		Command: m.Command, Env: m.Env, Dir: m.Dir, Stdio: m.Stdio, OpenAPI: m.OpenAPI, Auth: m.Auth,
		Headers: m.Headers, ForwardIdentity: m.ForwardIdentity, Timeout: m.Timeout, BackendHTTP2: m.BackendHTTP2,
		MaxRequestBytes: s.MaxRequestBytes, KeepAlive: s.KeepAlive}
}

// Stdio configures a stdio backend.
type Stdio struct {
	// Mode is per-session (a process per MCP session, the default: users
	// never share a process) or shared (one process for everyone).
	Mode string `yaml:"mode"`
	// MaxSessions bounds concurrent sessions. Default 100.
	MaxSessions int `yaml:"max_sessions"`
	// IdleTimeout ends a session unused this long. Default 30m.
	IdleTimeout Duration `yaml:"idle_timeout"`
}

// Scope is one entry of the scope catalogue.
type Scope struct {
	// Name is the scope token, such as snippets:write.
	Name string `yaml:"name"`
	// Description tells a person what approving the scope allows.
	Description string `yaml:"description"`
	// Sensitive scopes are never given to a machine client
	// (client_credentials) unless its scopes list them: no user approves
	// what such a client receives. admin is always sensitive.
	Sensitive bool `yaml:"sensitive"`
}

// Introspection configures POST /introspect.
type Introspection struct {
	// Clients are the credentials (HTTP Basic) that may introspect tokens.
	// Empty disables the endpoint.
	Clients []IntrospectionClient `yaml:"clients"`
}

// IntrospectionClient is a backend allowed to introspect tokens.
type IntrospectionClient struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`
}

// MetadataDocuments configures client ID metadata documents.
type MetadataDocuments struct {
	// Enabled turns them on. Default true.
	Enabled *bool `yaml:"enabled"`
	// AllowDomains, if set, are the only hosts documents may come from
	// ("app.example.com" or "*.example.com"); DenyDomains are refused.
	AllowDomains []string `yaml:"allow_domains"`
	DenyDomains  []string `yaml:"deny_domains"`
	// AllowPrivateNetworks lets documents come from loopback and private
	// addresses. For local development and tests only.
	AllowPrivateNetworks bool `yaml:"allow_private_networks"`
	// FailureTTL is how long a document that could not be fetched or was
	// invalid is remembered: requests for it get the same error without a
	// new fetch. Default 1m, at most 10m; negative: not remembered.
	FailureTTL Duration `yaml:"failure_ttl"`
	// HostFetches bounds the requests Drawbridge sends to one host
	// (documents and their jwks_uri key sets), and the new connections to
	// one address, in any HostWindow, so that clients presenting many URLs
	// on one host cannot aim Drawbridge's traffic at it; further requests are
	// refused at once ("could not be fetched now"). Default 30 per 1m;
	// negative: no limit.
	HostFetches int      `yaml:"host_fetches"`
	HostWindow  Duration `yaml:"host_window"`
	// HostConcurrency bounds the requests in flight to one host. Default 4;
	// negative: no limit.
	HostConcurrency int `yaml:"host_concurrency"`
}

// Client is a pre-registered OAuth client.
type Client struct {
	// ID is the client_id.
	ID string `yaml:"id"`
	// Secret makes the client confidential (client_secret_basic or
	// client_secret_post); leave empty for a public client using PKCE only.
	Secret string `yaml:"secret"`
	// Name is shown on the consent page.
	Name string `yaml:"name"`
	// RedirectURIs are matched exactly (any port for loopback IP literals).
	RedirectURIs []string `yaml:"redirect_uris"`
	// SkipConsent marks a first-party client that users need not approve.
	SkipConsent bool `yaml:"skip_consent"`
	// GrantTypes the client may use: authorization_code, refresh_token,
	// client_credentials, urn:ietf:params:oauth:grant-type:jwt-bearer
	// (redeem an enterprise IdP's ID-JAG) and
	// urn:ietf:params:oauth:grant-type:token-exchange (get an ID-JAG from
	// Drawbridge, see Enterprise.Issue). Default authorization_code and
	// refresh_token.
	GrantTypes []string `yaml:"grant_types"`
	// TokenEndpointAuthMethod is none, client_secret_basic,
	// client_secret_post or private_key_jwt (RFC 7523). Default
	// client_secret_basic when a secret is set, else none.
	TokenEndpointAuthMethod string `yaml:"token_endpoint_auth_method"`
	// JWKS is the client's public key set (JSON) for private_key_jwt.
	JWKS string `yaml:"jwks"`
	// JWKSURI is where the client publishes its key set, instead of JWKS.
	JWKSURI string `yaml:"jwks_uri"`
	// Scopes are what a client_credentials client may receive from the
	// servers' scopes. Omitted: each server's scopes that are not sensitive
	// (see Scope.Sensitive; admin always is); [] none.
	Scopes []string `yaml:"scopes"`
}

// Backend is one MCP server behind Drawbridge, an entry under servers:.
// Clients see it as an MCP server at public_url + Path (its own resource,
// token audience and consent); Drawbridge reaches it at Upstream or runs it
// as Command.
type Backend struct {
	// Name identifies the server in logs and metrics.
	Name string `yaml:"name"`
	// Path is where clients reach it on the public URL, such as /mcp.
	// The server's resource URL is public_url + path.
	Path string `yaml:"path"`
	// Upstream is the backend's MCP URL: its Streamable HTTP endpoint, or
	// for transport sse its SSE endpoint.
	Upstream string `yaml:"upstream"`
	// Command runs a stdio MCP server instead of proxying to Upstream:
	// argv, no shell. Drawbridge bridges it to Streamable HTTP.
	Command []string `yaml:"command"`
	// Env is added to the command's environment, which otherwise holds only
	// PATH, HOME and LANG (never Drawbridge's own secrets).
	Env map[string]string `yaml:"env"`
	// Dir is the command's working directory.
	Dir string `yaml:"dir"`
	// Stdio tunes how the command is run.
	Stdio Stdio `yaml:"stdio"`
	// OpenAPI serves a REST API described by an OpenAPI document as this
	// server's tools, instead of proxying to Upstream or running Command
	// (docs/openapi.md).
	OpenAPI *OpenAPI `yaml:"openapi"`
	// Compose makes this a composed ("virtual") server: one MCP server
	// over the members' tools, prompts and resources, instead of proxying
	// to Upstream, running Command or serving OpenAPI
	// (docs/virtual-servers.md). Each member has its own credential;
	// the server's policy, scopes, limits and pinning apply to the names
	// clients see.
	Compose []Member `yaml:"compose"`
	// Policy decides who may use the server and which tools, prompts and
	// resources (docs/policy.md).
	Policy Policy `yaml:"policy"`
	// Auth is the backend's own credential besides Headers
	// (docs/backends.md).
	Auth BackendAuth `yaml:"auth"`
	// Transport is how the backend speaks MCP: streamable-http (default,
	// protocol 2025-03-26 and later) or sse (the HTTP+SSE transport of
	// 2024-11-05; clients then open a GET stream at path and post to
	// path/message).
	Transport string `yaml:"transport"`
	// Title is a human-readable name (PRM resource_name, consent page).
	Title string `yaml:"title"`
	// Scopes a token needs to use this server; advertised in the 401
	// challenge and the protected resource metadata.
	Scopes []string `yaml:"scopes"`
	// RequireDPoP accepts only DPoP-bound access tokens, each request
	// with a proof of the token's key (RFC 9449); the server's protected
	// resource metadata then says dpop_bound_access_tokens_required.
	// Default false: bearer and DPoP-bound tokens are both accepted, and a
	// bound token always needs its proof.
	RequireDPoP bool `yaml:"require_dpop"`
	// Headers are added to every request to the backend: its own
	// credential, such as x-functions-key: ${SNIPPETS_KEY}. Never logged.
	Headers map[string]string `yaml:"headers"`
	// ForwardIdentity sends the caller's identity as X-Drawbridge-* headers.
	// Trust them only together with a backend credential (see docs).
	ForwardIdentity bool `yaml:"forward_identity"`
	// Timeout bounds the wait for the backend's response headers. Default 60s.
	Timeout Duration `yaml:"timeout"`
	// BackendHTTP2 speaks only HTTP/2 to Upstream: h2c with prior
	// knowledge to an http:// URL, h2 by ALPN to an https:// one, many
	// streams on one connection. For a backend that speaks it and holds
	// many long-lived streams. Default false: HTTP/1.1 to an http://
	// upstream, a connection per request in flight; an https:// one
	// picks h2 or HTTP/1.1 by ALPN.
	BackendHTTP2 bool `yaml:"backend_http2"`
	// MaxRequestBytes bounds a request body; larger ones get 413.
	// Default 4194304 (4 MiB).
	MaxRequestBytes int64 `yaml:"max_request_bytes"`
	// KeepAlive sends an SSE comment on a stream idle this long, so that
	// proxies do not cut it. Default 25s; 0s keeps the default, -1s disables.
	KeepAlive Duration `yaml:"keepalive"`
	// AllowedOrigins are browser origins, besides public_url's, that may
	// call this server ("*" for any).
	AllowedOrigins []string `yaml:"allowed_origins"`
	// AllowedNetworks, if set, are the only client addresses (CIDRs) that
	// may use this server; DeniedNetworks may not (deny wins).
	AllowedNetworks []string `yaml:"allowed_networks"`
	DeniedNetworks  []string `yaml:"denied_networks"`
	// Pinning guards against the server changing a tool after it was
	// approved (docs/pinning.md): off, warn (record and audit changes),
	// hide (default: a changed tool is hidden and its calls refused until
	// an administrator approves the change) or block (new tools wait for
	// approval too).
	Pinning string `yaml:"pinning"`
	// PinningApproval is what a tool definition seen for the first time is
	// trusted by: tofu (default: trusted on first use) or admin (nothing
	// is shown until an administrator approves it).
	PinningApproval string `yaml:"pinning_approval"`
}

// Enterprise configures enterprise-managed authorization (SEP-990).
type Enterprise struct {
	// IdPs are the identity providers whose ID-JAGs are redeemed at
	// /token with the jwt-bearer grant (RFC 7523).
	IdPs []EnterpriseIdP `yaml:"idps"`
	// Issue makes Drawbridge an enterprise IdP too: a client that a user
	// signed in to Drawbridge for exchanges its refresh token (RFC 8693
	// token exchange at /token) for an ID-JAG naming one of these other
	// authorization servers. Default: none, and the exchange is off.
	Issue []IssueAudience `yaml:"issue"`
}

// IssueAudience is another authorization server that Drawbridge issues
// identity assertion grants (ID-JAG) for, and what they may grant there.
type IssueAudience struct {
	// Audience is that authorization server's issuer identifier: the aud
	// of the grants, and the audience parameter clients send. Never
	// Drawbridge's own issuer (an IdP does not redeem its own grants).
	Audience string `yaml:"audience"`
	// Resources are the resource identifiers (RFC 8707) at that server the
	// grants may name. A request without resource gets the only one, when
	// there is only one. At least one is required.
	Resources []string `yaml:"resources"`
	// Scopes are the most a grant may carry there: a request's scopes are
	// intersected with them, and a request without scope gets them all.
	// Omitted: grants carry no scope.
	Scopes []string `yaml:"scopes"`
	// Clients map the id of each client allowed to ask (a configured
	// client that authenticates and lists the token-exchange grant in
	// grant_types) to its client id at that server, which the grant names
	// in client_id. At least one is required.
	Clients map[string]string `yaml:"clients"`
	// Lifetime of a grant (exp - iat), at most 10m. Default 5m.
	Lifetime Duration `yaml:"lifetime"`
}

// EnterpriseIdP is one trusted enterprise identity provider.
type EnterpriseIdP struct {
	// Issuer is the IdP's issuer identifier, exactly as its ID-JAGs carry
	// it in iss (for Entra ID https://login.microsoftonline.com/<tenant>/v2.0).
	Issuer string `yaml:"issuer"`
	// JWKSURI is where the IdP publishes its signing keys. Default: the
	// jwks_uri of its OpenID discovery document (<issuer>/.well-known/
	// openid-configuration).
	JWKSURI string `yaml:"jwks_uri"`
	// Clients are the ids of configured clients that may redeem this IdP's
	// grants; each must authenticate (a secret or private_key_jwt) and
	// list urn:ietf:params:oauth:grant-type:jwt-bearer in grant_types.
	Clients []string `yaml:"clients"`
	// Servers are the names of the servers this IdP may grant access to.
	Servers []string `yaml:"servers"`
	// Scopes this IdP may grant on those servers. Omitted: each server's
	// scopes that are not sensitive (as for client_credentials); [] none.
	Scopes []string `yaml:"scopes"`
	// Claims map the ID-JAG's claims to the user, as identity.oidc.claims
	// does for sign-ins: use the same subject claim as your sign-in
	// provider (oid for Entra ID) so that grants, policy and consent name
	// the same user either way. Default sub, email, name, groups.
	Claims Claims `yaml:"claims"`
}
