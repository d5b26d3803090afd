package replicas

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// replica is one drawbridge process.
type replica struct {
	*process
	name string
	addr string
}

// URL is the replica's own address, bypassing the load balancer.
func (r *replica) URL() string { return "http://" + r.addr }

// kill9 ends the replica with SIGKILL: no shutdown, no flush.
func (r *replica) kill9(t *testing.T) { r.signal(t, syscall.SIGKILL) }

// clusterOptions describe a deployment under test.
type clusterOptions struct {
	// replicas is the number of drawbridge processes (default 3).
	replicas int
	// postgres is the database's DSN; empty means SQLite in a file (one
	// replica only: SQLite is not shared between machines).
	postgres string
	// redis is the URL of the Redis for rate limits; empty keeps them in
	// memory.
	redis string
	// balancer is "haproxy", "nginx", or empty for none (clients then use
	// the first replica directly).
	balancer string
	// extraYAML is appended to the configuration (top level).
	extraYAML string
}

// cluster is a deployment under test: the replicas, the MCP backends
// they share, and the load balancer in front.
type cluster struct {
	t        *testing.T
	public   string
	replicas []*replica
	lb       *balancer
	backend  *gwtest.Backend
	cfgPath  string
	env      []string
	// served records, per request through the balancer, the replica that
	// answered.
	served *recorder
}

// password is the password of the local users alice (group eng) and bob.
const password = "correct horse battery staple"

var passwordHash = sync.OnceValue(func() string {
	h, err := local.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

// startCluster runs a deployment until the test ends.
func startCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	if o.replicas == 0 {
		o.replicas = 3
	}
	if o.postgres == "" && o.replicas > 1 {
		t.Fatal("several replicas need PostgreSQL")
	}
	bin := drawbridgeBinary(t)
	dir := t.TempDir()
	c := &cluster{t: t, served: newRecorder()}
	c.backend = gwtest.StartBackend(t, false)
	legacy := startLegacyBackend(t)

	lbAddr := ""
	for i := range o.replicas {
		c.replicas = append(c.replicas, &replica{name: fmt.Sprintf("replica%d", i+1), addr: freeAddr(t)})
	}
	if o.balancer != "" {
		lbAddr = freeAddr(t)
		c.public = "http://" + lbAddr
	} else {
		c.public = c.replicas[0].URL()
	}
	storage := `{sqlite: {path: "` + filepath.Join(dir, "drawbridge.db") + `"}}`
	if o.postgres != "" {
		storage = `{type: postgres, postgres: {dsn: "${PG_DSN}"}}`
	}
	limits := "backend: memory"
	if o.redis != "" {
		limits = `backend: redis
  redis: {url: "${REDIS_URL}"}`
	}
	// One configuration for every replica; only listen differs, and it
	// comes from the environment, as in a container.
	cfg := fmt.Sprintf(`public_url: %s
listen: ${LISTEN}
storage: %s
encryption_keys: [{id: k1, key: "${DRAWBRIDGE_KEY}"}]
trusted_proxies: [127.0.0.1/32]
log: {level: info}
identity:
  type: local
  local:
    users:
      - {username: alice, password_hash: "${HASH}", email: alice@example.com, groups: [eng]}
      - {username: bob, password_hash: "${HASH}", email: bob@example.com}
admin: {groups: [eng]}
tokens: {refresh_reuse_grace: 5m}
# The limits of the authorization server count per address, and every
# test client is 127.0.0.1: off here, so that tests sharing the Redis
# cannot exhaust each other's.
registration: {per_address_per_hour: -1}
rate_limits:
  %s
  auth: {token_per_minute: -1, authorize_per_minute: -1, login_per_minute: -1}
  rules:
    - {name: hello-%s, per: [client], tools: [hello_mcp], rate: %d, every: 1h}
servers:
  - name: snippets
    path: /mcp
    upstream: %s
    scopes: [snippets]
    headers: {x-functions-key: "${BACKEND_KEY}"}
  - name: legacy
    path: /legacy/sse
    upstream: %s
    transport: sse
    scopes: [legacy]
%s`, c.public, storage, limits, strings.ToLower(tokens.NewID()), helloLimit, c.backend.URL, legacy, o.extraYAML)
	c.cfgPath = filepath.Join(dir, "drawbridge.yaml")
	writeFile(t, c.cfgPath, cfg)
	c.env = append(os.Environ(), "DRAWBRIDGE_KEY="+tokens.GenerateKey(), "HASH="+passwordHash(),
		"BACKEND_KEY="+c.backend.Key, "PG_DSN="+o.postgres, "REDIS_URL="+o.redis)
	for _, r := range c.replicas {
		r.process = &process{name: r.name, argv: []string{bin, "serve", "--config", c.cfgPath},
			env: append(append([]string{}, c.env...), "LISTEN="+r.addr), log: filepath.Join(dir, r.name+".log")}
	}
	// Start one first: it creates the schema and the first signing key,
	// which the others then load (they would also cope with starting
	// together; the restart tests show that).
	for i, r := range c.replicas {
		r.start(t)
		if i == 0 {
			r.waitHTTP(t, r.URL()+"/readyz")
		}
	}
	for _, r := range c.replicas {
		r.waitHTTP(t, r.URL()+"/readyz")
	}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			r.signal(t, syscall.SIGTERM)
			r.checkNoPanic(t)
			if t.Failed() {
				t.Logf("%s output:\n%s", r.name, r.output())
			}
		}
	})
	if o.balancer != "" {
		c.lb = startBalancer(t, o.balancer, lbAddr, c.replicas)
	}
	return c
}

// helloLimit is how many hello_mcp calls a client may make an hour.
const helloLimit = 4

// cli runs a drawbridge command on the cluster's configuration and returns
// its standard output.
func (c *cluster) cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	argv := append(args, "--config", c.cfgPath)
	cmd := exec.CommandContext(ctx, drawbridgeBinary(t), argv...)
	cmd.Env = append(append([]string{}, c.env...), "LISTEN=127.0.0.1:0")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("drawbridge %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// startLegacyBackend runs a 2024-11-05 HTTP+SSE server (the Go SDK's)
// with one tool, echo, and returns its SSE endpoint.
func startLegacyBackend(t *testing.T) string {
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	type echoArgs struct {
		Text string `json:"text"`
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "legacy " + in.Text}}}, nil, nil
	})
	be := httptest.NewServer(mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	t.Cleanup(be.Close)
	return be.URL + "/sse"
}
