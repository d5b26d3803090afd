package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// caddyModule is the Caddy the comparison row runs: pinned, so that runs
// on different days compare the same proxy.
const caddyModule = "github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9"

// installCaddy builds the pinned Caddy with go install into dir; the
// error says why it could not (no network, no module proxy), and the row
// is then skipped.
func installCaddy(ctx context.Context, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", caddyModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	cmd.Dir = dir // outside this module, so that its go.mod plays no part
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %v: %s", caddyModule, err, lastLine(string(out)))
	}
	return filepath.Join(dir, "caddy"), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// startCaddy runs Caddy's reverse_proxy in front of upstream (host:port),
// configured like the bare proxy: flush every write, a pool of idle
// connections as large as the others', no admin endpoint, no TLS.
func startCaddy(ctx context.Context, bin, dir, upstream string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf(`{
	admin off
	auto_https off
	persist_config off
	log {
		level ERROR
	}
}

http://%s {
	reverse_proxy %s {
		flush_interval -1
		transport http {
			keepalive_idle_conns 512
			keepalive_idle_conns_per_host 256
		}
	}
}
`, addr, upstream)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	p := &proc{addr: addr, cmd: exec.CommandContext(ctx, bin, "run", "--config", path, "--adapter", "caddyfile")}
	p.cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir, "HOME="+dir)
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return p, nil
		}
		if i > 100 {
			p.stop()
			return nil, fmt.Errorf("caddy did not start listening on %s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
