package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/policy"
)

func TestListFilteringJSONAndSSE(t *testing.T) {
	p, err := policy.Compile(policy.Spec{Default: policy.Allow, Rules: []policy.RuleSpec{
		{Tools: []string{"secret_*"}, Effect: policy.Deny},
		{Prompts: []string{"internal"}, Effect: policy.Deny},
		{Resources: []string{"file:///private/*"}, Effect: policy.Deny},
	}})
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{
		"tools/list":               `{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"ok"},{"name":"secret_a","inputSchema":{}}],"nextCursor":"c2"}}`,
		"prompts/list":             `{"jsonrpc":"2.0","id":1,"result":{"prompts":[{"name":"internal"},{"name":"public"}]}}`,
		"resources/list":           `{"jsonrpc":"2.0","id":1,"result":{"resources":[{"uri":"file:///private/x","name":"x"},{"uri":"file:///pub/y","name":"y"}]}}`,
		"resources/templates/list": `{"jsonrpc":"2.0","id":1,"result":{"resourceTemplates":[{"uriTemplate":"file:///private/{id}","name":"t"},{"uriTemplate":"file:///pub/{id}","name":"u"}]}}`,
	}
	hidden := map[string]string{"tools/list": "secret_a", "prompts/list": "internal", "resources/list": "/private/x", "resources/templates/list": "/private/{id}"}
	shown := map[string]string{"tools/list": `"ok"`, "prompts/list": "public", "resources/list": "/pub/y", "resources/templates/list": "/pub/{id}"}
	for _, sse := range []bool{false, true} {
		gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			for method, answer := range lists {
				if strings.Contains(string(body), `"`+method+`"`) {
					if sse {
						w.Header().Set("Content-Type", "text/event-stream")
						_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"name\":\"secret_a\"}}\n\n")
						_, _ = io.WriteString(w, "id: 7\nevent: message\ndata: "+answer+"\n\n")
					} else {
						w.Header().Set("Content-Type", "application/json")
						_, _ = io.WriteString(w, answer)
					}
				}
			}
		}), func(s *Backend) { s.Policy = p })
		for method := range lists {
			_, body := post(t, gw.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"`+method+`"}`, nil)
			if strings.Contains(body, hidden[method]) && !(sse && strings.Count(body, hidden[method]) == 1 && method == "tools/list") {
				t.Errorf("sse=%v %s: %s is visible:\n%s", sse, method, hidden[method], body)
			}
			if !strings.Contains(body, shown[method]) {
				t.Errorf("sse=%v %s: %s was removed:\n%s", sse, method, shown[method], body)
			}
			if method == "tools/list" && !strings.Contains(body, `"nextCursor":"c2"`) {
				t.Errorf("sse=%v: the cursor was lost: %s", sse, body)
			}
			if sse && (!strings.Contains(body, "id: 7\n") || !strings.Contains(body, "notifications/progress")) {
				t.Errorf("the SSE framing or another event was lost: %q", body)
			}
		}
	}
}

// FuzzSSEFilter: with a filter that changes nothing, a well-formed stream
// passes through byte for byte, and no stream makes it fail or hang.
func FuzzSSEFilter(f *testing.F) {
	f.Add("event: message\ndata: {\"a\":1}\n\n: comment\n\nid: 3\ndata: x\ndata: y\n\n")
	f.Add("data: partial")
	f.Add("data:nospace\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		sf := &sseFilter{src: io.NopCloser(strings.NewReader(in)), fn: func(b []byte) []byte { return b }}
		sf.r = bufioReader(sf.src)
		out, err := io.ReadAll(sf)
		if err != nil {
			t.Fatal(err)
		}
		if wellFormed(in) && string(out) != in {
			t.Fatalf("changed a well-formed stream:\n%q\n%q", in, out)
		}
	})
}

// wellFormed: LF line endings, complete events, data lines as "data: ".
func wellFormed(s string) bool {
	if !strings.HasSuffix(s, "\n\n") || strings.Contains(s, "\r") || strings.HasPrefix(s, "\n") {
		return false
	}
	for _, ev := range strings.Split(strings.TrimSuffix(s, "\n\n"), "\n\n") {
		if ev == "" {
			return false
		}
		for _, l := range strings.Split(ev, "\n") {
			if strings.HasPrefix(l, "data:") && !strings.HasPrefix(l, "data: ") {
				return false
			}
		}
	}
	return true
}

// TestListFilteringOnResumedStream: a list answer delivered on a GET
// stream (a stream resumed with Last-Event-ID) is filtered by policy like
// one on the POST's own stream.
func TestListFilteringOnResumedStream(t *testing.T) {
	p, err := policy.Compile(policy.Spec{Default: policy.Allow, Rules: []policy.RuleSpec{{Tools: []string{"secret_*"}, Effect: policy.Deny}}})
	if err != nil {
		t.Fatal(err)
	}
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "id: 9\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"tools\":[{\"name\":\"ok\"},{\"name\":\"secret_a\"}]}}\n\n")
	}), func(s *Backend) { s.Policy = p })
	resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", map[string]string{"Last-Event-ID": "8", "Accept": "text/event-stream"})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.Contains(string(body), "secret_a") || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("resumed stream: %d %s", resp.StatusCode, body)
	}
}
