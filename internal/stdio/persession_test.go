package stdio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestPerSessionToolsProgressAndStderr(t *testing.T) {
	h := newHarness(t, nil)
	var mu sync.Mutex
	var progress []*mcp.ProgressNotificationParams
	cs := h.connect(t, "", &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, req.Params)
			mu.Unlock()
		},
	})
	// The Go SDK client probes 2026-07-28 first; per-session mode refuses
	// it, and the client must have fallen back to a session.
	if got := cs.InitializeResult().ProtocolVersion; got != "2025-11-25" {
		t.Errorf("negotiated %q, want the 2025-11-25 fallback", got)
	}
	if cs.ID() == "" {
		t.Error("no Mcp-Session-Id issued")
	}
	if got := cs.InitializeResult().ServerInfo.Name; got != fixtureTitle {
		t.Errorf("server name %q", got)
	}
	tools, err := cs.ListTools(testContext(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tools.Tools, func(tl *mcp.Tool) bool { return tl.Name == "echo" }) {
		t.Errorf("tools/list lacks echo: %v", tools.Tools)
	}
	if got := callText(t, cs, "echo", map[string]any{"text": "hello"}); got != "echo: hello" {
		t.Errorf("echo = %q", got)
	}

	params := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{}}
	params.SetProgressToken("tok-1")
	res, err := cs.CallTool(testContext(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if got := resultText(t, res); got != "progress done" {
		t.Errorf("progress = %q", got)
	}
	// The client handles notifications asynchronously.
	var got []*mcp.ProgressNotificationParams
	eventually(t, "two progress notifications", func() bool {
		mu.Lock()
		defer mu.Unlock()
		got = slices.Clone(progress)
		return len(got) >= 2
	})
	for _, p := range got {
		if p.ProgressToken != "tok-1" || p.Total != 2 {
			t.Errorf("progress notification %+v, want token tok-1", p)
		}
	}

	eventually(t, "the echo stderr line in the log", func() bool {
		return h.logs.has(func(r logRecord) bool {
			return r.Level == slog.LevelInfo && r.Attrs["server"] == "fixture" && r.Attrs["line"] == "fixture: echo hello"
		})
	})
}

func TestPerSessionIsolationAndDelete(t *testing.T) {
	h := newHarness(t, nil)
	a := h.connect(t, "2025-11-25", nil)
	b := h.connect(t, "2025-11-25", nil)
	pa, _ := strconv.Atoi(callText(t, a, "pid", map[string]any{}))
	pb, _ := strconv.Atoi(callText(t, b, "pid", map[string]any{}))
	if pa == pb || pa == 0 || pb == 0 {
		t.Fatalf("sessions share a process: %d, %d", pa, pb)
	}
	if err := a.Close(); err != nil { // sends DELETE
		t.Fatal(err)
	}
	eventually(t, "the deleted session's process to be reaped", func() bool { return reaped(pa) })
	if got := callText(t, b, "echo", map[string]any{"text": "still here"}); got != "echo: still here" {
		t.Errorf("other session: %q", got)
	}
	if !running(pb) {
		t.Error("the other session's process stopped")
	}
}

func TestPerSessionCrash(t *testing.T) {
	h := newHarness(t, nil)
	cs := h.connect(t, "2025-11-25", nil)
	pid, _ := strconv.Atoi(callText(t, cs, "pid", map[string]any{}))
	_, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "crash", Arguments: map[string]any{"code": 3}})
	if err == nil {
		t.Fatal("the call that crashed the server succeeded")
	}
	eventually(t, "the exit to be logged with its status", func() bool {
		return h.logs.has(func(r logRecord) bool {
			return r.Msg == "mcp server exited unexpectedly" && r.Attrs["status"] == "exit status 3"
		})
	})
	eventually(t, "the crashed process to be reaped", func() bool { return reaped(pid) })
	// The session ended with its process.
	_, err = cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	if err == nil {
		t.Error("a call on the ended session succeeded")
	}
	h.b.mu.Lock()
	n := len(h.b.sessions)
	h.b.mu.Unlock()
	if n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

func TestServerToClientRequest(t *testing.T) {
	for _, mode := range []Mode{PerSession, Shared} {
		t.Run(string(mode), func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.Mode = mode })
			cs := h.connect(t, "2025-11-25", &mcp.ClientOptions{ElicitationHandler: answer})
			if got := callText(t, cs, "ask", map[string]any{"text": "q"}); got != "accept: reply to q" {
				t.Errorf("ask = %q", got)
			}
		})
	}
}

func answer(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": "reply to " + req.Params.Message}}, nil
}

func TestEnvironmentIsolation(t *testing.T) {
	t.Setenv("DRAWBRIDGE_TEST_SECRET", "hunter2")
	h := newHarness(t, func(o *Options) { o.Env["VISIBLE"] = "yes" })
	cs := h.connect(t, "2025-11-25", nil)
	got := callText(t, cs, "env", map[string]any{"names": []string{"DRAWBRIDGE_TEST_SECRET", "VISIBLE", "PATH"}})
	want := "DRAWBRIDGE_TEST_SECRET=<unset>;VISIBLE=yes;PATH=" + os.Getenv("PATH")
	if got != want {
		t.Errorf("child env = %q, want %q", got, want)
	}
}

// Close stops a server that ignores stdin EOF and SIGTERM, and kills
// what it spawned; a server that exits on EOF loses its children too.
func TestCloseKillsProcessGroup(t *testing.T) {
	for _, stubborn := range []bool{false, true} {
		t.Run(fmt.Sprintf("stubborn=%v", stubborn), func(t *testing.T) {
			h := newHarness(t, func(o *Options) {
				if stubborn {
					o.Env[stubbornEnv] = "1"
				}
				o.GracePeriod = 100 * time.Millisecond
			})
			cs := h.connect(t, "2025-11-25", nil)
			pid, _ := strconv.Atoi(callText(t, cs, "pid", map[string]any{}))
			gpid, _ := strconv.Atoi(callText(t, cs, "grandchild", map[string]any{}))
			if !running(gpid) {
				t.Fatal("grandchild not running")
			}
			if err := h.b.Close(); err != nil {
				t.Fatal(err)
			}
			if !reaped(pid) {
				t.Error("server not reaped when Close returned")
			}
			eventually(t, "the grandchild to die with its group", func() bool { return !running(gpid) })
			for _, msg := range []string{"mcp server did not exit after stdin closed; sending SIGTERM", "mcp server ignored SIGTERM; sending SIGKILL"} {
				if got := h.logs.has(func(r logRecord) bool { return r.Msg == msg }); got != stubborn {
					t.Errorf("log %q: %v, want %v", msg, got, stubborn)
				}
			}
		})
	}
}

func TestIdleTimeoutEndsSession(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.IdleTimeout = 50 * time.Millisecond })
	c := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := c.Connect(testContext(t), &mcp.StreamableClientTransport{Endpoint: h.srv.URL, DisableStandaloneSSE: true, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	eventually(t, "the idle session to end", func() bool {
		h.b.mu.Lock()
		defer h.b.mu.Unlock()
		return len(h.b.sessions) == 0
	})
	_, err = cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	if !errors.Is(err, mcp.ErrSessionMissing) {
		t.Errorf("call after idle timeout: %v, want ErrSessionMissing (a 404)", err)
	}
}

func TestBannerOnStdoutIsSkipped(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Env[bannerEnv] = "1" })
	cs := h.connect(t, "2025-11-25", nil)
	if got := callText(t, cs, "echo", map[string]any{"text": "ok"}); got != "echo: ok" {
		t.Errorf("echo = %q", got)
	}
	if !h.logs.has(func(r logRecord) bool { return r.Msg == "ignored a message that is not JSON-RPC" }) {
		t.Error("banner not logged")
	}
}

// A response over MaxMessageBytes is dropped, and its caller gets an error
// instead of waiting forever.
func TestOversizedResponse(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.MaxMessageBytes = 4096 })
	cs := h.connect(t, "2025-11-25", nil)
	_, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "big", Arguments: map[string]any{"code": 10000}})
	if err == nil || !strings.Contains(err.Error(), "size limit") {
		t.Errorf("oversized response: %v", err)
	}
	if got := callText(t, cs, "big", map[string]any{"code": 10}); got != "xxxxxxxxxx" {
		t.Errorf("small response after a big one: %q", got)
	}
}
