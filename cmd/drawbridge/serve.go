package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	path := fs.String("config", "drawbridge.yaml", "configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, newLogger(cfg, stderr), nil)
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

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	path := fs.String("config", "drawbridge.yaml", "configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if _, err := server.CompilePolicies(cfg); err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "%s: warning: %s\n", *path, w)
	}
	fmt.Fprintf(stdout, "%s: configuration is valid\n", *path)
	return nil
}

func runGenKey(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parse(newFlags("gen-key", stderr), args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, generateKey())
	return nil
}
