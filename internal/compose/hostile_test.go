//lint:file-ignore SA1019 logging is deprecated in 2026-07-28, but legacy sessions still carry it

package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// hostileMember completes the handshake like a server, then answers every
// other request as mode says.
func hostileMember(t *testing.T, mode string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg, err := decodeMessage(body)
		if r.Method != http.MethodPost || err != nil {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		req, ok := msg.(*jsonrpc.Request)
		if !ok || !req.IsCall() {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		id, _ := json.Marshal(req.ID.Raw())
		if req.Method == "initialize" {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set(headerSession, "evil-session")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"evil","version":"1"}}}`, id)
			return
		}
		switch mode {
		case "not json":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"jsonrpc":"2.0","id":`)
		case "huge":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"%s"}]}}`, id, strings.Repeat("x", maxMessageBytes))
		case "huge event":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: %s\n\n", strings.Repeat("x", maxMessageBytes+1))
		case "wrong id":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":{\"tools\":[{\"name\":\"planted\"}]}}\n\n")
		case "bad items":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":"nope","content":[]}}`, id)
		case "redirect":
			http.Redirect(w, r, "http://127.0.0.1:1/steal", http.StatusTemporaryRedirect)
		case "chatty":
			// Notifications on a call's stream, then the response.
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n")
			fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"hello\"}}\n\n")
			fmt.Fprint(w, "data: {\"jsonrpc\":\"2.0\",\"id\":424242,\"result\":{\"content\":[]}}\n\n")
			fmt.Fprintf(w, "data: {\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"chatty\"}]}}\n\n", id)
		case "endless pages":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"t%s"}],"nextCursor":"c%s"}}`, id, id, id)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>oops</html>")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A member's hostile answers are dropped: the list still answers with the
// other members, a call gets a JSON-RPC error, the member is marked down,
// nothing crashes or hangs.
func TestHostileMemberAnswers(t *testing.T) {
	good := newFixture(t, "good", fixtureOpts{tools: []string{"echo"}})
	for _, mode := range []string{"not json", "huge", "huge event", "wrong id", "bad items", "redirect", "html", "endless pages"} {
		t.Run(mode, func(t *testing.T) {
			evil := hostileMember(t, mode)
			c := newComposed(t, Options{Members: []Member{
				good.member(Member{Prefix: "good_"}),
				{Name: "evil", URL: evil.URL, Client: evil.Client(), Prefix: "evil_"},
			}})
			cs := c.connect(t, "2025-11-25", nil)
			if got := toolNames(t, cs); !slices.Equal(got, []string{"good_echo"}) {
				t.Fatalf("tools = %v", got)
			}
			if h := c.s.Health(); h[1].Up {
				t.Fatalf("health = %+v", h)
			}
			// Listing again does not flap: down once, never up.
			toolNames(t, cs)
			if c.obs.count("down evil") != 1 || c.obs.count("up evil") != 0 {
				t.Fatalf("events %v", c.obs.list())
			}
			if mode == "bad items" || mode == "endless pages" {
				return // a call's result is the member's business: relayed as it is
			}
			_, err := cs.CallTool(testContext(t), paramsCall{Name: "evil_x"}.p())
			wantRPCError(t, err, jsonrpc.CodeInternalError, `server "evil" did not answer`)
		})
	}
}

// A client answering a server request it was never sent, or one sent to
// another session, is refused and nothing reaches the member; the session
// that was asked can still answer.
func TestAnswersOnlyFromTheSessionAsked(t *testing.T) {
	a := newFixture(t, "alpha", fixtureOpts{tools: []string{"ask"}})
	c := newComposed(t, Options{Members: []Member{a.member(Member{})}})
	asked, other := rawSession(t, c.http.URL), rawSession(t, c.http.URL)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.http.URL, strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ask","arguments":{}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set(headerSession, asked)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := newSSEReader(resp.Body, maxMessageBytes)
	data, err := events.next()
	if err != nil {
		t.Fatal(err)
	}
	var elicit struct {
		ID     any    `json:"id"`
		Method string `json:"method"`
	}
	if err := json.Unmarshal(data, &elicit); err != nil || elicit.Method != "elicitation/create" {
		t.Fatalf("first event: %s", data)
	}
	sid, ok := elicit.ID.(string)
	if !ok || !strings.HasPrefix(sid, "drawbridge-compose-") {
		t.Fatalf("server request id %v is not the composed server's", elicit.ID)
	}
	answer := func(session string, id any, text string) int {
		idJSON, _ := json.Marshal(id)
		r, body := rawPost(t, c.http.URL, session, fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"action":"accept","content":{"answer":%q}}}`, idJSON, text), nil)
		if r.StatusCode == 400 && !strings.Contains(body, "no request with this id awaits an answer") {
			t.Errorf("refusal body: %s", body)
		}
		return r.StatusCode
	}
	if got := answer(other, sid, "from the other session"); got != 400 {
		t.Fatalf("another session's answer: %d, want 400", got)
	}
	if got := answer(asked, "drawbridge-compose-999999", "invented"); got != 400 {
		t.Fatalf("an invented id: %d, want 400", got)
	}
	if got := answer(asked, 1, "the member's own id"); got != 400 {
		t.Fatalf("a member-side id: %d, want 400", got)
	}
	if got := answer(asked, sid, "right"); got != 202 {
		t.Fatalf("the right answer: %d, want 202", got)
	}
	data, err = events.next()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"id":7`) || !strings.Contains(string(data), "alpha got right") {
		t.Fatalf("response: %s", data)
	}
	// Answering again is refused: the request is no longer awaited.
	if got := answer(asked, sid, "again"); got != 400 {
		t.Fatalf("a second answer: %d, want 400", got)
	}
}

// Notifications a member sends on a call's stream (list_changed, logging)
// reach the client on that stream; a response to a request never sent is
// dropped.
func TestNotificationsOnTheCallStream(t *testing.T) {
	evil := hostileMember(t, "chatty")
	c := newComposed(t, Options{Members: []Member{{Name: "chatty", URL: evil.URL, Client: evil.Client()}}})
	var mu sync.Mutex
	var got []string
	cs := c.connect(t, "2025-11-25", &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			mu.Lock()
			got = append(got, "list_changed")
			mu.Unlock()
		},
		LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
			mu.Lock()
			got = append(got, fmt.Sprint(req.Params.Data))
			mu.Unlock()
		},
	})
	if got := callText(t, cs, "anything", map[string]any{}); got != "chatty" {
		t.Fatalf("call = %q", got)
	}
	eventually(t, "both notifications", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(got, []string{"list_changed", "hello"})
	})
}

// A member's URL may carry a credential (an API key in the query): no
// error the observer, Health or the client sees repeats it.
func TestErrorsCarryNoCredential(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/mcp?api_key=SECRET-KEY"
	dead.Close()
	c := newComposed(t, Options{Members: []Member{{Name: "dead", URL: url, Client: &http.Client{}}}})
	cs := c.connect(t, "2025-11-25", nil)
	_, err := cs.CallTool(testContext(t), paramsCall{Name: "x"}.p())
	wantRPCError(t, err, jsonrpc.CodeInternalError, `server "dead" did not answer`)
	c.obs.mu.Lock()
	errs := fmt.Sprint(c.obs.errs)
	c.obs.mu.Unlock()
	if len(c.obs.errs) == 0 || strings.Contains(errs, "SECRET") || !strings.Contains(errs, "connection refused") {
		t.Fatalf("observer heard %s", errs)
	}
	for _, problem := range c.s.Check(testContext(t)) {
		if strings.Contains(problem.Error(), "SECRET") {
			t.Fatalf("Check: %v", problem)
		}
	}
	if h := c.s.Health(); strings.Contains(h[0].LastError, "SECRET") || h[0].Up {
		t.Fatalf("health %+v", h)
	}
}

// A member that does not send its response headers within its Timeout is
// given up on and marked down; the list answers without it. The timer is
// injected: the member's timeout "passes" at once.
func TestMemberTimeout(t *testing.T) {
	good := newFixture(t, "good", fixtureOpts{tools: []string{"echo"}})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body read first: net/http notices a client gone only then.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done() // never answers
	}))
	t.Cleanup(stuck.Close)
	c := newComposed(t, Options{Members: []Member{good.member(Member{}), {Name: "stuck", URL: stuck.URL, Client: stuck.Client(), Prefix: "s_"}}})
	c.s.members[1].after = func(_ time.Duration, f func()) func() bool {
		go f()
		return func() bool { return false }
	}
	cs := c.connect(t, "2025-11-25", nil)
	if got := toolNames(t, cs); !slices.Equal(got, []string{"echo"}) {
		t.Fatalf("tools = %v", got)
	}
	if h := c.s.Health(); h[1].Up || h[1].LastError != "member stuck: no answer within 1m0s" {
		t.Fatalf("health = %+v", h[1])
	}
}
