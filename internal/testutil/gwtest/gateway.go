package gwtest

import (
	"context"

	"crypto/x509"
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

	"github.com/drawbridge-mcp/drawbridge/assertion"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"go.opentelemetry.io/otel/trace"
)

// Clock is a settable Clock shared by the Gateway under test.
type Clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// Backend is the snippets sample server with a recorder in front that
// notes every credential-bearing header that reaches it.
type Backend struct {
	// URL is the backend's MCP endpoint; Key its own credential.
	URL string
	Key string
	// Mu guards what was recorded: per request, the headers a backend must
	// never receive from a client, its key header, and the identity header.
	Mu                           sync.Mutex
	Authorization, Cookies, Keys []string
	Subjects                     []string
	TraceParents                 []string
	Requests                     int
	// Protos are the HTTP major versions the requests came over.
	Protos []int
}

// StartBackend runs the snippets server behind a header recorder;
// stateless serves the sessionless 2026-07-28 era (and older versions
// without sessions) instead of legacy-era sessions.
func StartBackend(t testing.TB, stateless bool) *Backend {
	return startBackend(t, snippets.Options{Stateless: stateless}, false)
}

// startBackend serves the snippets server over HTTP/1.1 and, with h2c,
// over HTTP/2 with prior knowledge too.
func startBackend(t testing.TB, o snippets.Options, h2c bool) *Backend {
	t.Helper()
	b := &Backend{Key: tokens.NewOpaque("")}
	o.DataDir, o.Key = t.TempDir(), b.Key
	srv, err := snippets.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inner := srv.Handler()
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.Mu.Lock()
		b.Requests++
		b.Authorization = append(b.Authorization, r.Header.Values("Authorization")...)
		b.Cookies = append(b.Cookies, r.Header.Values("Cookie")...)
		b.Keys = append(b.Keys, r.Header.Get(snippets.DefaultKeyHeader))
		b.Subjects = append(b.Subjects, r.Header.Get("X-Drawbridge-Subject"))
		b.TraceParents = append(b.TraceParents, r.Header.Get("traceparent"))
		b.Protos = append(b.Protos, r.ProtoMajor)
		b.Mu.Unlock()
		inner.ServeHTTP(w, r)
	})}
	if h2c {
		hs.Protocols = new(http.Protocols)
		hs.Protocols.SetHTTP1(true)
		hs.Protocols.SetUnencryptedHTTP2(true)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close(); _ = srv.Close() })
	b.URL = "http://" + ln.Addr().String() + snippets.MCPPath
	return b
}

// Gateway is a Drawbridge under test, on loopback.
type Gateway struct {
	// URL is the public base URL (the issuer), MCP the snippets server's
	// endpoint under it. Direct is where the gateway itself listens: the
	// same as URL unless Options.PublicURL puts a proxy in front.
	URL     string
	MCP     string
	Direct  string
	Clock   *Clock
	Backend *Backend
	Srv     *server.Server
	Cfg     *config.Config
	Logs    *LogBuffer
	// Stop shuts the Gateway down (also done at cleanup).
	Stop func()
}

// The local users every test gateway has: alice (groups [eng]) and bob,
// both with this password.
const (
	User     = "alice"
	Password = "correct horse battery staple"
)

// Options adjust the generated configuration.
type Options struct {
	// ExtraYAML is appended to the configuration, right after the snippets
	// server: more list items continue the servers list.
	ExtraYAML string
	// Identity replaces the local-users identity section.
	Identity string
	// NoIdentity leaves the identity section out: nobody signs in (a
	// machine-only gateway, for clients with client_credentials in
	// ExtraYAML).
	NoIdentity bool
	// DataDir holds the database; default a temporary directory.
	DataDir string
	// Env supplies ${NAME} values for ExtraYAML and Identity.
	Env map[string]string
	// Upstream replaces the snippets backend's URL (benchmarks).
	Upstream string
	// Listen reuses an address (restart tests); default a free port.
	Listen string
	// PublicURL replaces public_url, for a test that puts its own proxy in
	// front of the gateway and has clients reach it there; default the
	// listen address. The proxy forwards to Gateway.Direct.
	PublicURL string
	// Transport is the transport to backends; IdPClient talks to the
	// upstream identity provider.
	Transport http.RoundTripper
	IdPClient *http.Client
	// MetadataRootCAs trusts the test server of client ID metadata documents.
	MetadataRootCAs *x509.CertPool
	// PostgresDSN stores state in PostgreSQL instead of SQLite (see the
	// function PostgresDSN).
	PostgresDSN string
	// StatelessBackend runs the snippets server without sessions, so that
	// clients speak protocol 2026-07-28.
	StatelessBackend bool
	// BackendAssertionAudience makes the snippets server require identity
	// assertions for this audience from the gateway (issuer: its URL).
	BackendAssertionAudience string
	// NoForwardIdentity turns the snippets server's forward_identity off
	// (benchmarks of the defaults: it is off unless configured).
	NoForwardIdentity bool
	// TracerProvider records the gateway's spans (tracing tests).
	TracerProvider trace.TracerProvider
	// BackendHTTP2 serves the snippets backend over h2c as well as
	// HTTP/1.1 (Backend.Protos says which each request used) and sets
	// backend_http2 on its server. With Upstream it only sets the option.
	BackendHTTP2 bool
}

var passwordHash = sync.OnceValue(func() string {
	h, err := local.HashPassword(Password)
	if err != nil {
		panic(err)
	}
	return h
})

// Start runs a gateway until the test ends.
func Start(t testing.TB, opt Options) *Gateway {
	t.Helper()
	if opt.Listen == "" {
		opt.Listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", opt.Listen)
	if err != nil {
		t.Fatal(err)
	}
	bo := snippets.Options{Stateless: opt.StatelessBackend}
	if opt.BackendAssertionAudience != "" {
		v, err := assertion.NewVerifier(assertion.Config{Issuer: "http://" + ln.Addr().String(), Audience: opt.BackendAssertionAudience})
		if err != nil {
			t.Fatal(err)
		}
		bo.Assertion = v
	}
	be := startBackend(t, bo, opt.BackendHTTP2)
	direct := "http://" + ln.Addr().String()
	base := direct
	if opt.PublicURL != "" {
		base = strings.TrimSuffix(opt.PublicURL, "/")
	}
	if opt.DataDir == "" {
		opt.DataDir = t.TempDir()
	}
	ident := opt.Identity
	if ident == "" && !opt.NoIdentity {
		ident = `
identity:
  type: local
  local:
    users:
      - {username: alice, password_hash: "${HASH}", email: alice@example.com, name: Alice, groups: [eng]}
      - {username: bob, password_hash: "${HASH}", email: bob@example.com}
`
	}
	upstream := be.URL
	if opt.Upstream != "" {
		upstream = opt.Upstream
	}
	yaml := fmt.Sprintf(`
public_url: %s
listen: %s
storage: %s
encryption_keys: [{id: k1, key: "${ENC}"}]
%s
servers:
  - name: snippets
    title: Snippets
    path: /mcp
    upstream: %s
    scopes: [snippets]
    headers: {x-functions-key: "${BACKEND_KEY}"}
    forward_identity: %t
    backend_http2: %t
%s`, base, ln.Addr(), storageYAML(opt), ident, upstream, !opt.NoForwardIdentity, opt.BackendHTTP2, opt.ExtraYAML)
	vars := map[string]string{"HASH": passwordHash(), "ENC": encKey(opt.DataDir), "BACKEND_KEY": be.Key}
	for k, v := range opt.Env {
		vars[k] = v
	}
	cfg, err := config.Parse([]byte(yaml), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	clk := &Clock{}
	logs := &LogBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(context.Background(), cfg, server.Options{Log: log, Now: clk.Now, BackendTransport: opt.Transport, IdentityHTTPClient: opt.IdPClient, MetadataRootCAs: opt.MetadataRootCAs, TracerProvider: opt.TracerProvider})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ctx, ln) }()
	stop := sync.OnceFunc(func() { cancel(); <-done; _ = srv.Close() })
	t.Cleanup(stop)
	return &Gateway{URL: base, MCP: base + "/mcp", Direct: direct, Clock: clk, Backend: be, Srv: srv, Cfg: cfg, Logs: logs, Stop: stop}
}

// encKey keeps one encryption key per data directory, so a restarted
// Gateway can open what the first one sealed.
var encKeys sync.Map

func encKey(dir string) string {
	k, _ := encKeys.LoadOrStore(dir, tokens.GenerateKey())
	return k.(string)
}

// LogBuffer keeps everything logged, to check that no secret is.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
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

func storageYAML(opt Options) string {
	if opt.PostgresDSN != "" {
		return fmt.Sprintf("{type: postgres, postgres: {dsn: %q}}", opt.PostgresDSN)
	}
	return fmt.Sprintf("{sqlite: {path: %q}}", opt.DataDir+"/db.sqlite")
}
