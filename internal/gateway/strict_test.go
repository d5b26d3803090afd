package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// batchBackend answers batches (and single messages) as a 2025-03-26
// server does, in JSON or as an SSE stream, and keeps the bodies it got.
type batchBackend struct {
	sse    bool
	mu     sync.Mutex
	bodies []string
}

func (b *batchBackend) got() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.bodies...)
}

func (b *batchBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.bodies = append(b.bodies, string(body))
	b.mu.Unlock()
	var msgs []map[string]json.RawMessage
	if json.Unmarshal(body, &msgs) != nil {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(body, &m)
		msgs = append(msgs, m)
	}
	var answers []string
	for _, m := range msgs {
		if m["id"] == nil {
			continue
		}
		result := `{"content":[{"type":"text","text":"ran"}]}`
		if string(m["method"]) == `"tools/list"` {
			result = `{"tools":[{"name":"ok"},{"name":"secret_tool"}]}`
		}
		answers = append(answers, `{"jsonrpc":"2.0","id":`+string(m["id"])+`,"result":`+result+`}`)
	}
	switch {
	case len(answers) == 0:
		w.WriteHeader(http.StatusAccepted)
	case b.sse:
		w.Header().Set("Content-Type", "text/event-stream")
		for _, a := range answers {
			_, _ = io.WriteString(w, "event: message\ndata: "+a+"\n\n")
		}
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "["+strings.Join(answers, ",")+"]")
	}
}

// auditLog keeps the events a gateway records.
type auditLog struct {
	mu     sync.Mutex
	events []audit.Event
}

func (a *auditLog) Record(e audit.Event) {
	a.mu.Lock()
	a.events = append(a.events, e)
	a.mu.Unlock()
}

// take returns the events recorded so far, once there are n of them (the
// gateway records a request after answering it), or whatever there is
// after a while.
func (a *auditLog) take(n int) []audit.Event {
	for i := 0; i < 500; i++ {
		a.mu.Lock()
		enough := len(a.events) >= n
		a.mu.Unlock()
		if enough {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.events
	a.events = nil
	return out
}

func denySecrets(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Compile(policy.Spec{Default: policy.Allow, Rules: []policy.RuleSpec{
		{Name: "no-secrets", Tools: []string{"secret_*"}, Effect: policy.Deny},
		{Name: "writes-need-scope", Tools: []string{"write"}, Effect: policy.Allow, RequireScopes: []string{"mcp:write"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func msg(id, method, params string) string {
	s := `{"jsonrpc":"2.0",`
	if id != "" {
		s += `"id":` + id + `,`
	}
	s += `"method":"` + method + `"`
	if params != "" {
		s += `,"params":` + params
	}
	return s + "}"
}

func batchOf(msgs ...string) string { return "[" + strings.Join(msgs, ",") + "]" }

// Each element of a batch is decided on its own: the refused one is
// answered by the gateway and never reaches the backend, the others go on,
// the list is filtered, and the answers are merged, in JSON and in SSE.
func TestBatchElementsAreDecidedOneByOne(t *testing.T) {
	for _, sse := range []bool{false, true} {
		be := &batchBackend{sse: sse}
		log := &auditLog{}
		gw := newTestGatewayOpts(t, be, func(s *Backend) { s.Policy = denySecrets(t) }, func(o *Options) { o.Audit = log })
		body := batchOf(
			msg("1", "tools/call", `{"name":"ok"}`),
			msg("2", "tools/call", `{"name":"secret_tool","arguments":{"x":1}}`),
			msg("", "notifications/progress", `{"progressToken":"p"}`),
			msg(`"l"`, "tools/list", ""),
		)
		resp, answer := post(t, gw.URL+"/mcp", body, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sse=%v: %d %s", sse, resp.StatusCode, answer)
		}
		got := be.got()
		if len(got) != 1 || strings.Contains(got[0], "secret_tool") || !strings.Contains(got[0], `"id":1`) ||
			!strings.Contains(got[0], "notifications/progress") || !strings.Contains(got[0], `"id":"l"`) {
			t.Fatalf("sse=%v: the backend got %q", sse, got)
		}
		for _, want := range []string{`"id":1`, `"text":"ran"`, `"id":2`, `unknown tool \"secret_tool\"`, `"id":"l"`, `"name":"ok"`} {
			if !strings.Contains(answer, want) {
				t.Errorf("sse=%v: %s missing from %s", sse, want, answer)
			}
		}
		if strings.Contains(answer, `"name":"secret_tool"`) {
			t.Errorf("sse=%v: the list in a batch was not filtered: %s", sse, answer)
		}
		events := log.take(4)
		if len(events) != 4 {
			t.Fatalf("sse=%v: %d audit events, want one per message: %+v", sse, len(events), events)
		}
		for i, want := range []struct{ method, name, decision, reason string }{
			{"tools/call", "ok", "allow", ""},
			{"tools/call", "secret_tool", "deny", "policy"},
			{"notifications/progress", "", "allow", ""},
			{"tools/list", "", "allow", ""},
		} {
			e := events[i]
			if e.Method != want.method || e.Name != want.name || e.Decision != want.decision || e.Reason != want.reason {
				t.Errorf("sse=%v: audit event %d = %s %s %s %s", sse, i, e.Method, e.Name, e.Decision, e.Reason)
			}
		}
	}
}

// A backend that has nothing to answer (202) for what was forwarded still
// lets the client see the refusals; a batch refused whole is answered
// without the backend.
func TestBatchRefusalsWithoutBackendAnswers(t *testing.T) {
	be := &batchBackend{}
	gw := newTestGateway(t, be, func(s *Backend) { s.Policy = denySecrets(t) })
	resp, answer := post(t, gw.URL+"/mcp", batchOf(msg("", "notifications/x", ""), msg("9", "tools/call", `{"name":"secret_a"}`)), nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(answer, "[") || !strings.Contains(answer, `"id":9`) || !strings.Contains(answer, "-32602") {
		t.Errorf("202 from the backend: %d %s", resp.StatusCode, answer)
	}
	if got := be.got(); len(got) != 1 || strings.Contains(got[0], "secret_a") {
		t.Errorf("backend got %q", got)
	}
	resp, answer = post(t, gw.URL+"/mcp", batchOf(msg("1", "tools/call", `{"name":"secret_a"}`), msg("2", "tools/call", `{"name":"secret_b"}`)), nil)
	if resp.StatusCode != http.StatusOK || strings.Count(answer, "-32602") != 2 || len(be.got()) != 1 {
		t.Errorf("all refused: %d %s (backend calls %d)", resp.StatusCode, answer, len(be.got()))
	}
	resp, _ = post(t, gw.URL+"/mcp", batchOf(msg("", "notifications/x", `{"name":"secret_a"}`)), nil)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		t.Errorf("a notification batch: %d", resp.StatusCode)
	}
}

// A batch element that needs a step-up stops the whole batch with the
// challenge; nothing is forwarded or counted.
func TestBatchStepUp(t *testing.T) {
	be := &batchBackend{}
	lim := ratelimit.NewMemory(nil)
	gw := newTestGatewayOpts(t, be, func(s *Backend) {
		s.Policy = denySecrets(t)
		s.RateRules = []RateRule{{Limit: ratelimit.Limit{Name: "q", Kind: ratelimit.Quota, Window: ratelimit.Day, Max: 1}, Per: []string{"user"}}}
	}, func(o *Options) { o.Limiter = lim })
	resp, _ := post(t, gw.URL+"/mcp", batchOf(msg("1", "tools/call", `{"name":"ok"}`), msg("2", "tools/call", `{"name":"write"}`)), nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "mcp:write") {
		t.Fatalf("step-up in a batch: %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if len(be.got()) != 0 {
		t.Fatal("part of a batch needing a step-up was forwarded")
	}
	// The quota of one was not spent by the refused batch.
	if resp, body := post(t, gw.URL+"/mcp", msg("3", "tools/call", `{"name":"ok"}`), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the refused batch spent the quota: %d %s", resp.StatusCode, body)
	}
}

// Every element counts against rate limits and quotas: a batch cannot get
// more calls past a quota than single requests.
func TestBatchElementsSpendQuota(t *testing.T) {
	be := &batchBackend{}
	lim := ratelimit.NewMemory(func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) })
	gw := newTestGatewayOpts(t, be, func(s *Backend) {
		s.RateRules = []RateRule{{Limit: ratelimit.Limit{Name: "calls", Kind: ratelimit.Quota, Window: ratelimit.Day, Max: 2}, Per: []string{"user"}, Methods: []string{"tools/call"}}}
	}, func(o *Options) { o.Limiter = lim })
	var calls []string
	for i := range 5 {
		calls = append(calls, msg(itoa(i+1), "tools/call", `{"name":"ok"}`))
	}
	resp, answer := post(t, gw.URL+"/mcp", batchOf(calls...), nil)
	if resp.StatusCode != http.StatusOK || strings.Count(answer, "-32029") != 3 || strings.Count(answer, `"text":"ran"`) != 2 {
		t.Fatalf("5 calls against a quota of 2: %d %s", resp.StatusCode, answer)
	}
	if got := be.got(); len(got) != 1 || strings.Count(got[0], "tools/call") != 2 {
		t.Errorf("the backend got %q", got)
	}
}

// Batches exist only in protocol 2025-03-26 and only on Streamable HTTP.
func TestBatchesOnlyWhereTheProtocolHasThem(t *testing.T) {
	be := &batchBackend{}
	gw := newTestGateway(t, be, nil)
	batch := batchOf(msg("1", "tools/call", `{"name":"ok"}`))
	for _, hdr := range []map[string]string{
		{"MCP-Protocol-Version": "2025-06-18"},
		{"MCP-Protocol-Version": "2026-07-28"},
		{"Mcp-Method": "tools/call"},
	} {
		resp, answer := post(t, gw.URL+"/mcp", batch, hdr)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(answer, `"error"`) {
			t.Errorf("%v: %d %s", hdr, resp.StatusCode, answer)
		}
	}
	modern := batchOf(msg("1", "tools/list", `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`))
	if resp, answer := post(t, gw.URL+"/mcp", modern, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a batch of 2026-07-28 messages: %d %s", resp.StatusCode, answer)
	}
	if n := len(be.got()); n != 0 {
		t.Errorf("%d refused batches reached the backend", n)
	}
	if resp, answer := post(t, gw.URL+"/mcp", batch, map[string]string{"MCP-Protocol-Version": "2025-03-26"}); resp.StatusCode != http.StatusOK {
		t.Errorf("a 2025-03-26 batch: %d %s", resp.StatusCode, answer)
	}
}

// The backend receives the canonical form of what was read, and nothing
// else.
func TestBackendGetsWhatWasRead(t *testing.T) {
	be := &batchBackend{}
	gw := newTestGateway(t, be, nil)
	body := "{ \"jsonrpc\" : \"2.0\",\n \"id\" : 1, \"method\" : \"tools/call\", \"params\" : {\"name\":\"ok\", \"arguments\":{\"q\":\"\\u00e9\\/\"}} }\n"
	resp, answer := post(t, gw.URL+"/mcp", body, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, answer)
	}
	want := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ok","arguments":{"q":"é/"}}}`
	if got := be.got(); len(got) != 1 || got[0] != want {
		t.Errorf("backend got %q, want %q", got, want)
	}
}

// Arguments a condition cannot read (a number out of range) are refused
// where a rule reads arguments, and passed where none does.
func TestUnreadableArguments(t *testing.T) {
	p, err := policy.Compile(policy.Spec{Default: policy.Allow, Rules: []policy.RuleSpec{
		{Name: "small", Tools: []string{"pay"}, When: "request.arguments.amount > 100.0", Effect: policy.Deny},
	}})
	if err != nil {
		t.Fatal(err)
	}
	be := &batchBackend{}
	gw := newTestGateway(t, be, func(s *Backend) { s.Policy = p })
	huge := msg("1", "tools/call", `{"name":"pay","arguments":{"amount":1e999}}`)
	resp, answer := post(t, gw.URL+"/mcp", huge, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(answer, "-32602") || len(be.got()) != 0 {
		t.Errorf("with a condition: %d %s (backend calls %d)", resp.StatusCode, answer, len(be.got()))
	}
	plain := newTestGateway(t, be, nil)
	if resp, answer := post(t, plain.URL+"/mcp", huge, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("without a condition: %d %s", resp.StatusCode, answer)
	}
}

// Mcp-Name mirrors params.taskId for the tasks extension's methods
// (SEP-2663), and an Mcp-Name on a method the gateway knows no name for is
// the backend's business.
func TestMcpNameOfTasksAndUnknownMethods(t *testing.T) {
	be := &batchBackend{}
	gw := newTestGateway(t, be, nil)
	v := "2026-07-28"
	task := msg("1", "tasks/get", `{"taskId":"t-42","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`)
	for _, tt := range []struct {
		body string
		hdr  map[string]string
		ok   bool
	}{
		{task, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tasks/get", "Mcp-Name": "t-42"}, true},
		{task, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tasks/get", "Mcp-Name": "t-41"}, false},
		{task, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tasks/get"}, false},
		{strings.Replace(task, "tasks/get", "tasks/cancel", 1), map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tasks/cancel", "Mcp-Name": "t-42"}, true},
		{msg("1", "x/custom", ""), map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "x/custom", "Mcp-Name": "anything"}, true},
		{msg("1", "tools/list", ""), map[string]string{"Mcp-Name": "a", "mcp-name": "b"}, false},
	} {
		before := len(be.got())
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/mcp", strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer good")
		for k, val := range tt.hdr {
			req.Header.Add(k, val)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		forwarded := len(be.got()) == before+1
		if tt.ok != (r.StatusCode == http.StatusOK) || tt.ok != forwarded {
			t.Errorf("%v: %d %s (forwarded %v)", tt.hdr, r.StatusCode, b, forwarded)
		}
		if !tt.ok && !strings.Contains(string(b), "-32020") {
			t.Errorf("%v: want HeaderMismatch, got %s", tt.hdr, b)
		}
	}
}

// A task belongs to the subject that first used its id: another user who
// learns the id gets the answer for an unknown task, and the backend never
// sees the request.
func TestTasksAreBoundToTheirSubject(t *testing.T) {
	be := &batchBackend{}
	gw := newTestGateway(t, be, nil)
	get := func(token, method, id string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/mcp", strings.NewReader(msg("1", method, `{"taskId":"`+id+`"}`)))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("good", "tasks/get", "t-1"); status != http.StatusOK || !strings.Contains(body, `"result"`) {
		t.Fatalf("alice's first poll: %d %s", status, body)
	}
	forwarded := len(be.got())
	for _, method := range []string{"tasks/get", "tasks/update", "tasks/cancel", "tasks/result"} {
		status, body := get("bob", method, "t-1")
		if status != http.StatusOK || !strings.Contains(body, "Task not found") {
			t.Errorf("bob's %s of alice's task: %d %s", method, status, body)
		}
	}
	if n := len(be.got()); n != forwarded {
		t.Errorf("%d of bob's requests on alice's task reached the backend", n-forwarded)
	}
	if status, body := get("good", "tasks/cancel", "t-1"); status != http.StatusOK || !strings.Contains(body, `"result"`) {
		t.Errorf("alice after bob's attempts: %d %s", status, body)
	}
	if status, body := get("bob", "tasks/get", "t-2"); status != http.StatusOK || !strings.Contains(body, `"result"`) {
		t.Errorf("bob's own task: %d %s", status, body)
	}
}
