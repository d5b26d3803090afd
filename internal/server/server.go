package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/console"
	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/stdio"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/postgres"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// Options are the parts of a Server that do not come from the file.
type Options struct {
	Log *slog.Logger
	// Now is the clock; tests inject one. Default time.Now.
	Now func() time.Time
	// BackendTransport overrides the transport to MCP backends (tests).
	BackendTransport http.RoundTripper
	// IdentityHTTPClient is used to talk to the upstream identity provider
	// (tests point it at an in-process provider).
	IdentityHTTPClient *http.Client
	// MetadataRootCAs verifies the servers of client ID metadata documents
	// (tests); nil means the system roots.
	MetadataRootCAs *x509.CertPool
	// TracerProvider records spans; nil means the global one when the
	// OTEL_* environment asks for traces (the binary sets it up), else
	// none.
	TracerProvider trace.TracerProvider
}

// Server is a running Drawbridge.
type Server struct {
	cfg      *config.Config
	opt      Options
	store    storage.Store
	keys     *tokens.Keys
	revoked  *tokens.RevocationList
	revoker  *revoke.Revoker
	verifier *tokens.Verifier
	handler  http.Handler
	bridges  []*stdio.Bridge
	audit    *audit.Recorder
	auditOut io.Closer
	console  *console.Console
	lastUse  *usageTracker
	metrics  *telemetry.Metrics
	limiter  ratelimit.Limiter
	addrs    *clientaddr.Resolver
	// certs serves HTTPS when tls is configured; nil for plain HTTP.
	certs *certReloader
	// closers run at Close (the Redis client).
	closers []func() error
	// idpReady checks the upstream identity provider; nil for local users.
	idpReady func(context.Context) error
	// ring seals secrets at rest; idp is the upstream identity provider
	// (nil for local users); vault keeps its tokens for backends that act
	// for the user (nil when none does). See vault.go.
	ring  *tokens.Keyring
	idp   *oidc.Provider
	vault *vault.Vault
	// stop ends the background loops.
	stop context.CancelFunc
	done chan struct{}
}

// New builds a Server from a validated configuration.
func New(ctx context.Context, cfg *config.Config, opt Options) (_ *Server, err error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.TracerProvider == nil {
		opt.TracerProvider = telemetry.Off
		if telemetry.TracingRequested() {
			opt.TracerProvider = otel.GetTracerProvider()
		}
	}
	if opt.IdentityHTTPClient == nil {
		opt.IdentityHTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	opt.IdentityHTTPClient = traced(opt.IdentityHTTPClient, opt.TracerProvider)
	s := &Server{cfg: cfg, opt: opt, done: make(chan struct{})}
	if cfg.Metrics.Listen != "" {
		s.metrics = telemetry.NewMetrics(func() int64 { return s.audit.Dropped() })
	}
	if s.store, err = OpenStore(ctx, cfg); err != nil {
		return nil, err
	}
	s.store = telemetry.InstrumentStore(s.store, s.metrics)
	defer func() {
		if err != nil {
			s.audit.Close()
			_ = s.store.Close()
		}
	}()
	ring, err := tokens.NewKeyring(ringKeys(cfg))
	if err != nil {
		return nil, err
	}
	if s.keys, err = tokens.LoadKeys(ctx, s.store, ring, opt.Now); err != nil {
		return nil, err
	}
	s.revoked = tokens.NewRevocationList(s.store, opt.Now, cfg.Tokens.AccessTokenTTL.D()+time.Minute)
	if err := s.revoked.Sync(ctx); err != nil {
		return nil, fmt.Errorf("loading revoked grants: %w", err)
	}
	s.verifier = &tokens.Verifier{Keys: s.keys, Issuer: cfg.Issuer(), Revoked: s.revoked, Now: opt.Now}
	if s.audit, s.auditOut, err = s.newRecorder(); err != nil {
		return nil, err
	}
	s.revoker = revoke.New(revoke.Options{Store: s.store, List: s.revoked, Audit: s.events(), Now: opt.Now})
	if s.limiter, err = s.newLimiter(); err != nil {
		return nil, err
	}
	if s.addrs, err = clientaddr.New(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	if cfg.TLS.Enabled() {
		if s.certs, err = newCertReloader(cfg.TLS.CertFile, cfg.TLS.KeyFile, opt.Log, opt.Now); err != nil {
			return nil, err
		}
	}
	if s.handler, err = s.routes(ctx, ring); err != nil {
		return nil, err
	}
	bg, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.background(bg)
	return s, nil
}

// OpenStore opens the configured store (the CLI's admin commands use it
// directly).
func OpenStore(ctx context.Context, cfg *config.Config) (storage.Store, error) {
	switch cfg.Storage.Type {
	case "sqlite":
		return sqlite.Open(ctx, cfg.Storage.SQLite.Path)
	case "postgres":
		return postgres.Open(ctx, cfg.Storage.Postgres.DSN, postgres.Options{MaxConns: int32(cfg.Storage.Postgres.MaxConns)})
	}
	return nil, fmt.Errorf("unknown storage type %q", cfg.Storage.Type)
}

func ringKeys(cfg *config.Config) []tokens.RingKey {
	var keys []tokens.RingKey
	for _, k := range cfg.EncryptionKeys {
		keys = append(keys, tokens.RingKey{ID: k.ID, Key: k.Key})
	}
	return keys
}

// routes builds the authorization server and the gateway on one mux.
func (s *Server) routes(ctx context.Context, ring *tokens.Keyring) (http.Handler, error) {
	s.ring = ring
	as, err := s.newAuthServer(ctx)
	if err != nil {
		return nil, err
	}
	gw, err := s.newGateway()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	as.Routes(mux)
	gw.Routes(mux)
	adm := s.newAdmin()
	if s.adminEnabled() {
		adm.Routes(mux)
	}
	if s.consoleEnabled() {
		if s.console, err = s.newConsole(as, adm); err != nil {
			return nil, err
		}
		s.console.Routes(mux)
	}
	mux.HandleFunc("/healthz", s.healthz)
	mux.HandleFunc("/readyz", s.readyz)
	// The connection doctor's test stream: tiny, unauthenticated, bounded.
	mux.Handle(doctor.StreamPath, doctor.NewStreamHandler(s.opt.Now))
	mux.HandleFunc("/{$}", s.home)
	return chain(mux, s.opt.Log, s.opt.TracerProvider, s.spanName, s.addrs), nil
}

func (s *Server) newAuthServer(ctx context.Context) (*authserver.Server, error) {
	cfg := s.cfg
	opt := authserver.Options{
		Issuer: cfg.Issuer(), Store: s.store, Keys: s.keys, Revoker: s.revoker, Tokens: s.verifier, Audit: s.events(),
		LockoutAfter: cfg.RateLimits.Lockout.After, LockoutAddressAfter: cfg.RateLimits.Lockout.AddressAfter,
		LockoutBase: cfg.RateLimits.Lockout.Base.D(), LockoutMax: cfg.RateLimits.Lockout.Max.D(),
		Keyring: s.ring, DeviceTTL: cfg.RateLimits.Lockout.DeviceTTL.D(),
		AccessTokenTTL: cfg.Tokens.AccessTokenTTL.D(), RefreshTokenTTL: cfg.Tokens.RefreshTokenTTL.D(),
		GrantTTL: cfg.Tokens.GrantTTL.D(), RefreshReuseGrace: cfg.Tokens.RefreshReuseGrace.D(),
		CodeTTL: cfg.Tokens.CodeTTL.D(), LoginTTL: cfg.Tokens.LoginTTL.D(),
		DynamicRegistration: *cfg.Registration.Dynamic, ClientTTL: cfg.Registration.ClientTTL.D(),
		RedirectPolicy: oauth.RedirectPolicy{AllowPrivateUseSchemes: cfg.Registration.AllowPrivateUseSchemes},
		SecureCookies:  strings.HasPrefix(cfg.PublicURL, "https://"), Debug: cfg.Log.OAuthDebug,
		Now: s.opt.Now, Log: s.opt.Log,
	}
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		opt.Resources = append(opt.Resources, authserver.Resource{URL: cfg.ResourceURL(sv), Title: sv.Title,
			Scopes: sv.Scopes, Optional: stepUpScopes(sv)})
	}
	for _, c := range cfg.Clients {
		opt.Clients = append(opt.Clients, authserver.ConfigClient{ID: c.ID, Secret: c.Secret, Name: c.Name,
			RedirectURIs: c.RedirectURIs, SkipConsent: c.SkipConsent, GrantTypes: c.GrantTypes,
			AuthMethod: c.TokenEndpointAuthMethod, JWKS: c.JWKS, JWKSURI: c.JWKSURI, Scopes: c.Scopes})
	}
	opt.ScopeDescriptions = map[string]string{}
	for _, sc := range cfg.Scopes {
		opt.ScopeDescriptions[sc.Name] = sc.Description
		if sc.Sensitive {
			opt.SensitiveScopes = append(opt.SensitiveScopes, sc.Name)
		}
	}
	for _, in := range cfg.Introspection.Clients {
		opt.Introspectors = append(opt.Introspectors, authserver.Introspector{ID: in.ID, Secret: in.Secret})
	}
	opt.Limiter, opt.Limits, opt.Metrics = s.limiter, authLimits(cfg), s.metrics
	s.addConsoleClient(&opt)
	if err := s.identityProvider(ctx, &opt); err != nil {
		return nil, err
	}
	if s.vault = s.newVault(); s.vault != nil {
		opt.Vault = s.vault
	}
	if s.adminEnabled() {
		opt.Resources = append(opt.Resources, authserver.Resource{URL: cfg.Issuer() + admin.Path,
			Title: "Drawbridge administration", Scopes: []string{admin.Scope}, ExplicitOnly: true})
	}
	if md := cfg.Registration.MetadataDocuments; *md.Enabled {
		f, err := cimd.New(cimd.Options{
			AllowPrivateNetworks: md.AllowPrivateNetworks, AllowDomains: md.AllowDomains, DenyDomains: md.DenyDomains,
			FailureTTL: md.FailureTTL.D(), HostFetches: md.HostFetches, HostWindow: md.HostWindow.D(), HostConcurrency: md.HostConcurrency,
			RedirectPolicy: opt.RedirectPolicy, RootCAs: s.opt.MetadataRootCAs, Now: s.opt.Now, Log: s.opt.Log,
		})
		if err != nil {
			return nil, err
		}
		opt.Metadata = f
	}
	return authserver.New(opt)
}

// newBridge starts nothing yet: processes start with the first session.
func (s *Server) newBridge(sv *config.Backend) (*stdio.Bridge, error) {
	b, err := stdio.New(stdio.Options{
		Name: sv.Name, Command: sv.Command, Env: sv.Env, Dir: sv.Dir, Mode: stdio.Mode(sv.Stdio.Mode),
		MaxSessions: sv.Stdio.MaxSessions, IdleTimeout: sv.Stdio.IdleTimeout.D(), MaxBodyBytes: sv.MaxRequestBytes,
		KeepAlive: sv.KeepAlive.D(), Logger: s.opt.Log.With("server", sv.Name),
		// Bind each session to the subject of the token that opened it (RS6).
		SessionOwner: func(r *http.Request) string {
			if c := gateway.Claims(r.Context()); c != nil {
				return c.Subject
			}
			return ""
		},
	})
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", sv.Name, err)
	}
	s.bridges = append(s.bridges, b)
	return b, nil
}

func (s *Server) newGateway() (*gateway.Gateway, error) {
	cfg := s.cfg
	policies, err := CompilePolicies(cfg)
	if err != nil {
		return nil, err
	}
	opt := gateway.Options{Issuer: cfg.Issuer(), Verifier: s.gatewayVerifier(), Log: s.opt.Log, Transport: s.opt.BackendTransport,
		Store: s.store, Now: s.opt.Now, SessionTTL: cfg.SessionTTL.D(),
		Audit: s.events(), AuditArguments: cfg.Audit.Arguments, RedactKeys: cfg.Audit.RedactKeys, Metrics: s.metrics,
		Debug: cfg.Log.OAuthDebug, TracerProvider: s.opt.TracerProvider, Limiter: s.limiter}
	pins := s.newPinning()
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		var up *url.URL
		var handler http.Handler
		var err error
		if len(sv.Command) > 0 {
			b, err := s.newBridge(sv)
			if err != nil {
				return nil, err
			}
			handler = b
		} else if up, err = url.Parse(sv.Upstream); err != nil {
			return nil, fmt.Errorf("server %s: %w", sv.Name, err)
		}
		cred, err := s.backendCredential(sv)
		if err != nil {
			return nil, err
		}
		opt.Backends = append(opt.Backends, gateway.Backend{Credential: cred,
			Name: sv.Name, Path: sv.Path, Resource: cfg.ResourceURL(sv), MetadataURL: cfg.ResourceMetadataURL(sv),
			Title: sv.Title, Upstream: up, Handler: handler, Scopes: sv.Scopes, Headers: sv.Headers, Policy: policies[sv.Name],
			RateRules: rateRules(cfg, sv), AllowedNetworks: prefixes(sv.AllowedNetworks), DeniedNetworks: prefixes(sv.DeniedNetworks),
			ForwardIdentity: sv.ForwardIdentity, Timeout: sv.Timeout.D(),
			Transport: sv.Transport, MaxBodyBytes: sv.MaxRequestBytes, KeepAlive: sv.KeepAlive.D(), AllowedOrigins: sv.AllowedOrigins,
			Pins: pins.For(sv.Name, pinningSettings(sv)),
		})
	}
	return gateway.New(opt)
}

// newPinning builds tool definition pinning over the store every replica
// shares (package pinning).
func (s *Server) newPinning() *pinning.Guard {
	return pinning.New(pinning.Options{Store: s.store, Audit: s.events(), Now: s.opt.Now, Log: s.opt.Log})
}

func pinningSettings(sv *config.Backend) pinning.Settings {
	return pinning.Settings{Mode: pinning.Mode(sv.Pinning), Approval: pinning.Approval(sv.PinningApproval)}
}

// events is where audit events go: the recorder and the metrics.
func (s *Server) events() audit.Emitter {
	switch {
	case s.metrics == nil:
		return s.audit
	case s.audit == nil:
		return s.metrics
	}
	return audit.Tee{s.audit, s.metrics}
}

// Handler is the whole HTTP handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// Store exposes the store (CLI commands and tests).
func (s *Server) Store() storage.Store { return s.store }

// Serve serves on ln until ctx ends, then shuts down gracefully: no new
// connections, in-flight requests get up to 10 seconds, streams are cut.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: SSE streams stay open for as long as they are used.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.opt.Log.Handler(), slog.LevelWarn),
	}
	if s.cfg.H2C {
		hs.Protocols = new(http.Protocols)
		hs.Protocols.SetHTTP1(true)
		hs.Protocols.SetUnencryptedHTTP2(true)
	}
	errc := make(chan error, 2)
	go func() { errc <- s.serve(hs, ln) }()
	if s.metrics != nil {
		ms, err := s.serveMetrics(errc)
		if err != nil {
			_ = hs.Close()
			return err
		}
		defer ms.Close()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = hs.Close()
	}
	return err
}

// Close stops background work, writes the queued audit events and closes
// the store.
func (s *Server) Close() error {
	s.stop()
	<-s.done
	for _, b := range s.bridges {
		_ = b.Close()
	}
	s.flushLastUse()
	s.audit.Close()
	_ = s.auditOut.Close()
	for _, c := range s.closers {
		_ = c()
	}
	return s.store.Close()
}

// background keeps the revocation list fresh and collects expired rows.
func (s *Server) background(ctx context.Context) {
	defer close(s.done)
	go s.revoked.Run(ctx, 5*time.Second, s.opt.Log)
	go s.runLastUse(ctx)
	go s.syncKeys(ctx)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.collectGarbage(ctx)
			s.rotateKeys(ctx)
		}
	}
}

func (s *Server) collectGarbage(ctx context.Context) {
	s.collectConsole(ctx)
	res, err := s.store.DeleteExpired(ctx, s.opt.Now(), s.cfg.Tokens.AccessTokenTTL.D()+time.Hour)
	if err != nil {
		s.opt.Log.Warn("garbage collection failed", "err", err)
		return
	}
	s.opt.Log.Debug("garbage collected", "result", fmt.Sprintf("%+v", res))
}

// serveMetrics serves /metrics on its own listener, off the public one.
func (s *Server) serveMetrics(errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", s.cfg.Metrics.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.metrics.Handler())
	mux.HandleFunc("/healthz", s.healthz)
	mux.HandleFunc("/readyz", s.readyz)
	if s.cfg.Metrics.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := ms.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	s.opt.Log.Info("metrics listening", "addr", ln.Addr().String())
	return ms, nil
}

// MetricsRegistry exposes the metrics (tests); nil when metrics are off.
func (s *Server) Metrics() *telemetry.Metrics { return s.metrics }

// traced returns a copy of c whose requests carry trace context and make
// client spans.
func traced(c *http.Client, tp trace.TracerProvider) *http.Client {
	if !telemetry.Traced(tp) {
		return c
	}
	cp := *c
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = otelhttp.NewTransport(base, otelhttp.WithTracerProvider(tp))
	return &cp
}

// spanName names inbound spans by route, never by raw path: paths are
// chosen by clients, span names must stay few.
func (s *Server) spanName(_ string, r *http.Request) string {
	p := r.URL.Path
	for i := range s.cfg.Backends {
		sv := &s.cfg.Backends[i]
		if p == sv.Path || strings.HasPrefix(p, sv.Path+"/") {
			return r.Method + " " + sv.Path
		}
	}
	if config.IsReservedPath(p) {
		return r.Method + " " + p
	}
	return r.Method + " other"
}

// rotateKeys makes a new signing key when the current one is older than
// tokens.key_rotation, and removes keys whose tokens have all expired.
func (s *Server) rotateKeys(ctx context.Context) {
	if p := s.cfg.Tokens.KeyRotation.D(); p > 0 {
		if rotated, err := s.keys.RotateIfOlder(ctx, p); err != nil {
			s.opt.Log.Warn("signing key rotation failed", "err", err)
		} else if rotated {
			s.opt.Log.Info("signing key rotated", "kid", s.keys.Current())
		}
	}
	if _, err := s.keys.Prune(ctx, s.cfg.Tokens.AccessTokenTTL.D()+time.Hour); err != nil {
		s.opt.Log.Warn("pruning old signing keys failed", "err", err)
	}
}

func (s *Server) adminEnabled() bool {
	return len(s.cfg.Admin.Users)+len(s.cfg.Admin.Groups) > 0
}

// newAdmin builds the admin API over the same store, keys and revoker as
// the rest of the server.
func (s *Server) newAdmin() *admin.API {
	keys, _ := SealKeys(s.cfg)
	var servers []admin.Backend
	for i := range s.cfg.Backends {
		sv := &s.cfg.Backends[i]
		servers = append(servers, admin.Backend{Name: sv.Name, Path: sv.Path, Resource: s.cfg.ResourceURL(sv),
			Upstream: sv.Upstream, Health: backendProbe(sv)})
	}
	return admin.New(admin.Options{Issuer: s.cfg.Issuer(), Store: s.store, Keys: s.keys, Revoker: s.revoker,
		Verifier: s.verifier, Users: s.cfg.Admin.Users, Groups: s.cfg.Admin.Groups, SealKeys: keys,
		AllowedNetworks: prefixes(s.cfg.Admin.AllowedNetworks),
		Backends:        servers, Record: s.events(), Log: s.opt.Log, Now: s.opt.Now})
}

// backendProbe checks that a URL backend answers HTTP at all (any status:
// an MCP endpoint answers a bare GET with an error, which still proves it
// is up). Stdio servers have no probe.
func backendProbe(sv *config.Backend) func(context.Context) error {
	if sv.Upstream == "" {
		return nil
	}
	u := sv.Upstream
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
}
