package compose

import (
	"context"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Members served in-process through HandlerTransport work like remote
// ones: lists, calls, progress and elicitation on the call's stream,
// cancellation, and the standalone stream.
func TestInProcessMembers(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo", "ask", "slow"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"find"}})
	inProcess := func(f *fixture, prefix string) Member {
		h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return f.srv }, nil)
		// A loopback host: the SDK handler sees the outer request's loopback
		// address in the context and guards against DNS rebinding.
		return Member{Name: f.name, URL: "http://127.0.0.1/" + f.name, Client: &http.Client{Transport: HandlerTransport(h)}, Prefix: prefix}
	}
	c := newComposed(t, Options{Members: []Member{inProcess(a, ""), inProcess(b, "b_")}})
	changed := make(chan struct{}, 10)
	cs := c.connect(t, "2025-11-25", &mcp.ClientOptions{
		ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": "yes"}}, nil
		},
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} },
	})
	if got := toolNames(t, cs); !slices.Equal(got, []string{"ask", "echo", "slow", "b_find"}) {
		t.Fatalf("tools = %v %v", got, c.obs.errs)
	}
	if got := callText(t, cs, "ask", map[string]any{}); got != "alpha got yes" {
		t.Fatalf("ask = %q", got)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, paramsCall{Name: "slow"}.p())
		done <- err
	}()
	eventually(t, "the slow call", func() bool { return slices.Contains(a.toolCalls(), "slow") })
	cancel()
	<-done
	eventually(t, "alpha to see the cancellation", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.cancelled == 1
	})
	eventually(t, "beta's stream to be listened to", func() bool { return c.listening(1) })
	b.addTool("grep")
	select {
	case <-changed:
	case <-testContext(t).Done():
		t.Fatal("no list_changed")
	}
}

// A handler that panics breaks its response, not the process.
func TestHandlerTransportPanic(t *testing.T) {
	c := &http.Client{Transport: HandlerTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("data: {}\n\n"))
		panic(http.ErrAbortHandler)
	}))}
	resp, err := c.Get("http://127.0.0.1/x")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil || resp.StatusCode != 200 {
		t.Fatalf("a broken stream read as whole: %d %v", resp.StatusCode, err)
	}
	resp2, err := (&http.Client{Transport: HandlerTransport(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))}).Get("http://127.0.0.1/x")
	if err != nil || resp2.StatusCode != 500 {
		t.Fatalf("panic before the headers: %v %v", resp2, err)
	}
	resp2.Body.Close()
}
