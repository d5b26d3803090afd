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
	"slices"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// The targets of the load phases, by name.
const (
	direct     = "direct"
	bareName   = "bare reverse proxy"
	caddyName  = "caddy reverse_proxy"
	verify     = "drawbridge, token verification"
	governed   = "drawbridge + policy + rate limits"
	defaults   = "drawbridge defaults: + audit trail in SQLite"
	everything = "drawbridge, everything on: + strict reading, policy with CEL, 2 rate limits, audit"
)

func drive(ctx context.Context, f flags) error {
	limit := raiseFileLimit(200000)
	dir, err := os.MkdirTemp("", "drawbridge-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// Caddy builds while Drawbridge does; its row waits for it.
	caddyBin := make(chan caddyBuild, 1)
	if f.load {
		go func() {
			gobin := filepath.Join(dir, "caddy-bin")
			if err := os.MkdirAll(gobin, 0o700); err != nil {
				caddyBin <- caddyBuild{err: err}
				return
			}
			bin, err := installCaddy(ctx, gobin)
			caddyBin <- caddyBuild{bin, err}
		}()
	}
	if benchHash, err = local.HashPassword(benchPassword); err != nil {
		return err
	}
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
	fmt.Printf("# Drawbridge load benchmark\n\n%s, %d CPUs, Go %s, open-file limit %d.\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.Version(), limit)
	fmt.Printf("Each phase runs %s; the load generator shares the machine with the servers.\n\n", f.duration)
	if f.load {
		if err := loadPhases(ctx, f, bin, dir, backend.addr, <-caddyBin); err != nil {
			return err
		}
	}
	if f.streams > 0 {
		if err := streamPhase(ctx, f, bin, dir, backendURL, limit); err != nil {
			return err
		}
	}
	if f.flows > 0 {
		if err := authorizationServerPhase(ctx, f, bin, dir, backendURL); err != nil {
			return err
		}
	}
	if f.allocs {
		return allocationPhase(ctx)
	}
	return nil
}

// loadPhases measures tools/call through every target at saturation and
// at a fixed rate. The gateways it starts stop when it returns, so that
// the memory they used does not count against the stream phase's.
func loadPhases(ctx context.Context, f flags, bin, dir, backendAddr string, cb caddyBuild) error {
	backendURL := "http://" + backendAddr + "/mcp"
	bare, err := startRole(ctx, "-role", "bareproxy", "-upstream", backendURL)
	if err != nil {
		return err
	}
	defer bare.stop()
	// Two gateways: one with the audit store off, to measure the proxy
	// with token verification (and, on /governed, policy and rate limits)
	// alone; one on the defaults, which write every request to the
	// hash-chained audit trail in SQLite (its /governed: everything on).
	lean, err := startDrawbridge(ctx, bin, filepath.Join(dir, "lean"), backendURL, sqliteStorage(dir, "lean"), "audit: {store: false}\nh2c: true\n", false, f.profile != "")
	if err != nil {
		return err
	}
	defer lean.stop()
	audited, err := startDrawbridge(ctx, bin, filepath.Join(dir, "audited"), backendURL, sqliteStorage(dir, "audited"), "", false, f.profile != "")
	if err != nil {
		return err
	}
	defer audited.stop()
	targets := []target{
		{name: direct, url: backendURL},
		{name: bareName, url: "http://" + bare.addr + "/mcp"},
	}
	caddySkipped := cb.err
	if cb.err == nil {
		caddy, err := startCaddy(ctx, cb.bin, filepath.Join(dir, "caddy"), backendAddr)
		if err != nil {
			caddySkipped = err
		} else {
			defer caddy.stop()
			targets = append(targets, target{name: caddyName, url: "http://" + caddy.addr + "/mcp"})
		}
	}
	targets = append(targets,
		target{name: verify, url: "http://" + lean.addr + "/mcp", token: lean.tokens["/mcp"], gw: lean},
		target{name: governed, url: "http://" + lean.addr + "/governed", token: lean.tokens["/governed"], gw: lean},
		target{name: defaults, url: "http://" + audited.addr + "/mcp", token: audited.tokens["/mcp"], gw: audited},
		target{name: everything, url: "http://" + audited.addr + "/governed", token: audited.tokens["/governed"], gw: audited},
	)
	for _, t := range targets {
		if err := checkTarget(ctx, t); err != nil {
			return err
		}
	}
	if caddySkipped != nil {
		fmt.Printf("The %s row is skipped: %v\n\n", caddyName, caddySkipped)
	}
	sat := saturationPhase(ctx, f, targets)
	fixedRatePhase(ctx, f, targets, sat)
	return nil
}

type caddyBuild struct {
	bin string
	err error
}

// saturationPhase measures each target with f.concurrency workers that
// send the next request as soon as the last is answered. The time each
// target gets is cut into f.rounds slices taken in turn (every target's
// first slice, then every target's second, ...), so that a neighbour's
// burst of work on the machine falls on all targets alike; each ratio is
// the median of the rounds' ratios, with their spread.
func saturationPhase(ctx context.Context, f flags, targets []target) map[string]result {
	rounds := max(1, f.rounds)
	slice := f.duration / time.Duration(rounds)
	per := make([][]result, len(targets)) // per[target][round]
	for round := range rounds {
		for i, t := range targets {
			var profiled chan error
			if t.gw != nil && f.profile != "" && round == 0 {
				profiled = make(chan error, 1)
				go func() {
					profiled <- cpuProfile(ctx, t.gw.metrics, slice, fmt.Sprintf("%s.%d", f.profile, i))
				}()
			}
			per[i] = append(per[i], saturate(ctx, t, f.concurrency, slice))
			if profiled != nil {
				if err := <-profiled; err != nil {
					fmt.Fprintln(os.Stderr, "bench:", err)
				}
			}
		}
	}
	byName := map[string][]result{}
	for i, t := range targets {
		byName[t.name] = per[i]
	}
	fmt.Printf("## Saturation (%d concurrent requests; %d rounds of %s per target, taken in turn)\n\n", f.concurrency, rounds, slice)
	fmt.Printf("| target | requests/s | vs bare proxy | vs Caddy | p50 | p99 | errors |\n|---|---|---|---|---|---|---|\n")
	sat := map[string]result{}
	for i, t := range targets {
		r := merge(per[i])
		sat[t.name] = r
		fmt.Printf("| %s | %.0f | %s | %s | %s | %s | %d |\n", t.name, r.rps(), ratio(per[i], byName, bareName, t.name), ratio(per[i], byName, caddyName, t.name),
			r.percentile(0.5).Round(time.Microsecond), r.percentile(0.99).Round(time.Microsecond), r.errors)
	}
	return sat
}

// merge adds up a target's rounds.
func merge(rs []result) result {
	var m result
	for _, r := range rs {
		m.requests += r.requests
		m.errors += r.errors
		m.elapsed += r.elapsed
		m.latencies = append(m.latencies, r.latencies...)
	}
	slices.Sort(m.latencies)
	return m
}

// ratio is the median over the rounds of a target's throughput over the
// base's in the same round, with the smallest and largest when there are
// several; "—" for the base itself, the baselines, or a base that did not
// run.
func ratio(rs []result, byName map[string][]result, base, name string) string {
	bs, ok := byName[base]
	if !ok || name == base || name == direct || name == bareName || len(bs) != len(rs) {
		return "—"
	}
	var q []float64
	for i := range rs {
		if b := bs[i].rps(); b > 0 {
			q = append(q, rs[i].rps()/b)
		}
	}
	if len(q) == 0 {
		return "—"
	}
	slices.Sort(q)
	med := q[len(q)/2]
	if len(q)%2 == 0 {
		med = (q[len(q)/2-1] + q[len(q)/2]) / 2
	}
	if len(q) == 1 {
		return fmt.Sprintf("%.2f×", med)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", med, q[0], q[len(q)-1])
}

// fixedRatePhase measures latency at f.rate requests per second, with
// each Drawbridge p99's excess over the bare proxy's.
func fixedRatePhase(ctx context.Context, f flags, targets []target, _ map[string]result) {
	fmt.Printf("\n## Fixed rate (%d requests/s, latency from when each request was due)\n\n| target | achieved/s | p50 | p99 | p99 − bare proxy's | errors |\n|---|---|---|---|---|---|\n", f.rate)
	var bareP99 time.Duration
	for _, t := range targets {
		r := fixedRate(ctx, t, f.rate, f.duration)
		p99 := r.percentile(0.99)
		excess := "—"
		if t.name == bareName {
			bareP99 = p99
		} else if t.name != direct && bareP99 > 0 {
			excess = (p99 - bareP99).Round(time.Microsecond).String()
		}
		fmt.Printf("| %s | %.0f | %s | %s | %s | %d |\n", t.name, r.rps(), r.percentile(0.5).Round(time.Microsecond), p99.Round(time.Microsecond), excess, r.errors)
	}
}

// streamPhase holds idle SSE streams open through a fresh gateway for
// each pair of protocols: clients over HTTP/1.1 and over h2c, the
// gateway to the backend over HTTP/1.1 (the default) and over h2c
// (backend_http2).
func streamPhase(ctx context.Context, f flags, bin, dir, backendURL string, limit uint64) error {
	// A stream costs the gateway a file descriptor on each side that does
	// not share connections, so the open-file limit caps how many one
	// process can hold over HTTP/1.1.
	fds := int(limit - 200)
	var held []string
	fmt.Printf("\n## Idle SSE streams through Drawbridge\n\n| client protocol | backend protocol | streams asked | open at once | failed | gateway RSS before → after | per stream |\n|---|---|---|---|---|---|---|\n")
	for i, phase := range []struct {
		client, backend string
		n               int
		h2c, backendH2  bool
	}{
		{"HTTP/1.1, a connection each", "HTTP/1.1, a connection each", min(f.streams, fds/2), false, false},
		{"h2c, shared connections", "HTTP/1.1, a connection each", min(f.streams, fds), true, false},
		{"HTTP/1.1, a connection each", "h2c, shared connections", min(f.streams, fds), false, true},
		{"h2c, shared connections", "h2c, shared connections", f.streams, true, true},
	} {
		name := fmt.Sprintf("streams%d", i)
		gw, err := startDrawbridge(ctx, bin, filepath.Join(dir, name), backendURL, sqliteStorage(dir, name), "audit: {store: false}\nh2c: true\n", phase.backendH2, f.profile != "")
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
		fmt.Printf("| %s | %s | %d | %d | %d | %d MiB → %d MiB | %d KiB |\n",
			phase.client, phase.backend, phase.n, s.opened, s.failed, s.rssBefore>>20, s.rssAfter>>20, s.perStream()>>10)
		if f.profile != "" {
			held = append(held, fmt.Sprintf("- %s → %s: held: %s; after a collection: %s", phase.client, phase.backend,
				s.rtHeld.perStream(s.rtBefore, s.opened), s.rtCollected.perStream(s.rtBefore, s.opened)))
		}
	}
	if len(held) > 0 {
		fmt.Printf("\nPer stream, from the Go runtime (profiles in %s.heap*):\n\n%s\n", f.profile, strings.Join(held, "\n"))
	}
	return nil
}

// authorizationServerPhase runs the authorization server's rows on a
// fresh gateway on SQLite and, when DRAWBRIDGE_TEST_POSTGRES names a
// server, on a fresh PostgreSQL database.
func authorizationServerPhase(ctx context.Context, f flags, bin, dir, backendURL string) error {
	fmt.Printf("\n## Authorization server (%d browsers at once)\n\n", f.flows)
	fmt.Printf("Complete authorizations: each in a fresh browser (authorize, sign in with the password, consent, code → token), ")
	fmt.Printf("the code → token exchange of each also timed (beside the other browsers' sign-ins). ")
	fmt.Printf("Code → token at once: rounds in which every browser gets a code, then all redeem theirs at the same moment. ")
	fmt.Printf("Refreshes: each browser's refresh token rotated again and again.\n\n")
	fmt.Printf("| store | concurrent | complete authorizations/s | their code → token p50 | p99 | code → token at once p50 | p99 | codes redeemed at once | refreshes/s | refresh p99 | errors |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	stores := []struct{ name, yaml string }{{"SQLite", sqliteStorage(dir, "as")}}
	if base := os.Getenv("DRAWBRIDGE_TEST_POSTGRES"); base != "" {
		dsn, drop, err := postgresDatabase(ctx, base)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		defer drop()
		stores = append(stores, struct{ name, yaml string }{"PostgreSQL", fmt.Sprintf("{type: postgres, postgres: {dsn: %q}}", dsn)})
	}
	results := make([]asResult, len(stores))
	for i, st := range stores {
		gw, err := startDrawbridge(ctx, bin, filepath.Join(dir, "as-"+st.name), backendURL, st.yaml, "", false, false)
		if err != nil {
			return err
		}
		base := "http://" + gw.addr
		calls := target{name: "tools/call beside the sign-ins", url: base + "/mcp", token: gw.tokens["/mcp"]}
		results[i], err = authorizationServer(ctx, base, base+"/mcp", calls, f.flows, f.duration)
		gw.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		printAuthorizationServer(st.name, results[i], f.flows)
	}
	fmt.Printf("\nMCP tools/call through the same gateway at %d/s (latency from when each was due): alone, then during the complete authorizations.\n\n", callRate)
	fmt.Printf("| store | alone p50 | alone p99 | during sign-ins p50 | during sign-ins p99 | errors |\n|---|---|---|---|---|---|\n")
	for i, st := range stores {
		printCallsBeside(st.name, results[i])
	}
	if os.Getenv("DRAWBRIDGE_TEST_POSTGRES") == "" {
		fmt.Printf("\nPostgreSQL skipped: set DRAWBRIDGE_TEST_POSTGRES to a server's DSN (a database is created and dropped).\n")
	}
	return nil
}

// allocationPhase prints BenchmarkProxy's allocations per request.
func allocationPhase(ctx context.Context) error {
	res, order, err := proxyAllocs(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("\n## Allocations per proxied request (BenchmarkProxy, in process: client, proxy and backend)\n\n| case | allocs/op | B/op | allocs vs bare proxy |\n|---|---|---|---|\n")
	bare, ok := res["bare-reverse-proxy"]
	for _, name := range order {
		r := res[name]
		vs := "—"
		if ok && name != "bare-reverse-proxy" && name != "direct" && bare[0] > 0 {
			vs = fmt.Sprintf("%.2f×", r[0]/bare[0])
		}
		fmt.Printf("| %s | %.0f | %.0f | %s |\n", name, r[0], r[1], vs)
	}
	return nil
}

func sqliteStorage(dir, name string) string {
	return fmt.Sprintf("{sqlite: {path: %q}}", filepath.Join(dir, name, "db.sqlite"))
}

// The local user the authorization rows sign in as.
const (
	benchUser     = "bench"
	benchPassword = "bench-password-not-secret"
)

var benchHash string

// startDrawbridge runs the real binary with a generated configuration (plus
// extra YAML) in dir and gets an access token for each of its two servers
// with the client_credentials grant; with backendH2 it speaks h2c to the
// backend (backend_http2). Both servers front the same backend:
// /mcp only checks the token; /governed also evaluates a policy (with a
// CEL condition) and two rate limits on every call, set high enough never
// to refuse, so that the difference is their cost.
func startDrawbridge(ctx context.Context, bin, dir, backendURL, storage, extra string, backendH2, pprof bool) (*proc, error) {
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
storage: %s
encryption_keys: [{id: bench, key: %q}]
identity:
  local:
    users: [{username: %s, password_hash: %q}]
clients:
  - {id: bench, secret: %q, grant_types: [client_credentials]}
servers:
  - {name: backend, path: /mcp, upstream: %[8]q, backend_http2: %[9]t, scopes: [bench], headers: {x-backend-key: bench}}
  - name: governed
    path: /governed
    upstream: %[8]q
    backend_http2: %[9]t
    scopes: [bench]
    headers: {x-backend-key: bench}
    policy:
      default: deny
      rules:
        - {name: no-secret-snippets, tools: [get_snippet], when: 'request.arguments.snippetname.startsWith("secret")', effect: deny}
        - {name: snippets, tools: [get_snippet, list_snippets, save_snippet], effect: allow, require_scopes: [bench]}
rate_limits:
  # The authorization rows sign in, authorize and redeem from one address
  # as fast as they can; the per-address limits would stop them.
  auth: {token_per_minute: -1, authorize_per_minute: -1, login_per_minute: -1}
  rules:
    - {name: calls-per-client-and-tool, servers: [governed], per: [client, tool], methods: [tools/call], rate: 100000000, every: 1s}
    - {name: daily-quota-per-client, servers: [governed], per: [client], quota: 1000000000, window: day}
`, addr, addr, storage, tokens.GenerateKey(), benchUser, benchHash, secret, backendURL, backendH2) + extra
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
