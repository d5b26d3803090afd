package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
)

// keyEnv is the preferred way to pass the key: a -key flag is visible to
// every local user in the process list.
const keyEnv = "SNIPPETS_KEY"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "snippets:", err)
		}
		os.Exit(2)
	}
}

type config struct {
	addr, dataDir, keyHeader, key string
	insecureNoKey, stateless      bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("snippets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:7071", "listen address")
	fs.StringVar(&c.dataDir, "data", "snippets-data", "directory holding one file per snippet")
	fs.StringVar(&c.keyHeader, "key-header", snippets.DefaultKeyHeader, "request header carrying the access key")
	fs.StringVar(&c.key, "key", "", "access key (prefer the "+keyEnv+" environment variable)")
	fs.BoolVar(&c.insecureNoKey, "insecure-no-key", false, "serve without an access key: anyone who can connect may use it")
	fs.BoolVar(&c.stateless, "stateless", false, "serve without MCP sessions (also enables protocol 2026-07-28)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.key == "" {
		c.key = getenv(keyEnv)
	}
	if c.key == "" && !c.insecureNoKey {
		return c, errors.New("no access key: set " + keyEnv + " or -key, or pass -insecure-no-key")
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := snippets.New(snippets.Options{
		DataDir:       c.dataDir,
		Key:           c.key,
		KeyHeader:     c.keyHeader,
		InsecureNoKey: c.insecureNoKey,
		Stateless:     c.stateless,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return errors.Join(err, srv.Close())
	}
	fmt.Fprintf(stdout, "snippets MCP server: %s (key header %s)\n", mcpURL(ln.Addr()), c.keyHeader)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return errors.Join(err, srv.Close())
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// mcpURL prints a URL a local client can paste: a wildcard listen address
// is not something to connect to, so it is shown as loopback.
func mcpURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + snippets.MCPPath
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + snippets.MCPPath
}
