package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	gw, token, err := startDrawbridge(ctx, bin, dir, backendURL)
	if err != nil {
		return err
	}
	defer gw.stop()

	targets := []target{
		{name: "direct", url: backendURL},
		{name: "bare reverse proxy", url: "http://" + bare.addr + "/mcp"},
		{name: "drawbridge", url: "http://" + gw.addr + "/mcp", token: token},
	}
	fmt.Printf("# Drawbridge load benchmark\n\n%s, %d CPUs, Go %s, open-file limit %d.\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.Version(), limit)
	fmt.Printf("Each phase runs %s; the load generator shares the machine with the servers.\n\n", f.duration)
	fmt.Printf("## Saturation (%d concurrent requests)\n\n| target | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|\n", f.concurrency)
	sat := map[string]result{}
	for _, t := range targets {
		r := saturate(ctx, t, f.concurrency, f.duration)
		sat[t.name] = r
		fmt.Printf("| %s | %.0f | %s | %s | %d |\n", t.name, r.rps(), r.percentile(0.5).Round(time.Microsecond), r.percentile(0.99).Round(time.Microsecond), r.errors)
	}
	fmt.Printf("\nDrawbridge reaches %.2f× the throughput of the bare reverse proxy.\n\n", sat["drawbridge"].rps()/sat["bare reverse proxy"].rps())
	fmt.Printf("## Fixed rate (%d requests/s, latency from when each request was due)\n\n| target | achieved/s | p50 | p99 | errors |\n|---|---|---|---|---|\n", f.rate)
	for _, t := range targets {
		r := fixedRate(ctx, t, f.rate, f.duration)
		fmt.Printf("| %s | %.0f | %s | %s | %d |\n", t.name, r.rps(), r.percentile(0.5).Round(time.Microsecond), r.percentile(0.99).Round(time.Microsecond), r.errors)
	}
	if f.streams > 0 {
		s, err := holdStreams(ctx, targets[2], f.streams, gw.cmd.Process.Pid)
		if err != nil {
			return err
		}
		fmt.Printf("\n## Idle SSE streams through Drawbridge\n\n%d of %d streams open at once (%d failed); gateway RSS %d MiB → %d MiB, about %d KiB per stream.\n",
			s.opened, f.streams, s.failed, s.rssBefore>>20, s.rssAfter>>20, s.perStream()>>10)
	}
	return nil
}

// startDrawbridge runs the real binary with a generated configuration and
// gets an access token with the client_credentials grant.
func startDrawbridge(ctx context.Context, bin, dir, backendURL string) (*proc, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
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
  - {name: backend, path: /mcp, upstream: %q, scopes: [bench], headers: {x-backend-key: bench}}
`, addr, addr, filepath.Join(dir, "db.sqlite"), tokens.GenerateKey(), secret, backendURL)
	path := filepath.Join(dir, "drawbridge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	p := &proc{cmd: cmd, addr: addr}
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
			return nil, "", fmt.Errorf("drawbridge did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.PostForm(base+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"bench"}, "client_secret": {secret}})
	if err != nil {
		p.stop()
		return nil, "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		p.stop()
		return nil, "", fmt.Errorf("no token (status %d)", resp.StatusCode)
	}
	return p, tok.AccessToken, nil
}
