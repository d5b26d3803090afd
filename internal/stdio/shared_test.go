package stdio

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func sharedHarness(t *testing.T, change func(*Options)) *harness {
	return newHarness(t, func(o *Options) {
		o.Mode = Shared
		if change != nil {
			change(o)
		}
	})
}

func TestSharedOneProcessOneHandshake(t *testing.T) {
	h := sharedHarness(t, nil)
	a := h.connect(t, "2025-11-25", nil)
	b := h.connect(t, "2025-06-18", nil)
	if a.ID() == b.ID() {
		t.Fatal("two sessions got one id")
	}
	pa := callText(t, a, "pid", map[string]any{})
	pb := callText(t, b, "pid", map[string]any{})
	if pa != pb {
		t.Fatalf("shared mode ran two processes: %s, %s", pa, pb)
	}
	// The second session got the first one's InitializeResult, including
	// the version the process negotiated.
	if !reflect.DeepEqual(a.InitializeResult(), b.InitializeResult()) {
		t.Errorf("initialize results differ:\n%+v\n%+v", a.InitializeResult(), b.InitializeResult())
	}
	initialized := h.logs.find(func(r logRecord) bool { return r.Attrs["line"] == "fixture: initialized" })
	if len(initialized) != 1 {
		t.Errorf("the process saw %d notifications/initialized, want 1", len(initialized))
	}
	// The SDK server logs a second one as an error before ignoring it.
	// Wait for a later stderr line so that such an error would be in.
	callText(t, b, "echo", map[string]any{"text": "sync"})
	eventually(t, "the echo line", func() bool {
		return h.logs.has(func(r logRecord) bool { return r.Attrs["line"] == "fixture: echo sync" })
	})
	if errs := h.logs.find(func(r logRecord) bool { return strings.Contains(r.Attrs["line"], "level=ERROR") }); len(errs) > 0 {
		t.Errorf("the server logged errors: %v", errs)
	}
}

// Both clients number their requests from the same start, so their ids
// collide on the shared process. The barrier tool holds every call until
// all six are in flight at once; each must come back to its caller.
func TestSharedConcurrentCallsWithCollidingIDs(t *testing.T) {
	h := sharedHarness(t, nil)
	sessions := map[string]*mcp.ClientSession{
		"A": h.connect(t, "2025-11-25", nil),
		"B": h.connect(t, "2025-11-25", nil),
	}
	const perSession = 3
	var wg sync.WaitGroup
	errs := make(chan error, 2*perSession)
	for name, cs := range sessions {
		for i := range perSession {
			tag := fmt.Sprintf("%s%d", name, i)
			wg.Go(func() {
				res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: "barrier", Arguments: map[string]any{"group": "ids", "n": 2 * perSession, "tag": tag}})
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s: %v", tag, err)
				case res.Content[0].(*mcp.TextContent).Text != tag:
					errs <- fmt.Errorf("%s got the answer for %s", tag, res.Content[0].(*mcp.TextContent).Text)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Both sessions use the same progress token at the same time; each must
// get its own two notifications, with its token restored.
func TestSharedProgressTokensDoNotCross(t *testing.T) {
	h := sharedHarness(t, nil)
	var mu sync.Mutex
	got := map[string][]float64{}
	handler := func(name string) *mcp.ClientOptions {
		return &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			defer mu.Unlock()
			if req.Params.ProgressToken != "same" {
				t.Errorf("%s: token %v", name, req.Params.ProgressToken)
			}
			got[name] = append(got[name], req.Params.Progress)
		}}
	}
	a := h.connect(t, "2025-11-25", handler("A"))
	b := h.connect(t, "2025-11-25", handler("B"))
	var wg sync.WaitGroup
	for _, cs := range []*mcp.ClientSession{a, b} {
		wg.Go(func() {
			p := &mcp.CallToolParams{Name: "progress", Arguments: map[string]any{}}
			p.SetProgressToken("same")
			if _, err := cs.CallTool(testContext(t), p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	eventually(t, "two notifications per session", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got["A"]) >= 2 && len(got["B"]) >= 2
	})
	mu.Lock()
	defer mu.Unlock()
	for name, ps := range got {
		slices.Sort(ps)
		if !slices.Equal(ps, []float64{1, 2}) {
			t.Errorf("%s got progress %v, want [1 2]", name, ps)
		}
	}
}

func TestSharedCrashFailsInFlightAndRestarts(t *testing.T) {
	h := sharedHarness(t, nil)
	a := h.connect(t, "2025-11-25", nil)
	b := h.connect(t, "2025-11-25", nil)
	before := callText(t, a, "pid", map[string]any{})

	// b's call waits on the barrier, which only a crash will break.
	inflight := make(chan error, 1)
	go func() {
		_, err := b.CallTool(testContext(t), &mcp.CallToolParams{Name: "barrier", Arguments: map[string]any{"group": "crash", "n": 99, "tag": "never"}})
		inflight <- err
	}()
	eventually(t, "b's call to be in flight", func() bool {
		h.b.mu.Lock()
		m := h.b.shared
		h.b.mu.Unlock()
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.calls) == 1
	})
	if _, err := a.CallTool(testContext(t), &mcp.CallToolParams{Name: "crash", Arguments: map[string]any{"code": 7}}); err == nil {
		t.Error("the crashing call succeeded")
	}
	if err := <-inflight; err == nil {
		t.Error("the call in flight during the crash succeeded")
	}
	eventually(t, "the exit to be logged with its status", func() bool {
		return h.logs.has(func(r logRecord) bool {
			return r.Msg == "mcp server exited unexpectedly" && r.Attrs["status"] == "exit status 7"
		})
	})
	// Both sessions carry on with a new, re-initialized process.
	after := callText(t, b, "pid", map[string]any{})
	if after == before {
		t.Errorf("pid %s unchanged after a crash", after)
	}
	if got := callText(t, a, "echo", map[string]any{"text": "again"}); got != "echo: again" {
		t.Errorf("echo after restart = %q", got)
	}
	old, _ := strconv.Atoi(before)
	if !reaped(old) {
		t.Error("crashed process not reaped")
	}
	// The replacement was initialized once more, by the bridge.
	if n := len(h.logs.find(func(r logRecord) bool { return r.Attrs["line"] == "fixture: initialized" })); n != 2 {
		t.Errorf("%d notifications/initialized in all, want 2 (one per process)", n)
	}
}

func TestSharedDeleteKeepsProcess(t *testing.T) {
	h := sharedHarness(t, nil)
	a := h.connect(t, "2025-11-25", nil)
	b := h.connect(t, "2025-11-25", nil)
	pid := callText(t, a, "pid", map[string]any{})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := callText(t, b, "pid", map[string]any{}); got != pid {
		t.Errorf("process changed after another session's DELETE: %s → %s", pid, got)
	}
	h.b.mu.Lock()
	n := len(h.b.sessions)
	h.b.mu.Unlock()
	if n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

// With two busy sessions, an elicitation request names no session; the bridge
// must refuse it (the tool fails) rather than guess, and must not hang.
func TestSharedAmbiguousServerRequestIsRefused(t *testing.T) {
	h := sharedHarness(t, nil)
	asker := &mcp.ClientOptions{ElicitationHandler: answer}
	a := h.connect(t, "2025-11-25", asker)
	b := h.connect(t, "2025-11-25", asker)
	held := make(chan error, 1)
	go func() {
		_, err := b.CallTool(testContext(t), &mcp.CallToolParams{Name: "barrier", Arguments: map[string]any{"group": "ambiguous", "n": 2, "tag": "b"}})
		held <- err
	}()
	eventually(t, "b's call to be in flight", func() bool {
		h.b.mu.Lock()
		m := h.b.shared
		h.b.mu.Unlock()
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.calls) == 1
	})
	res, err := a.CallTool(testContext(t), &mcp.CallToolParams{Name: "ask", Arguments: map[string]any{"text": "q"}})
	if err == nil && !res.IsError {
		t.Errorf("ambiguous elicitation request was routed: %+v", res)
	}
	// Release b.
	callText(t, a, "barrier", map[string]any{"group": "ambiguous", "n": 2, "tag": "a"})
	if err := <-held; err != nil {
		t.Error(err)
	}
}

// Subscriptions are per session to clients and per process to the
// server: resources/updated reaches the subscribers only, and the process
// hears unsubscribe when the last subscriber leaves.
func TestSharedResourceSubscriptions(t *testing.T) {
	h := sharedHarness(t, nil)
	var mu sync.Mutex
	updates := map[string]int{}
	opts := func(name string) *mcp.ClientOptions {
		return &mcp.ClientOptions{ResourceUpdatedHandler: func(context.Context, *mcp.ResourceUpdatedNotificationRequest) {
			mu.Lock()
			updates[name]++
			mu.Unlock()
		}}
	}
	count := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return updates[name]
	}
	a := h.connect(t, "2025-11-25", opts("A"))
	b := h.connect(t, "2025-11-25", opts("B"))
	c := h.connect(t, "2025-11-25", opts("C"))
	ctx := testContext(t)
	for _, cs := range []*mcp.ClientSession{a, b} {
		if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://r"}); err != nil {
			t.Fatal(err)
		}
	}
	// Updates travel on the standalone GET streams; wait until each
	// subscriber has one.
	eventually(t, "GET streams", func() bool {
		h.b.mu.Lock()
		defer h.b.mu.Unlock()
		for _, s := range h.b.sessions {
			s.mu.Lock()
			open := s.get != nil
			s.mu.Unlock()
			if !open {
				return false
			}
		}
		return len(h.b.sessions) == 3
	})
	callText(t, c, "touch", map[string]any{})
	eventually(t, "A and B to get the update", func() bool { return count("A") == 1 && count("B") == 1 })

	if err := a.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "test://r"}); err != nil {
		t.Fatal(err)
	}
	callText(t, c, "touch", map[string]any{})
	eventually(t, "B to get the second update", func() bool { return count("B") == 2 })
	if h.logs.has(func(r logRecord) bool { return r.Attrs["line"] == "fixture: unsubscribe test://r" }) {
		t.Error("the process was told to unsubscribe while B still subscribes")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unsubscribe after the last subscriber left", func() bool {
		return h.logs.has(func(r logRecord) bool { return r.Attrs["line"] == "fixture: unsubscribe test://r" })
	})
	if n := count("A") + count("C"); n != 1 {
		t.Errorf("non-subscribers got %d updates, want A's first one only", n)
	}
}
