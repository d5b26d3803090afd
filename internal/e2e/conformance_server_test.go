package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// everythingServerPkg is the Go SDK's conformance fixture: one MCP server
// with every feature the suite's server scenarios exercise. It is built
// from the go-sdk version go.mod requires, so the fixture moves with the
// SDK the gateway is built with.
const everythingServerPkg = "github.com/modelcontextprotocol/go-sdk/conformance/everything-server"

// conformanceServerConfigs are the ways the suite's `server` command is run,
// one per requirement set (the scenarios a protocol revision requires, run
// at that revision's wire: the initialize handshake and sessions through
// 2025-11-25, sessionless with per-request _meta from 2026-07-28) and kind
// of backend. Each runs twice, directly against the fixture and through the
// gateway, and the two runs must report the same checks with the same
// results. Every check that does not pass needs an explanation
// (testdata/conformance-explanations.yaml), directly too: a direct failure
// nobody explained means the run is broken, and comparing two broken runs
// would prove nothing.
//
// New configurations go here, not in a new test.
var conformanceServerConfigs = []struct {
	name string
	// title names the run through the gateway in docs/conformance.md.
	title string
	// requirements is the suite's --requirements: the protocol revision
	// whose requirement set runs.
	requirements string
	// fixtureArgs are the everything-server's flags besides -http, for the
	// direct run and, unless stdio is set, for the gateway's backend.
	fixtureArgs []string
	// stdio, when set, makes the gateway's backend the fixture as a stdio
	// server (no -http), run by the gateway's bridge (internal/stdio) in
	// this mode. The suite can reach a stdio server only through a bridge,
	// so the direct run stays against the HTTP fixture, and the scorecard
	// shows that direct run once, from the HTTP configuration.
	stdio string
	// differs are the checks whose result is expected to change, each
	// with the reason. It must stay empty for HTTP backends: there the
	// gateway only proxies. The exact change is required, so an entry that
	// stops applying fails the test instead of lingering.
	differs []knownDiff
	// waitsFor, when set, skips the configuration and says why.
	waitsFor string
}{
	{
		// Against the legacy-era stateful fixture: sessions, GET streams,
		// server-to-client requests.
		name:         "2025-11-25-stateful",
		title:        "through Drawbridge",
		requirements: "2025-11-25",
		fixtureArgs:  []string{"-stateless=false"},
	},
	{
		// The fixture as a stdio backend, a process per session, against
		// the stateful HTTP fixture's results.
		name:         "2025-11-25-stdio",
		title:        "through Drawbridge, stdio backend",
		requirements: "2025-11-25",
		fixtureArgs:  []string{"-stateless=false"},
		stdio:        "per-session",
		// The bridge answers a call with a JSON body unless the process
		// sends something else first (internal/stdio doc.go), where the
		// SDK's HTTP handler always streams; the spec allows either.
		differs: []knownDiff{
			{check: "server-sse-multiple-streams/server-sse-streams-functional", direct: "SUCCESS", through: "INFO",
				why: "the suite reports INFO, \"SSE streaming is optional\""},
			// server-sse-polling (not scored: pending) tests resuming an SSE
			// stream; given JSON, it says so (INFO) and stops.
			{check: "server-sse-polling/server-sse-content-type", through: "INFO",
				why: "the suite notes that the server returned JSON instead of an SSE stream"},
			{check: "server-sse-polling/server-sse-priming-event", direct: "WARNING", why: "no stream to prime"},
			{check: "server-sse-polling/server-sse-retry-field", direct: "SUCCESS", why: "no stream to carry retry"},
			{check: "server-sse-polling/server-sse-disconnect-resume", direct: "INFO", why: "no stream to resume"},
			{check: "server-sse-polling/stream-closed", direct: "INFO", why: "no stream to close"},
		},
	},
	{
		// Sessionless, Mcp-Method/Mcp-Name headers, input-required
		// results, against the stateless fixture.
		name:         "2026-07-28-stateless",
		title:        "through Drawbridge",
		requirements: "2026-07-28",
	},
	{
		// The 2026-07-28 requirements are sessionless, and a stdio server
		// serves them only if it answers server/discover with 2026-07-28.
		name:         "2026-07-28-stdio",
		title:        "through Drawbridge, stdio backend",
		requirements: "2026-07-28",
		stdio:        "shared",
		waitsFor: "a fixture that speaks 2026-07-28 over stdio: go-sdk v1.8.0's everything-server answers " +
			"server/discover on stdio with \"method not found\", so the bridge serves it as a session-based " +
			"server only and answers every sessionless request with UnsupportedProtocolVersion (internal/stdio, " +
			"doc.go, \"The 2026-07-28 revision\"); with this fixture the run gives 61 passed, 92 failed",
	},
}

// knownDiff is a check whose status legitimately differs through the
// gateway.
type knownDiff struct {
	check string // scenario/id
	// direct and through are the statuses; "" when that run does not
	// report the check at all.
	direct, through string
	why             string
}

// conformanceResourceServer runs the official MCP conformance suite's
// `server` command against the Go SDK's everything-server, first directly
// and then through Drawbridge, and requires the same result for every
// check: the gateway must be invisible to a conforming server and client,
// whatever the protocol era. Both runs go to the scorecard.
//
// The suite cannot obtain a token, so a small forwarding proxy in front of
// the gateway (tokenShim) adds a real access token, issued by the gateway
// to alice through the usual authorization code flow, and changes nothing
// else: Host and Origin arrive as the suite sent them, so the suite's DNS
// rebinding scenario tests the gateway's own origin check. The gateway's
// public URL is the shim's, as it would be behind a TLS terminator; with
// any other public URL the gateway would rightly refuse the suite's
// same-origin requests as foreign.
func conformanceResourceServer(t *testing.T, nt nodeTools, sc *scorecard) {
	cli := nt.bin(t, "@modelcontextprotocol/conformance", "conformance")
	fixture := buildEverythingServer(t)

	for _, cfg := range conformanceServerConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			if cfg.waitsFor != "" {
				t.Skip("waits for " + cfg.waitsFor)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			reqs := readRequirementSet(t, nt, cfg.requirements)
			fixtureURL := startEverythingServer(t, ctx, fixture, cfg.fixtureArgs...)
			shim := newTokenShim(t)
			opt := gwtest.Options{PublicURL: shim.URL}
			path, scope := "/mcp", "snippets" // gwtest's own server, here proxying to the fixture
			if cfg.stdio == "" {
				opt.Upstream = fixtureURL
			} else {
				path, scope = "/everything/mcp", "everything"
				opt.ExtraYAML = fmt.Sprintf("  - {name: everything, path: %s, command: [%q], scopes: [%s], stdio: {mode: %s}}\n",
					path, fixture, scope, cfg.stdio)
			}
			gw := gwtest.Start(t, opt)
			shim.forwardTo(t, gw.Direct)
			endpoint := gw.URL + path
			shim.token.Store(accessToken(t, gw, endpoint, scope))

			suiteArgs := []string{"--requirements", cfg.requirements}
			direct := runConformanceServer(t, ctx, nt, cli, fixtureURL, suiteArgs)
			through := runConformanceServer(t, ctx, nt, cli, endpoint, suiteArgs)
			if timedOut := through.timedOut(); len(timedOut) > 0 {
				// The comparison below fails; the gateway's log tells
				// where the exchange stalled.
				t.Logf("through the gateway, %v did not finish within the suite's timeout. The gateway's log:\n%s", timedOut, gw.Logs.String())
			}
			t.Logf("directly: %s; through the gateway: %s", direct.summary(), through.summary())

			// A broken direct run (no fixture, a crashed suite) would make
			// the comparison vacuous.
			if direct.passed() == 0 {
				t.Fatalf("the direct run passed no checks\n%s", direct.report())
			}
			for target, run := range map[string]suiteRun{targetDirect: direct, targetGateway: through} {
				r := newScoreRun(roleResourceServer, cfg.name, target, cfg.requirements, run.checks, reqs.scored("server"))
				if missing := reqs.missingRequired("server", r); len(missing) > 0 {
					t.Errorf("%s: the suite did not report the required scenarios %v", target, missing)
				}
				if target == targetGateway || cfg.stdio == "" {
					sc.record(t, r)
				}
			}
			lost, gained := diffChecks(direct.checks, through.checks)
			for _, d := range cfg.differs {
				inLost, inGained := true, true
				if d.direct != "" {
					lost, inLost = removeCheck(lost, d.check, d.direct)
				}
				if d.through != "" {
					gained, inGained = removeCheck(gained, d.check, d.through)
				}
				if !inLost || !inGained {
					t.Errorf("expected %s to change from %s to %s through the gateway (%s); it did not: remove it from differs",
						d.check, orAbsent(d.direct), orAbsent(d.through), d.why)
				}
			}
			if len(lost)+len(gained) > 0 {
				t.Errorf("the gateway changed the conformance results\n  directly only:\n    %s\n  through the gateway only:\n    %s",
					strings.Join(orNone(lost), "\n    "), strings.Join(orNone(gained), "\n    "))
			}
			if t.Failed() {
				t.Logf("through the gateway:\n%s", through.report())
			}
		})
	}
}

// accessToken signs alice in with a fresh client and returns an access
// token for the MCP server at resource.
func accessToken(t *testing.T, gw *gwtest.Gateway, resource, scope string) string {
	t.Helper()
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": resource, "scope": scope}), gwtest.User, gwtest.Password, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Callback == nil || p.Callback.Query().Get("code") == "" {
		t.Fatalf("no authorization code; stopped at %s (%d)\n%s", p.Path(), p.Resp.StatusCode, p.Body)
	}
	status, body := c.Token(url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {resource}})
	tok, _ := body["access_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("token: %d %v", status, body)
	}
	return tok
}

// buildEverythingServer builds the fixture with this module's go.mod, so it
// is the go-sdk version the gateway uses.
func buildEverythingServer(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		// go test puts its own go command on PATH; only a copied test
		// binary lacks it.
		t.Skipf("no go command on PATH to build %s: %v", everythingServerPkg, err)
	}
	bin := filepath.Join(t.TempDir(), "everything-server")
	cmd := exec.Command(gobin, "build", "-o", bin, everythingServerPkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", everythingServerPkg, err, out)
	}
	return bin
}

// startEverythingServer runs the fixture on a loopback port until the test
// ends and returns its MCP URL once it accepts connections. The fixture
// answers on every path; /mcp is the usual one.
func startEverythingServer(t *testing.T, ctx context.Context, bin string, args ...string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	out := newLineLog()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-http", addr}, args...)...)
	cmd.Stdout = out.writer("stdout")
	cmd.Stderr = out.writer("stderr")
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { out.end(cmd.Wait()) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = out.wait(context.Background())
	})
	// It logs before it listens, so poll the port itself.
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "http://" + addr + "/mcp"
		}
		out.mu.Lock()
		ended := out.ended
		out.mu.Unlock()
		if ended {
			t.Fatalf("everything-server exited before listening:\n%s", out.transcript())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("everything-server is not listening on %s: %v\n%s", addr, err, out.transcript())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tokenShim is the conformance suite's missing OAuth client: a reverse
// proxy that adds a bearer token to every request once the test has one,
// and passes everything else, Host and Origin included, as it came.
type tokenShim struct {
	URL   string
	ln    net.Listener
	token atomic.Value // string
}

// newTokenShim reserves the shim's address, which the gateway must know as
// its public URL before it starts; forwardTo starts serving.
func newTokenShim(t *testing.T) *tokenShim {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &tokenShim{URL: "http://" + ln.Addr().String(), ln: ln}
	s.token.Store("")
	return s
}

func (s *tokenShim) forwardTo(t *testing.T, gateway string) {
	t.Helper()
	target, err := url.Parse(gateway)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			if tok := s.token.Load().(string); tok != "" {
				pr.Out.Header.Set("Authorization", "Bearer "+tok)
			}
		},
		FlushInterval: -1, // SSE events one by one, as the gateway sends them
	}
	// The request body is read into memory before it is forwarded, as the
	// gateway itself does. Streamed, it races with the response: once the
	// response headers are flushed, net/http closes the inbound body, and
	// the transport's final read of it (the check for bytes beyond
	// Content-Length) can then fail, which closes the connection to the
	// gateway in the middle of the response stream.
	buffered := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		proxy.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: buffered, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(s.ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// suiteRun is one `conformance server` run's results.
type suiteRun struct {
	checks     []conformanceCheck
	transcript string
}

// runConformanceServer runs the suite's server scenarios against target and
// reads the checks.json each scenario wrote.
func runConformanceServer(t *testing.T, ctx context.Context, nt nodeTools, cli, target string, suiteArgs []string) suiteRun {
	t.Helper()
	out := t.TempDir()
	args := append([]string{cli, "server", "--url", target, "--output-dir", out}, suiteArgs...)
	p := startNode(t, ctx, nt, t.TempDir(), nt.env(t.TempDir()), args...)
	// The exit status says whether every scored check passed, which the
	// fixture alone does not achieve for every configuration; the checks
	// themselves are compared instead.
	exitErr := p.wait(ctx)
	if ctx.Err() != nil {
		t.Fatalf("conformance server --url %s: %v\n%s", target, exitErr, p.transcript())
	}
	checks, err := readServerChecks(out)
	if err != nil {
		t.Fatalf("conformance server --url %s (exit: %v): %v\n%s", target, exitErr, err, p.transcript())
	}
	return suiteRun{checks: checks, transcript: p.transcript()}
}

func (r suiteRun) passed() int {
	n := 0
	for _, c := range r.checks {
		if c.Status == "SUCCESS" {
			n++
		}
	}
	return n
}

// summary counts as the suite's own summary does: SUCCESS passed, FAILURE
// failed; warnings and skips are named when there are any.
func (r suiteRun) summary() string {
	count := map[string]int{}
	for _, c := range r.checks {
		count[c.Status]++
	}
	s := fmt.Sprintf("%d passed, %d failed", count["SUCCESS"], count["FAILURE"])
	for _, st := range []string{"WARNING", "SKIPPED", "INFO"} {
		if count[st] > 0 {
			s += fmt.Sprintf(", %d %s", count[st], strings.ToLower(st))
		}
	}
	return s + fmt.Sprintf(" (%d checks)", len(r.checks))
}

func (r suiteRun) report() string {
	var b strings.Builder
	for _, c := range r.checks {
		fmt.Fprintf(&b, "  %-60s %s %s\n", c.key(), c.Status, c.ErrorMessage)
	}
	return b.String() + "suite output:\n" + r.transcript
}

// key names a check: several checks of a scenario may share an id (one per
// header tried, say) but not also a name.
// timedOut lists the scenarios the suite gave up on.
func (r suiteRun) timedOut() []string {
	var out []string
	for _, c := range r.checks {
		if c.ID == "scenario-timeout" && c.Status != "SUCCESS" {
			out = append(out, c.scenario)
		}
	}
	return out
}

func (c conformanceCheck) key() string {
	return c.scenario + "/" + c.ID + " (" + c.Name + ")"
}

// diffChecks compares two runs as multisets of (check, status): what only
// the first run reported and what only the second did.
func diffChecks(a, b []conformanceCheck) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, c := range a {
		count[c.key()+" "+c.Status]++
	}
	for _, c := range b {
		count[c.key()+" "+c.Status]--
	}
	for _, c := range a {
		if k := c.key() + " " + c.Status; count[k] > 0 {
			onlyA = append(onlyA, k+": "+c.ErrorMessage)
			count[k]--
		}
	}
	for _, c := range b {
		if k := c.key() + " " + c.Status; count[k] < 0 {
			onlyB = append(onlyB, k+": "+c.ErrorMessage)
			count[k]++
		}
	}
	slices.Sort(onlyA)
	slices.Sort(onlyB)
	return onlyA, onlyB
}

// removeCheck removes the entry diffChecks made for check (scenario/id)
// with status, and reports whether there was one.
func removeCheck(entries []string, check, status string) ([]string, bool) {
	for i, e := range entries {
		key, rest, _ := strings.Cut(e, " (")
		if key == check && strings.Contains(rest, ") "+status+":") {
			return slices.Delete(entries, i, i+1), true
		}
	}
	return entries, false
}

// serverResultDir is the directory the suite writes one scenario's results
// to: server-<scenario>-<ISO time with - for : and .>.
var serverResultDir = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)

func readServerChecks(dir string) ([]conformanceCheck, error) {
	return readChecks(dir, func(base string) (string, error) {
		m := serverResultDir.FindStringSubmatch(base)
		if m == nil {
			return "", errors.New("not a server scenario's result directory: " + base)
		}
		return m[1], nil
	})
}

func orAbsent(status string) string {
	if status == "" {
		return "(not reported)"
	}
	return status
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"(none)"}
	}
	return s
}
