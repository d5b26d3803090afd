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
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/console"
	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/lastuse"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
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
	verifier *tokens.Verifier
	handler  http.Handler
	bridges  []*stdio.Bridge
	audit    *audit.Recorder
	auditOut io.Closer
	console  *console.Console
	lastUse  *lastuse.Tracker
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
			s.closeParts()
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
	gw, err := s.newGateway(ctx)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	as.Routes(mux)
	gw.Routes(mux)
	adm := admin.New(adminOptions(s.cfg, s.opt, adminParts{Store: s.store, Keys: s.keys, Revoked: s.revoked, Verifier: s.verifier, Audit: s.events()}))
	if adminEnabled(s.cfg) {
		adm.Routes(mux)
	}
	if s.console, err = newConsole(s.cfg, s.opt, consoleParts{Store: s.store, Admin: adm, Redeemer: as, Verifier: s.verifier, Revoked: s.revoked}); err != nil {
		return nil, err
	}
	if s.console != nil {
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
	in, err := newSignIn(ctx, s.cfg, s.opt)
	if err != nil {
		return nil, err
	}
	s.idp, s.idpReady = in.upstream, in.ready()
	s.vault = newVault(s.cfg, s.opt, vaultParts{Store: s.store, Keyring: s.ring, Upstream: s.idp, Ended: upstreamEnded(s.revoked, s.events(), s.opt)})
	md, err := newMetadataFetcher(s.cfg, s.opt)
	if err != nil {
		return nil, err
	}
	return authserver.New(authServerOptions(s.cfg, s.opt, authParts{Store: s.store, Keys: s.keys, Keyring: s.ring,
		Revoked: s.revoked, Verifier: s.verifier, Audit: s.events(), Limit: s.authLimit(s.limiter), SignIn: in,
		Vault: s.vault, Metadata: md}))
}

func (s *Server) newGateway(ctx context.Context) (*gateway.Gateway, error) {
	policies, err := CompilePolicies(s.cfg)
	if err != nil {
		return nil, err
	}
	creds, err := backendCredentials(ctx, s.cfg, s.opt, credParts{Keys: s.keys, Vault: s.vault, Upstream: s.idp})
	if err != nil {
		return nil, err
	}
	handlers, bridges, err := newBridges(s.cfg, s.opt)
	if err != nil {
		return nil, err
	}
	s.bridges = bridges
	s.lastUse = newUsageTracker(s.store, s.opt.Now)
	opt, err := gatewayOptions(s.cfg, s.opt, gatewayParts{Verifier: gatewayVerifier(s.verifier, s.lastUse), Store: s.store,
		Audit: s.events(), Metrics: s.metrics, Limiter: s.limiter, Policies: policies, Credentials: creds, Handlers: handlers})
	if err != nil {
		return nil, err
	}
	return gateway.New(opt)
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
	flushLastUse(s.lastUse, s.opt.Log)
	return s.closeParts()
}

// closeParts closes what New opened, also when a later stage of New
// failed: the bridges' processes, the audit trail and its file, the Redis
// client, then the store.
func (s *Server) closeParts() error {
	for _, b := range s.bridges {
		_ = b.Close()
	}
	s.audit.Close()
	if s.auditOut != nil {
		_ = s.auditOut.Close()
	}
	for _, c := range s.closers {
		_ = c()
	}
	return s.store.Close()
}

// background keeps the revocation list fresh and collects expired rows.
func (s *Server) background(ctx context.Context) {
	defer close(s.done)
	go s.revoked.Run(ctx, 5*time.Second, s.opt.Log)
	if s.lastUse != nil {
		go s.lastUse.Run(ctx, s.opt.Log)
	}
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
	collectConsole(ctx, s.console, s.opt.Log)
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
