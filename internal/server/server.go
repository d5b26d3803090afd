package server

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
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

// withDefaults fills what the caller left out.
func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TracerProvider == nil {
		o.TracerProvider = telemetry.Off
		if telemetry.TracingRequested() {
			o.TracerProvider = otel.GetTracerProvider()
		}
	}
	if o.IdentityHTTPClient == nil {
		o.IdentityHTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	o.IdentityHTTPClient = traced(o.IdentityHTTPClient, o.TracerProvider)
	return o
}

// Server is a running Drawbridge: its handler and how it is served, the
// background loops, and what Close closes. assemble.go builds it.
type Server struct {
	handler http.Handler
	serving serving
	store   storage.Store
	metrics *telemetry.Metrics // nil when metrics are off
	apis    *openAPISources
	loops   []func(context.Context)
	open    *cleanup
	// stop ends the loops; running waits for them.
	stop    context.CancelFunc
	running sync.WaitGroup
}

// New builds a Server from a validated configuration and starts its
// background loops. When a stage fails, what the earlier ones opened is
// closed again.
func New(ctx context.Context, cfg *config.Config, opt Options) (*Server, error) {
	open := &cleanup{}
	s, err := assemble(ctx, cfg, opt.withDefaults(), open)
	if err != nil {
		_ = open.close()
		return nil, err
	}
	s.open = open
	s.start()
	return s, nil
}

func (s *Server) start() {
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	for _, loop := range s.loops {
		s.running.Go(func() { loop(ctx) })
	}
}

// ReloadOpenAPI reads every OpenAPI document again (SIGHUP: nothing else
// of the configuration is reloaded) and serves each one's new tools from
// the next request on. A document that fails keeps the tools it had; the
// error lists every failure, each also logged and counted.
func (s *Server) ReloadOpenAPI(ctx context.Context) error { return s.apis.reloadAll(ctx) }

// Handler is the whole HTTP handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// Store exposes the store (CLI commands and tests).
func (s *Server) Store() storage.Store { return s.store }

// Metrics exposes the metrics (tests); nil when metrics are off.
func (s *Server) Metrics() *telemetry.Metrics { return s.metrics }

// Close stops the background loops, then closes what New opened, the last
// opened first: the stdio servers, the queued audit events are written,
// the Redis client, and the store last.
func (s *Server) Close() error {
	s.stop()
	s.running.Wait()
	return s.open.close()
}

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
