package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

// serving is how Serve serves the handler: the protocols, TLS, and the
// metrics listener with its own health endpoints.
type serving struct {
	h2c bool
	// certs serves HTTPS when tls is configured; nil for plain HTTP.
	certs *certReloader
	// metricsListen is metrics.listen; "" serves no metrics.
	metricsListen string
	pprof         bool
	ready         http.Handler
	log           *slog.Logger
}

// newServing reads the TLS certificate, if one is configured: before
// anything is opened, so that a missing file stops the server at once.
func newServing(cfg *config.Config, opt Options) (serving, error) {
	sv := serving{h2c: cfg.H2C, metricsListen: cfg.Metrics.Listen, pprof: cfg.Metrics.Pprof, log: opt.Log}
	if cfg.TLS.Enabled() {
		certs, err := newCertReloader(cfg.TLS.CertFile, cfg.TLS.KeyFile, opt.Log, opt.Now)
		if err != nil {
			return serving{}, err
		}
		sv.certs = certs
	}
	return sv, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully: no new
// connections, in-flight requests get up to 10 seconds, streams are cut.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		// No WriteTimeout: SSE streams stay open for as long as they are used.
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.serving.log.Handler(), slog.LevelWarn),
	}
	if s.serving.h2c {
		hs.Protocols = new(http.Protocols)
		hs.Protocols.SetHTTP1(true)
		hs.Protocols.SetUnencryptedHTTP2(true)
	}
	errc := make(chan error, 2)
	go func() { errc <- s.serving.serve(hs, ln) }()
	if s.metrics != nil {
		ms, err := s.serving.serveMetrics(s.metrics, errc)
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

// serveMetrics serves /metrics on its own listener, off the public one.
func (sv serving) serveMetrics(metrics *telemetry.Metrics, errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", sv.metricsListen)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler())
	mux.HandleFunc("/healthz", healthz)
	mux.Handle("/readyz", sv.ready)
	if sv.pprof {
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
	sv.log.Info("metrics listening", "addr", ln.Addr().String())
	return ms, nil
}
