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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/assertion"
	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
	"github.com/drawbridge-mcp/drawbridge/examples/todo"
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
http://127.0.0.1:8080/mcp, and a composed server behind http://127.0.0.1:8080/workspace/mcp:
the snippets tools together with a small to-do REST API described by an OpenAPI document
(examples/todo/openapi.yaml), one MCP server over both. The banner shows settings to paste into Claude Code, VS Code and
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
	cfg, stop, err := demoSetup(f, stderr)
	if err != nil {
		return err
	}
	defer stop()
	log := newLogger(cfg, stderr)
	return serve(ctx, cfg, log, func() { printDemoBanner(stdout, cfg, f) })
}

// demoSetup starts the snippets backend and the to-do REST API, and
// builds the configuration; stop stops both.
func demoSetup(f demoFlags, stderr io.Writer) (cfg *config.Config, stop func(), err error) {
	encKey, err := readOrCreate(filepath.Join(f.dataDir, "encryption.key"), tokens.GenerateKey)
	if err != nil {
		return nil, nil, err
	}
	hash, err := local.HashPassword(f.password)
	if err != nil {
		return nil, nil, err
	}
	// The backends' keys are new on every start: only this process knows
	// them.
	backendKey, todoKey := tokens.NewOpaque(""), tokens.NewOpaque("")
	backend, snippetsAddr, err := startSnippets(f, backendKey, stderr)
	if err != nil {
		return nil, nil, err
	}
	todoSrv, todoAddr, specPath, err := startTodo(f, todoKey)
	if err != nil {
		backend.Close()
		return nil, nil, err
	}
	stop = func() { backend.Close(); todoSrv.Close() }
	yaml := fmt.Sprintf(demoConfig, f.publicURL, f.addr, f.logLevel, filepath.Join(f.dataDir, "drawbridge.db"), snippetsAddr, snippetsAddr, specPath, todoAddr)
	cfg, err = config.Parse([]byte(yaml), func(name string) (string, bool) {
		v, ok := map[string]string{"KEY": encKey, "USER": f.user, "HASH": hash, "BACKEND_KEY": backendKey, "TODO_KEY": todoKey}[name]
		return v, ok
	})
	if err != nil {
		stop()
		return nil, nil, err
	}
	return cfg, stop, nil
}

// startSnippets runs the snippets MCP server on a loopback port. It takes
// the caller's identity from Drawbridge's signed assertion, verified
// against Drawbridge's keys: proof, not trust.
func startSnippets(f demoFlags, key string, stderr io.Writer) (*snippets.Server, string, error) {
	verifier, err := assertion.NewVerifier(assertion.Config{Issuer: strings.TrimSuffix(f.publicURL, "/"), Audience: demoAudience})
	if err != nil {
		return nil, "", err
	}
	backend, err := snippets.New(snippets.Options{
		DataDir: filepath.Join(f.dataDir, "snippets"), Key: key, Assertion: verifier,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		backend.Close()
		return nil, "", err
	}
	go func() { _ = backend.Serve(ln) }()
	return backend, ln.Addr().String(), nil
}

// startTodo runs the to-do REST API on a loopback port, and writes its
// OpenAPI document (examples/todo/openapi.yaml, built in) to the data
// directory, where the composed server's OpenAPI member reads it.
func startTodo(f demoFlags, key string) (*http.Server, string, string, error) {
	spec := filepath.Join(f.dataDir, "todo-openapi.yaml")
	if err := os.WriteFile(spec, todo.Spec, 0o600); err != nil {
		return nil, "", "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", "", err
	}
	srv := &http.Server{Handler: todo.New(key), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln.Addr().String(), spec, nil
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
  # One MCP server over two backends (docs/virtual-servers.md): the
  # snippets server's tools and a REST API's operations, each backend
  # with its own credential.
  - name: workspace
    title: Workspace (snippets and a to-do list, composed)
    path: /workspace/mcp
    scopes: [workspace]
    compose:
      - name: snippets
        upstream: http://%s/mcp
        headers: {x-functions-key: "${BACKEND_KEY}"}
        auth: {mode: identity_assertion, audience: "` + demoAudience + `"}
      - name: todo
        openapi: {spec: %q, base_url: "http://%s"}
        auth: {mode: headers, headers: {X-Api-Key: "${TODO_KEY}"}}
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
	mcpURL, composedURL := cfg.ResourceURL(&cfg.Backends[0]), cfg.ResourceURL(&cfg.Backends[1])
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

  Composed server URL:  %s
                   one MCP server over two backends: the snippets tools and a
                   to-do REST API described by OpenAPI (list_todos, add_todo,
                   get_todo, complete_todo)

  Console:         %s/console  (your connected agents; you are an administrator)

Press Ctrl-C to stop. Started %s.

`, f.dataDir, mcpURL, f.user, f.password, mcpURL, indent(string(vscode), "    "), composedURL, cfg.Issuer(), time.Now().Format(time.RFC3339))
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
