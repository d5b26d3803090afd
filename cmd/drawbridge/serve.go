package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

var serveCmd = &command{
	name:    "serve",
	summary: "run Drawbridge from a configuration file",
	about: `Runs the authorization server and the gateway described by the configuration file until
it is interrupted (Ctrl-C or SIGTERM), then finishes the requests in flight. SIGHUP reads
every OpenAPI document again (and nothing else of the configuration). Logs go to
standard error. Values written ${NAME} in the file come from the environment.
Check a file first with 'drawbridge check'; docs/configuration.md describes every setting.`,
	examples: []string{
		"drawbridge serve --config /etc/drawbridge/drawbridge.yaml",
	},
	flags: func(fs *flag.FlagSet) action {
		path := configFlag(fs)
		return func(ctx context.Context, _, stderr io.Writer) error {
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			return serve(ctx, cfg, newLogger(cfg, stderr), nil)
		}
	},
}

// serve runs a Drawbridge until ctx ends. ready, if set, is called once
// the listener is bound.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, ready func()) error {
	shutdownTracing, err := telemetry.SetupTracing(ctx, version())
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(c)
	}()
	for _, w := range cfg.Warnings() {
		log.Warn("configuration: " + w)
	}
	srv, err := server.New(ctx, cfg, server.Options{Log: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	hupCtx, stopHup := context.WithCancel(ctx)
	defer stopHup()
	go reloadOnHangup(hupCtx, hup, srv.ReloadOpenAPI)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	log.Info("drawbridge listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "version", version())
	if ready != nil {
		ready()
	}
	return srv.Serve(ctx, ln)
}

// reloadOnHangup reloads the OpenAPI documents on each SIGHUP until ctx
// ends. Only those: the rest of the configuration takes a restart, and TLS
// certificates and signing keys are re-read on their own. reload logs and
// counts each failure itself.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, reload func(context.Context) error) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = reload(ctx)
		}
	}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
