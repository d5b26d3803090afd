package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

func drive(ctx context.Context, f flags) error {
	limit := raiseFileLimit(200000)
	dir, err := os.MkdirTemp("", "drawbridge-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := f.drawbridge
	if bin == "" {
		bin = filepath.Join(dir, "drawbridge")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/drawbridge")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building drawbridge: %w", err)
		}
	}
	backend, err := startRole(ctx, "-role", "backend")
	if err != nil {
		return err
	}
	defer backend.stop()
	backendURL := "http://" + backend.addr + "/mcp"
	bare, err := startRole(ctx, "-role", "bareproxy", "-upstream", backendURL)
	if err != nil {
		return err
	}
	defer bare.stop()
	// Two gateways: one with the audit store off, to measure the proxy
	// with token verification (and, on /governed, policy and rate limits)
	// alone; one on the defaults, which write every request to the
	// hash-chained audit trail in SQLite.
	lean, err := startDrawbridge(ctx, bin, filepath.Join(dir, "lean"), backendURL, "audit: {store: false}\nh2c: true\n", f.profile != "")
	if err != nil {
		return err
	}
	defer lean.stop()
	audited, err := startDrawbridge(ctx, bin, filepath.Join(dir, "audited"), backendURL, "", f.profile != "")
	if err != nil {
		return err
	}
	defer audited.stop()

	const (
		direct   = "direct"
		bareName = "bare reverse proxy"
		verify   = "drawbridge, token verification"
		governed = "drawbridge + policy + rate limits"
		audit    = "drawbridge + audit trail in SQLite (defaults)"
	)
	targets := []target{
		{name: direct, url: backendURL},
		{name: bareName, url: "http://" + bare.addr + "/mcp"},
		{name: verify, url: "http://" + lean.addr + "/mcp", token: lean.tokens["/mcp"], gw: lean},
		{name: governed, url: "http://" + lean.addr + "/governed", token: lean.tokens["/governed"], gw: lean},
		{name: audit, url: "http://" + audited.addr + "/mcp", token: audited.tokens["/mcp"], gw: audited},
	}
	for _, t := range targets {
		if err := checkTarget(ctx, t); err != nil {
			return err
		}
	}
	fmt.Printf("# Drawbridge load benchmark\n\n%s, %d CPUs, Go %s, open-file limit %d.\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.Version(), limit)
	fmt.Printf("Each phase runs %s; the load generator shares the machine with the servers.\n\n", f.duration)
	fmt.Printf("## Saturation (%d concurrent requests)\n\n| target | requests/s | vs bare proxy | p50 | p99 | errors |\n|---|---|---|---|---|---|\n", f.concurrency)
	sat := map[string]result{}
	for i, t := range targets {
		var profiled chan error
		if t.gw != nil && f.profile != "" {
			profiled = make(chan error, 1)
			go func() {
				profiled <- cpuProfile(ctx, t.gw.metrics, f.duration, fmt.Sprintf("%s.%d", f.profile, i))
			}()
		}
		r := saturate(ctx, t, f.concurrency, f.duration)
		if profiled != nil {
			if err := <-profiled; err != nil {
				return err
			}
		}
		sat[t.name] = r
		ratio := "—"
		if b, ok := sat[bareName]; ok && t.gw != nil {
			ratio = fmt.Sprintf("%.2f×", r.rps()/b.rps())
		}
		fmt.Printf("| %s | %.0f | %s | %s | %s | %d |\n", t.name, r.rps(), ratio, r.percentile(0.5).Round(time.Microsecond), r.percentile(0.99).Round(time.Microsecond), r.errors)
	}
	fmt.Printf("\n## Fixed rate (%d requests/s, latency from when each request was due)\n\n| target | achieved/s | p50 | p99 | errors |\n|---|---|---|---|---|\n", f.rate)
	for _, t := range targets {
		r := fixedRate(ctx, t, f.rate, f.duration)
		fmt.Printf("| %s | %.0f | %s | %s | %d |\n", t.name, r.rps(), r.percentile(0.5).Round(time.Microsecond), r.percentile(0.99).Round(time.Microsecond), r.errors)
	}
	if f.streams > 0 {
		// Each phase gets a fresh gateway, so that memory one phase used
		// and the runtime kept does not hide the next one's.
		lean.stop()
		audited.stop()
		// Over HTTP/1.1 a stream costs the gateway two file descriptors
		// (the client's connection and the backend's), so the open-file
		// limit caps how many one process can hold.
		h1 := min(f.streams, int(limit-200)/2)
		fmt.Printf("\n## Idle SSE streams through Drawbridge\n\n| client protocol | streams asked | open at once | failed | gateway RSS before → after | per stream |\n|---|---|---|---|---|---|\n")
		for i, phase := range []struct {
			name string
			n    int
			h2c  bool
		}{{"HTTP/1.1, a connection each", h1, false}, {"h2c, shared connections", f.streams, true}} {
			gw, err := startDrawbridge(ctx, bin, filepath.Join(dir, fmt.Sprintf("streams%d", i)), backendURL, "audit: {store: false}\nh2c: true\n", f.profile != "")
			if err != nil {
				return err
			}
			t := target{name: verify, url: "http://" + gw.addr + "/mcp", token: gw.tokens["/mcp"], gw: gw}
			heap := ""
			if f.profile != "" {
				heap = fmt.Sprintf("%s.heap%d", f.profile, i)
			}
			s, err := holdStreams(ctx, t, phase.n, phase.h2c, heap)
			gw.stop()
			if err != nil {
				return err
			}
			fmt.Printf("| %s | %d | %d | %d | %d MiB → %d MiB | %d KiB |\n",
				phase.name, phase.n, s.opened, s.failed, s.rssBefore>>20, s.rssAfter>>20, s.perStream()>>10)
		}
	}
	return nil
}

// startDrawbridge runs the real binary with a generated configuration (plus
// extra YAML) in dir and gets an access token for each of its two servers
// with the client_credentials grant. Both servers front the same backend:
// /mcp only checks the token; /governed also evaluates a policy (with a
// CEL condition) and two rate limits on every call, set high enough never
// to refuse, so that the difference is their cost.
func startDrawbridge(ctx context.Context, bin, dir, backendURL, extra string, pprof bool) (*proc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &proc{addr: addr}
	if pprof {
		if p.metrics, err = freeAddr(); err != nil {
			return nil, err
		}
		extra += fmt.Sprintf("metrics: {listen: %q, pprof: true}\n", p.metrics)
	}
	secret := tokens.NewOpaque("")
	cfg := fmt.Sprintf(`
public_url: http://%s
listen: %s
log: {level: warn}
storage: {sqlite: {path: %q}}
encryption_keys: [{id: bench, key: %q}]
identity:
  local:
    users: [{username: bench, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]
clients:
  - {id: bench, secret: %q, grant_types: [client_credentials]}
servers:
  - {name: backend, path: /mcp, upstream: %[6]q, scopes: [bench], headers: {x-backend-key: bench}}
  - name: governed
    path: /governed
    upstream: %[6]q
    scopes: [bench]
    headers: {x-backend-key: bench}
    policy:
      default: deny
      rules:
        - {name: no-secret-snippets, tools: [get_snippet], when: 'request.arguments.snippetname.startsWith("secret")', effect: deny}
        - {name: snippets, tools: [get_snippet, list_snippets, save_snippet], effect: allow, require_scopes: [bench]}
rate_limits:
  rules:
    - {name: calls-per-client-and-tool, servers: [governed], per: [client, tool], methods: [tools/call], rate: 100000000, every: 1s}
    - {name: daily-quota-per-client, servers: [governed], per: [client], quota: 1000000000, window: day}
`, addr, addr, filepath.Join(dir, "db.sqlite"), tokens.GenerateKey(), secret, backendURL) + extra
	path := filepath.Join(dir, "drawbridge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	p.cmd = exec.CommandContext(ctx, bin, "serve", "--config", path)
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	base := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 100 {
			p.stop()
			return nil, fmt.Errorf("drawbridge did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.tokens = map[string]string{}
	for _, path := range []string{"/mcp", "/governed"} {
		tok, err := clientCredentials(base, secret, base+path)
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("token for %s: %w", path, err)
		}
		p.tokens[path] = tok
	}
	return p, nil
}

func clientCredentials(base, secret, resource string) (string, error) {
	resp, err := http.PostForm(base+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"bench"}, "client_secret": {secret}, "resource": {resource}, "scope": {"bench"}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("no token (status %d)", resp.StatusCode)
	}
	return tok.AccessToken, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cpuProfile fetches a CPU profile from Drawbridge's metrics listener.
func cpuProfile(ctx context.Context, metricsAddr string, d time.Duration, file string) error {
	secs := max(1, int(d.Seconds())-1)
	return fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", metricsAddr, secs), file)
}

func fetchProfile(ctx context.Context, url, file string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profiling: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profiling: status %d", resp.StatusCode)
	}
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
