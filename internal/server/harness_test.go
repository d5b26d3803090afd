package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// clock is a settable clock shared by the gateway under test.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// backend is the snippets sample server with a recorder in front that
// notes every credential-bearing header that reaches it.
type backend struct {
	url string
	key string
	mu  sync.Mutex
	// seen lists, per request, the headers a backend must never receive
	// from a client, plus the identity headers.
	authorization, cookies, keys []string
	subjects                     []string
	requests                     int
}

func startBackend(t testing.TB) *backend {
	t.Helper()
	b := &backend{key: tokens.NewOpaque("")}
	srv, err := snippets.New(snippets.Options{DataDir: t.TempDir(), Key: b.key})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inner := srv.Handler()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.requests++
		b.authorization = append(b.authorization, r.Header.Values("Authorization")...)
		b.cookies = append(b.cookies, r.Header.Values("Cookie")...)
		b.keys = append(b.keys, r.Header.Get(snippets.DefaultKeyHeader))
		b.subjects = append(b.subjects, r.Header.Get("X-Drawbridge-Subject"))
		b.mu.Unlock()
		inner.ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close(); _ = srv.Close() })
	b.url = "http://" + ln.Addr().String() + snippets.MCPPath
	return b
}

// gateway is a Drawbridge under test, on loopback.
type gateway struct {
	URL     string
	MCP     string
	Clock   *clock
	Backend *backend
	Srv     *server.Server
	Cfg     *config.Config
	Logs    *logBuffer
	// Stop shuts the gateway down (also done at cleanup).
	Stop func()
}

const (
	testUser     = "alice"
	testPassword = "correct horse battery staple"
)

type gatewayOptions struct {
	// extraYAML is appended to the generated configuration.
	extraYAML string
	// identity replaces the local-users identity section.
	identity string
	dataDir  string
	env      map[string]string
	// upstream replaces the snippets backend's URL (benchmarks).
	upstream string
	// listen reuses an address (restart tests); default a free port.
	listen    string
	transport http.RoundTripper
	idpClient *http.Client
}

var passwordHash = sync.OnceValue(func() string {
	h, err := local.HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

func startGateway(t testing.TB, opt gatewayOptions) *gateway {
	t.Helper()
	be := startBackend(t)
	if opt.listen == "" {
		opt.listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", opt.listen)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if opt.dataDir == "" {
		opt.dataDir = t.TempDir()
	}
	ident := opt.identity
	if ident == "" {
		ident = `
identity:
  type: local
  local:
    users:
      - {username: alice, password_hash: "${HASH}", email: alice@example.com, name: Alice, groups: [eng]}
      - {username: bob, password_hash: "${HASH}", email: bob@example.com}
`
	}
	upstream := be.url
	if opt.upstream != "" {
		upstream = opt.upstream
	}
	yaml := fmt.Sprintf(`
public_url: %s
listen: %s
storage: {sqlite: {path: %q}}
encryption_keys: [{id: k1, key: "${ENC}"}]
%s
servers:
  - name: snippets
    title: Snippets
    path: /mcp
    upstream: %s
    scopes: [snippets]
    headers: {x-functions-key: "${BACKEND_KEY}"}
    forward_identity: true
%s`, base, ln.Addr(), opt.dataDir+"/db.sqlite", ident, upstream, opt.extraYAML)
	vars := map[string]string{"HASH": passwordHash(), "ENC": encKey(opt.dataDir), "BACKEND_KEY": be.key}
	for k, v := range opt.env {
		vars[k] = v
	}
	cfg, err := config.Parse([]byte(yaml), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(context.Background(), cfg, server.Options{Log: log, Now: clk.Now, BackendTransport: opt.transport, IdentityHTTPClient: opt.idpClient})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx, ln) }()
	stop := sync.OnceFunc(func() { cancel(); <-done; _ = srv.Close() })
	t.Cleanup(stop)
	return &gateway{URL: base, MCP: base + "/mcp", Clock: clk, Backend: be, Srv: srv, Cfg: cfg, Logs: logs, Stop: stop}
}

// encKey keeps one encryption key per data directory, so a restarted
// gateway can open what the first one sealed.
var encKeys sync.Map

func encKey(dir string) string {
	k, _ := encKeys.LoadOrStore(dir, tokens.GenerateKey())
	return k.(string)
}

// logBuffer keeps everything logged, to check that no secret is.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testWriter sends logs to t.Log when -v is given.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() && os.Getenv("DRAWBRIDGE_TEST_LOGS") != "" {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
