package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/assertion"
	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

type demoFlags struct {
	addr, publicURL, dataDir, user, password, logLevel string
}

var demoCmd = &command{
	name:    "demo",
	summary: "run Drawbridge, a demo user and a sample MCP server on loopback",
	about: `Starts everything on this computer with no setup: Drawbridge on 127.0.0.1:8080, SQLite
storage in the data directory, a local user whose name and password are printed, and the
sample snippets MCP server (tools hello_mcp, save_snippet, get_snippet) behind
http://127.0.0.1:8080/mcp. The banner shows settings to paste into Claude Code, VS Code and
the MCP Inspector. Ctrl-C stops it; the data directory keeps registrations and approvals
for the next run (delete it to start afresh); by default it is in your cache directory
(~/.cache/drawbridge/demo on Linux), so that nothing is written where you run the demo.`,
	examples: []string{
		"drawbridge demo",
		"drawbridge demo --addr 127.0.0.1:9090 --user dana",
	},
	flags: func(fs *flag.FlagSet) action {
		var f demoFlags
		fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`address` to listen on")
		fs.StringVar(&f.publicURL, "public-url", "", "`URL` clients use (default http://<addr>)")
		fs.StringVar(&f.dataDir, "data", defaultDemoDir(), "`directory` for the database, keys and snippets")
		fs.StringVar(&f.user, "user", "demo", "demo user's `name`")
		fs.StringVar(&f.password, "password", "", "demo user's `password` (default: random, printed at start; or $DRAWBRIDGE_DEMO_PASSWORD)")
		fs.StringVar(&f.logLevel, "log-level", "info", "`level`: debug, info, warn or error")
		return func(ctx context.Context, stdout, stderr io.Writer) error { return runDemo(ctx, f, stdout, stderr) }
	},
}

// runDemo starts Drawbridge with everything it needs on loopback: SQLite in
// a data directory, a local user, and the snippets MCP server behind it.
func runDemo(ctx context.Context, f demoFlags, stdout, stderr io.Writer) error {
	if f.password == "" {
		f.password = os.Getenv("DRAWBRIDGE_DEMO_PASSWORD")
	}
	if f.password == "" {
		f.password = strings.ToLower(rand.Text()[:16])
	}
	if f.publicURL == "" {
		f.publicURL = "http://" + f.addr
	}
	if err := os.MkdirAll(f.dataDir, 0o700); err != nil {
		return err
	}
	cfg, backend, err := demoSetup(f, stderr)
	if err != nil {
		return err
	}
	defer backend.Close()
	log := newLogger(cfg, stderr)
	return serve(ctx, cfg, log, func() { printDemoBanner(stdout, cfg, f) })
}

// demoSetup starts the snippets backend and builds the configuration.
func demoSetup(f demoFlags, stderr io.Writer) (*config.Config, *snippets.Server, error) {
	encKey, err := readOrCreate(filepath.Join(f.dataDir, "encryption.key"), tokens.GenerateKey)
	if err != nil {
		return nil, nil, err
	}
	hash, err := local.HashPassword(f.password)
	if err != nil {
		return nil, nil, err
	}
	// The backend's key is new on every start: only this process knows it.
	backendKey := tokens.NewOpaque("")
	// The backend takes the caller's identity from Drawbridge's signed
	// assertion, verified against Drawbridge's keys: proof, not trust.
	verifier, err := assertion.NewVerifier(assertion.Config{Issuer: strings.TrimSuffix(f.publicURL, "/"), Audience: demoAudience})
	if err != nil {
		return nil, nil, err
	}
	backend, err := snippets.New(snippets.Options{
		DataDir: filepath.Join(f.dataDir, "snippets"), Key: backendKey, Assertion: verifier,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		backend.Close()
		return nil, nil, err
	}
	go func() { _ = backend.Serve(ln) }()
	yaml := fmt.Sprintf(demoConfig, f.publicURL, f.addr, f.logLevel, filepath.Join(f.dataDir, "drawbridge.db"), ln.Addr().String())
	cfg, err := config.Parse([]byte(yaml), func(name string) (string, bool) {
		v, ok := map[string]string{"KEY": encKey, "USER": f.user, "HASH": hash, "BACKEND_KEY": backendKey}[name]
		return v, ok
	})
	if err != nil {
		backend.Close()
		return nil, nil, err
	}
	return cfg, backend, nil
}

// demoAudience names the sample backend in its identity assertions.
const demoAudience = "urn:drawbridge:demo:snippets"

var demoConfig = `
public_url: %s
listen: %s
log: {level: %s}
storage: {sqlite: {path: %q}}
encryption_keys: [{id: demo, key: "${KEY}"}]
identity:
  type: local
  local:
    users:
      - username: "${USER}"
        password_hash: "${HASH}"
        name: Demo User
        email: demo@example.com
        groups: [demo]
admin: {groups: [demo]}
servers:
  - name: snippets
    title: Snippets (sample MCP server)
    path: /mcp
    upstream: http://%s/mcp
    scopes: [snippets]
    headers: {x-functions-key: "${BACKEND_KEY}"}
    auth: {mode: identity_assertion, audience: "` + demoAudience + `"}
`

// readOrCreate returns the content of a small secret file, creating it with
// mode 0600 on first use.
func readOrCreate(path string, make func() string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	v := make()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", err
	}
	return v, nil
}

func printDemoBanner(w io.Writer, cfg *config.Config, f demoFlags) {
	mcpURL := cfg.ResourceURL(&cfg.Backends[0])
	vscode, _ := json.MarshalIndent(map[string]any{"servers": map[string]any{"snippets": map[string]string{"type": "http", "url": mcpURL}}}, "", "  ")
	fmt.Fprintf(w, `
Drawbridge demo is running (data in %s).

  MCP server URL:  %s
  Sign in as:      %s
  Password:        %s

Connect a client:

  Claude Code:     claude mcp add --transport http snippets %s
  VS Code (.vscode/mcp.json):
%s
  MCP Inspector:   npx @modelcontextprotocol/inspector  (Streamable HTTP, URL above)

The client opens a browser to sign in and approve it; its tool calls then
reach the sample snippets server (tools hello_mcp, save_snippet, get_snippet).

  Console:         %s/console  (your connected agents; you are an administrator)

Press Ctrl-C to stop. Started %s.

`, f.dataDir, mcpURL, f.user, f.password, mcpURL, indent(string(vscode), "    "), cfg.Issuer(), time.Now().Format(time.RFC3339))
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// defaultDemoDir keeps the demo's data out of the working directory, which
// is often a checkout where it would show up in git status: it goes to the
// user's cache directory (~/.cache/drawbridge/demo on Linux), since all of
// it can be lost without harm; a new demo starts afresh.
func defaultDemoDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "drawbridge", "demo")
	}
	return fallbackDemoDir
}

// fallbackDemoDir, in the working directory, is used when there is no
// user cache directory (no $HOME); .gitignore covers it.
const fallbackDemoDir = "drawbridge-demo"
