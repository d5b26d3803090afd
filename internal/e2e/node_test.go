package e2e

import (
	"bytes"
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
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// The environment scripts/install-node-tools --env exports.
const (
	envNode    = "DRAWBRIDGE_NODE"
	envModules = "DRAWBRIDGE_NODE_MODULES"
)

// nodeTools locates Node 22 and the locked npm packages.
type nodeTools struct {
	node    string // the Node 22 executable
	modules string // the node_modules directory npm ci filled
}

// needNode returns the Node tools, or skips the test when they were never
// installed: a fresh checkout's `go test ./...` must pass without them.
func needNode(t *testing.T) nodeTools {
	t.Helper()
	nt := nodeTools{node: os.Getenv(envNode), modules: os.Getenv(envModules)}
	if nt.node == "" || nt.modules == "" {
		t.Skipf("Node 22 tools not installed; run scripts/install-node-tools (eval \"$(scripts/install-node-tools --env)\" sets %s and %s)", envNode, envModules)
	}
	// Variables that are set but point nowhere are a broken CI setup, which
	// must fail rather than quietly skip the only tests with real clients.
	for _, p := range []string{nt.node, nt.modules} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s/%s set, but: %v (rerun scripts/install-node-tools)", envNode, envModules, err)
		}
	}
	return nt
}

// bin is the script behind an npm package's executable, read from its
// package.json so a new release that moves the file still resolves.
func (nt nodeTools) bin(t *testing.T, pkg, name string) string {
	t.Helper()
	dir := filepath.Join(nt.modules, filepath.FromSlash(pkg))
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Bin map[string]string `json:"bin"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/package.json: %v", pkg, err)
	}
	rel, ok := m.Bin[name]
	if !ok {
		t.Fatalf("%s has no executable %q (bin: %v)", pkg, name, m.Bin)
	}
	return filepath.Join(dir, filepath.FromSlash(rel))
}

// env is the environment of a Node program under test. HOME is a fresh
// directory so that nothing (mcp-remote's ~/.mcp-auth, npm's cache) is read
// from or left in the real one; Node 22 leads PATH so any `node` the program
// starts is the same one; no display and a BROWSER that does nothing, so a
// client that tries to open the authorization URL (the user's job, which the
// test plays) never starts a real browser.
func (nt nodeTools) env(home string) []string {
	drop := map[string]bool{"HOME": true, "PATH": true, "DISPLAY": true, "WAYLAND_DISPLAY": true, "BROWSER": true,
		"NODE_OPTIONS": true, "NODE_PATH": true, "FORCE_COLOR": true, "MCP_REMOTE_CONFIG_DIR": true}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+home,
		"PATH="+filepath.Dir(nt.node)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"BROWSER=true", "NO_COLOR=1",
	)
	return env
}

// proc is a running Node program whose output the test reads line by line
// while it runs.
type proc struct {
	*lineLog
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser // for programs the test talks to between steps
}

// startNode runs `node args...` in dir. The process dies with ctx and, at
// the latest, when the test ends.
func startNode(t *testing.T, ctx context.Context, nt nodeTools, dir string, env []string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	p := &proc{lineLog: newLineLog(), name: filepath.Base(args[0])}
	p.cmd = exec.CommandContext(ctx, nt.node, args...)
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stdout = p.writer("stdout")
	p.cmd.Stderr = p.writer("stderr")
	// A child the program started (a browser opener) may hold the pipes
	// open; do not let it keep Wait from returning.
	p.cmd.WaitDelay = 5 * time.Second
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() { p.end(p.cmd.Wait()) }()
	t.Cleanup(func() {
		cancel()
		_ = p.wait(context.Background())
	})
	return p
}

// lineLog collects a program's output as lines and lets the test wait for
// a line (an authorization URL, a result) instead of sleeping.
type lineLog struct {
	writers []*lineWriter // set up before the program starts

	mu      sync.Mutex
	lines   []procLine
	changed chan struct{} // closed and replaced on every new line and at the end
	ended   bool
	err     error // the program's exit error, once ended
}

type procLine struct{ stream, text string }

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func (l *lineLog) add(stream, text string) {
	l.mu.Lock()
	l.lines = append(l.lines, procLine{stream, ansi.ReplaceAllString(text, "")})
	l.broadcast()
	l.mu.Unlock()
}

// end records that the program exited (err is Wait's result, which
// returns after the output was copied), keeping an unterminated last line.
func (l *lineLog) end(err error) {
	for _, w := range l.writers {
		if len(w.buf) > 0 {
			l.add(w.stream, string(w.buf))
			w.buf = nil
		}
	}
	l.mu.Lock()
	l.ended, l.err = true, err
	l.broadcast()
	l.mu.Unlock()
}

func (l *lineLog) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// writer is an io.Writer for one of the program's streams; it hands
// complete lines to the log.
func (l *lineLog) writer(stream string) io.Writer {
	w := &lineWriter{log: l, stream: stream}
	l.writers = append(l.writers, w)
	return w
}

type lineWriter struct {
	log    *lineLog
	stream string
	buf    []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.log.add(w.stream, strings.TrimSuffix(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

// waitLine returns the first line at or after *from that match accepts, and
// moves *from past it. It fails when ctx ends or the program exits first.
func (l *lineLog) waitLine(ctx context.Context, from *int, match func(string) bool) (string, error) {
	for {
		l.mu.Lock()
		for ; *from < len(l.lines); *from++ {
			if s := l.lines[*from].text; match(s) {
				*from++
				l.mu.Unlock()
				return s, nil
			}
		}
		ended, err, changed := l.ended, l.err, l.changed
		l.mu.Unlock()
		if ended {
			return "", fmt.Errorf("the program exited (%v) before printing the line the test waits for", err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", fmt.Errorf("%w while waiting for the program's output", ctx.Err())
		}
	}
}

// hasLine reports whether a line at or after *from, printed so far,
// matches; it does not wait.
func (l *lineLog) hasLine(from *int, match func(string) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ; *from < len(l.lines); *from++ {
		if match(l.lines[*from].text) {
			return true
		}
	}
	return false
}

// wait waits for the program to exit and returns its exit error.
func (l *lineLog) wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		ended, err, changed := l.ended, l.err, l.changed
		l.mu.Unlock()
		if ended {
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("the program is still running: %w", ctx.Err())
		}
	}
}

// transcript is everything the program printed, for failure messages.
func (l *lineLog) transcript() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, ln := range l.lines {
		fmt.Fprintf(&b, "%s| %s\n", ln.stream, ln.text)
	}
	return b.String()
}

// signIn is the user: it opens authURL in a browser, signs in as alice,
// approves the client, and lets the browser's last redirect reach the
// client's loopback callback, exactly as a real browser would. It returns
// the authorization response the client received.
func signIn(gw *gwtest.Gateway, authURL string) (*url.URL, error) {
	cb, err := approve(gw, authURL)
	if err != nil {
		return cb, err
	}
	return cb, deliver(cb)
}

// approve is the part of signIn up to the redirect to the client: the
// browser stops there and returns the authorization response URL.
func approve(gw *gwtest.Gateway, authURL string) (*url.URL, error) {
	br := browser.New(gw.URL)
	p, err := br.SignInLocal(authURL, gwtest.User, gwtest.Password, true)
	if err != nil {
		return nil, fmt.Errorf("sign-in: %v\ntrace:\n%s", err, strings.Join(br.Trace, "\n"))
	}
	cb := p.Callback
	if cb == nil {
		return nil, fmt.Errorf("no redirect to the client; stopped at %s (%d)\n%s\ntrace:\n%s", p.Path(), p.Resp.StatusCode, p.Body, strings.Join(br.Trace, "\n"))
	}
	// Never let the browser wander off the machine: a client's redirect
	// URI here is always its own loopback listener.
	if cb.Scheme != "http" || !oauth.IsLoopbackHost(cb.Hostname()) {
		return nil, fmt.Errorf("the authorization response goes to %s, not to a loopback callback", cb.Redacted())
	}
	if e := cb.Query().Get("error"); e != "" {
		return cb, fmt.Errorf("authorization error %s: %s", e, cb.Query().Get("error_description"))
	}
	return cb, nil
}

// deliver is the browser's last request: the authorization response,
// to the client's own callback server.
func deliver(cb *url.URL) error {
	resp, err := http.Get(cb.String())
	if err != nil {
		return fmt.Errorf("deliver the authorization response to the client: %v", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return fmt.Errorf("the client's callback answered %d: %s", resp.StatusCode, body)
	}
	return nil
}

// freePort returns a loopback port nobody listens on, for a program that
// must be told its callback port before it starts. Another process could
// take it in between; on a test machine that is rare enough, and it shows
// as the program failing to listen, not as a wrong result.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
