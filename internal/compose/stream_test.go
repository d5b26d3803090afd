//lint:file-ignore SA1019 sampling is deprecated in 2026-07-28, but legacy sessions still carry it

package compose

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Progress notifications, elicitation and sampling from a member reach
// the client on the call's stream, and the answers go back to the member
// that asked.
func TestServerToClientOnTheCallStream(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"progress", "ask"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"sample", "ask2"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{Prefix: "a_"}), b.member(Member{Prefix: "b_"})}})
	var mu sync.Mutex
	var progress []float64
	var asked []string
	cs := c.connect(t, "2025-11-25", &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, req.Params.Progress)
			mu.Unlock()
		},
		ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			mu.Lock()
			asked = append(asked, req.Params.Message)
			mu.Unlock()
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"answer": "for " + req.Params.Message}}, nil
		},
		CreateMessageHandler: func(_ context.Context, req *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "reply to " + req.Params.Messages[0].Content.(*mcp.TextContent).Text}}, nil
		},
	})
	p := &mcp.CallToolParams{Name: "a_progress", Arguments: map[string]any{"text": "p"}}
	p.SetProgressToken("tok-1")
	res, err := cs.CallTool(testContext(t), p)
	if err != nil || res.Content[0].(*mcp.TextContent).Text != "alpha/progress: p" {
		t.Fatalf("progress call: %+v %v", res, err)
	}
	eventually(t, "two progress notifications", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(progress, []float64{1, 2})
	})
	// Two members elicit at once; each gets its own answer.
	var wg sync.WaitGroup
	got := make([]string, 2)
	for i, name := range []string{"a_ask", "b_ask2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := cs.CallTool(testContext(t), paramsCall{Name: name}.p())
			if err != nil || len(res.Content) != 1 {
				got[i] = fmt.Sprintf("error: %v %+v", err, res)
				return
			}
			got[i] = res.Content[0].(*mcp.TextContent).Text
		}()
	}
	wg.Wait()
	if got[0] != "alpha got for alpha asks" || got[1] != "beta got for beta asks" {
		t.Fatalf("elicitation answers: %q", got)
	}
	mu.Lock()
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"alpha asks", "beta asks"}) {
		t.Errorf("the client was asked %q", asked)
	}
	mu.Unlock()
	if got := callText(t, cs, "b_sample", map[string]any{}); got != "beta sampled reply to beta" {
		t.Fatalf("sampling: %q", got)
	}
}

// Closing the client's stream (the SDK client cancels its context)
// cancels the member's request.
func TestCancellationReachesTheMember(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"slow"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"echo"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{})}})
	cs := c.connect(t, "2025-11-25", nil)
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{}})
		done <- err
	}()
	eventually(t, "the call to reach alpha", func() bool { return len(a.toolCalls()) == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("cancelled call succeeded")
	}
	eventually(t, "alpha to see the cancellation", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.cancelled == 1
	})
	// The session carries on.
	if got := callText(t, cs, "echo", map[string]any{"text": "after"}); got != "beta/echo: after" {
		t.Fatalf("echo = %q", got)
	}
}

// notifications/tools/list_changed from a member reaches the client over
// its standalone GET stream, and the next list shows the change.
func TestListChangedOverGET(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"find"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{Prefix: "b_"})}})
	changed := make(chan struct{}, 10)
	cs := c.connect(t, "2025-11-25", &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} },
	})
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "b_find"}) {
		t.Fatalf("tools = %v", got)
	}
	// Wait until the composed server listens to beta's stream: beta's
	// SDK server then has a standalone stream to notify on.
	eventually(t, "beta's stream to be listened to", func() bool { return c.listening(1) })
	b.addTool("grep")
	select {
	case <-changed:
	case <-testContext(t).Done():
		t.Fatal("no list_changed reached the client")
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo", "b_find", "b_grep"}) {
		t.Fatalf("tools after the change = %v", got)
	}
}

// listening reports whether some session listens to member idx's stream.
func (c *composed) listening(idx int) bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for _, cs := range c.s.sessions {
		cs.mu.Lock()
		ms := cs.members[idx]
		on := ms != nil && ms.listening
		cs.mu.Unlock()
		if on {
			return true
		}
	}
	return false
}

// Ending the client's session (DELETE) ends every member session it
// opened; later requests on it get 404.
func TestSessionCloseClosesMemberSessions(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}})
	b := newFixture(t, "beta", fixtureOpts{tools: []string{"find"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{}), b.member(Member{Prefix: "b_"})}})
	id := rawSession(t, c.http.URL)
	resp, body := rawPost(t, c.http.URL, id, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "alpha/echo: x") {
		t.Fatalf("call: %d %s", resp.StatusCode, body)
	}
	// Only alpha was needed: beta has no session yet.
	if a.deleted() != 0 || b.deleted() != 0 {
		t.Fatal("deletes before the end")
	}
	req, _ := newRequest("DELETE", c.http.URL, id)
	dresp, err := c.http.Client().Do(req)
	if err != nil || dresp.StatusCode != 204 {
		t.Fatalf("DELETE: %v %v", dresp, err)
	}
	if ad, bd := a.deleted(), b.deleted(); ad != 1 || bd != 0 {
		t.Fatalf("member DELETEs: alpha %d beta %d, want 1 and 0", ad, bd)
	}
	resp, _ = rawPost(t, c.http.URL, id, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, nil)
	if resp.StatusCode != 404 {
		t.Fatalf("after DELETE: %d", resp.StatusCode)
	}
}

// A client's notifications/cancelled goes to the member serving that
// request, with the member's id for it.
func TestCancelledNotificationRouted(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"slow"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}})
	id := rawSession(t, c.http.URL)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Not rawPost: t.Fatal must not be called off the test goroutine.
		req, _ := http.NewRequest(http.MethodPost, c.http.URL, strings.NewReader(`{"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"slow","arguments":{}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set(headerSession, id)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	eventually(t, "the call to reach alpha", func() bool { return len(a.toolCalls()) == 1 })
	// Another session cannot cancel it.
	other := rawSession(t, c.http.URL)
	if resp, _ := rawPost(t, c.http.URL, other, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"call-1"}}`, nil); resp.StatusCode != 202 {
		t.Fatalf("other session's cancel: %d", resp.StatusCode)
	}
	if resp, _ := rawPost(t, c.http.URL, id, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"call-1","reason":"user"}}`, nil); resp.StatusCode != 202 {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	eventually(t, "alpha to see the cancellation", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.cancelled == 1
	})
	// The SDK server sends no response to a cancelled request; the client
	// closing its stream ends the POST.
	c.http.CloseClientConnections()
	<-done
}

// ToolsChanged, for a member that cannot notify (an in-process OpenAPI
// member), sends notifications/tools/list_changed on each legacy-era
// session's standalone stream.
func TestToolsChangedOverGET(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"echo"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}})
	changed := make(chan struct{}, 10)
	cs := c.connect(t, "2025-11-25", &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} },
	})
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo"}) {
		t.Fatalf("tools = %v", got)
	}
	eventually(t, "the client's standalone stream", func() bool { return c.hasGET() })
	c.s.ToolsChanged()
	select {
	case <-changed:
	case <-testContext(t).Done():
		t.Fatal("no list_changed reached the client")
	}
}

// hasGET reports whether some session has its standalone stream open.
func (c *composed) hasGET() bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for _, cs := range c.s.sessions {
		cs.mu.Lock()
		on := cs.get != nil
		cs.mu.Unlock()
		if on {
			return true
		}
	}
	return false
}
