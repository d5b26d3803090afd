package stdio

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestMain(m *testing.M) {
	switch os.Getenv(fixtureEnv) {
	case "server":
		runFixture()
		os.Exit(0)
	case "sleeper":
		select {}
	}
	os.Exit(m.Run())
}

// fixtureOptions runs this test binary as the stdio server.
func fixtureOptions(t *testing.T, logs *logRecorder) Options {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Name:    "fixture",
		Command: []string{exe},
		// A -race binary sleeps 1s at exit unless told otherwise.
		Env:         map[string]string{fixtureEnv: "server", "GORACE": "atexit_sleep_ms=0"},
		GracePeriod: 2 * time.Second,
		Restart:     Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		Logger:      slog.New(logs),
	}
}

// harness is a bridge behind an httptest server.
type harness struct {
	b    *Bridge
	srv  *httptest.Server
	logs *logRecorder
}

// newHarness starts a bridge; change edits the options first. Cleanup
// closes the bridge and the server and checks that nothing is left
// running.
func newHarness(t *testing.T, change func(*Options)) *harness {
	t.Helper()
	logs := &logRecorder{}
	opt := fixtureOptions(t, logs)
	if change != nil {
		change(&opt)
	}
	b, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{b: b, srv: httptest.NewServer(b), logs: logs}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		h.srv.Close()
		checkNoGoroutines(t)
	})
	return h
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// connect opens an MCP client session through the bridge. version "" lets
// the client pick (the Go SDK tries 2026-07-28 first).
func (h *harness) connect(t *testing.T, version string, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, opts)
	cs, err := c.Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: h.srv.URL, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func callText(t *testing.T, cs *mcp.ClientSession, name string, args any) string {
	t.Helper()
	res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return resultText(t, res)
}

func resultText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("tool result: %+v", res)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

// eventually polls cond until it holds or the deadline passes: tests wait
// for conditions, never for fixed times.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoGoroutines fails if goroutines of this package outlive the bridge.
func checkNoGoroutines(t *testing.T) {
	t.Helper()
	var last string
	ok := func() bool {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		last = ""
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "internal/stdio.(*") && !strings.Contains(g, "checkNoGoroutines") {
				last = g
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("goroutine leaked:\n%s", last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// reaped reports whether pid is gone entirely: not running and not a
// zombie waiting for its parent (this test process) to collect it.
func reaped(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return os.IsNotExist(err)
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// logRecorder is a slog.Handler that keeps every record, with its
// attributes flattened to strings.
type logRecorder struct {
	mu      sync.Mutex
	records []logRecord
	attrs   []slog.Attr
	parent  *logRecorder
}

type logRecord struct {
	Time  time.Time
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

func (l *logRecorder) root() *logRecorder {
	if l.parent != nil {
		return l.parent.root()
	}
	return l
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Time: r.Time, Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	for _, a := range l.attrs {
		rec.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	root := l.root()
	root.mu.Lock()
	root.records = append(root.records, rec)
	root.mu.Unlock()
	return nil
}

func (l *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logRecorder{parent: l.root(), attrs: append(append([]slog.Attr{}, l.attrs...), attrs...)}
}

func (l *logRecorder) WithGroup(string) slog.Handler { return l }

// find returns the records for which match holds.
func (l *logRecorder) find(match func(logRecord) bool) []logRecord {
	root := l.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	var out []logRecord
	for _, r := range root.records {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

func (l *logRecorder) has(match func(logRecord) bool) bool { return len(l.find(match)) > 0 }
