package attack

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
)

// A recorder is an MCP backend (stateless, JSON answers) that records
// every call it executes. Its parser is one of those found in the wild
// behind gateways, so that a request the gateway reads one way and the
// backend another shows up as an executed call the gateway refused.
type recorder struct {
	mu       sync.Mutex
	executed []call
	headers  []http.Header // of every request
	parse    func([]byte) []map[string]any
	// names, when set, is how the backend finds a tool or prompt by name
	// (a lenient server trims and folds them).
	names func(string) string
	// methods, when set, is how it reads a method name.
	methods func(string) string
}

// call is what a backend executed: the method and its target, and the
// arguments it acted on.
type call struct {
	Method, Name string
	Args         map[string]any
}

func (r *recorder) calls() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.executed...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.executed, r.headers = nil, nil
	r.mu.Unlock()
}

// lastHeaders are the headers of the last request the backend got.
func (r *recorder) lastHeaders() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.headers) == 0 {
		return nil
	}
	return r.headers[len(r.headers)-1]
}

func startRecorder(t *testing.T, parse func([]byte) []map[string]any) (*recorder, string) {
	t.Helper()
	rec := &recorder{parse: parse}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL + "/mcp"
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, _ := io.ReadAll(r.Body)
	h := r.Header.Clone()
	h.Set("X-Test-Url", r.URL.String()) // what the backend was asked for
	rec.mu.Lock()
	rec.headers = append(rec.headers, h)
	rec.mu.Unlock()
	msgs := rec.parse(body)
	if msgs == nil {
		writeJSONReply(w, map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": -32700, "message": "Parse error"}})
		return
	}
	var out []any
	for _, m := range msgs {
		if resp := rec.execute(m); resp != nil {
			out = append(out, resp)
		}
	}
	switch {
	case len(out) == 0:
		w.WriteHeader(http.StatusAccepted)
	case len(out) == 1 && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")):
		writeJSONReply(w, out[0])
	default:
		writeJSONReply(w, out)
	}
}

func writeJSONReply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

var recorderTools = []string{"hello_mcp", "save_snippet", "get_snippet", "metered"}

// execute runs one message as this backend read it.
func (rec *recorder) execute(m map[string]any) any {
	method, _ := m["method"].(string)
	if rec.methods != nil {
		method = rec.methods(method)
	}
	id, hasID := m["id"]
	params, _ := m["params"].(map[string]any)
	result := map[string]any{}
	switch method {
	case "initialize":
		result = map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{"tools": map[string]any{}},
			"serverInfo": map[string]any{"name": "recorder", "version": "1"}}
	case "tools/list":
		var tools []any
		for _, n := range recorderTools {
			tools = append(tools, map[string]any{"name": n, "inputSchema": map[string]any{"type": "object"}})
		}
		result = map[string]any{"tools": tools}
	case "tools/call", "prompts/get", "resources/read", "tasks/get", "tasks/update", "tasks/cancel":
		c := call{Method: method}
		c.Name, _ = params["name"].(string)
		if rec.names != nil {
			c.Name = rec.names(c.Name)
		}
		switch method {
		case "resources/read":
			c.Name, _ = params["uri"].(string)
		case "tasks/get", "tasks/update", "tasks/cancel":
			c.Name, _ = params["taskId"].(string)
		}
		c.Args, _ = params["arguments"].(map[string]any)
		rec.mu.Lock()
		rec.executed = append(rec.executed, c)
		rec.mu.Unlock()
		result = map[string]any{"content": []any{map[string]any{"type": "text", "text": "executed " + c.Name}}}
	}
	if !hasID {
		return nil
	}
	return map[string]any{"jsonrpc": "2.0", "id": id, "result": result}
}

// parseFirstWins is a lenient, exact-case parser in which the first of
// repeated members wins: it skips a byte-order mark, reads NaN as null,
// and executes every JSON value in the body one after the other.
func parseFirstWins(body []byte) []map[string]any {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	body = nanLiteral.ReplaceAll(body, []byte("${1}null"))
	dec := json.NewDecoder(bytes.NewReader(body))
	var msgs []map[string]any
	for {
		v, err := firstWinsValue(dec)
		if err == io.EOF {
			break
		}
		if err != nil {
			break
		}
		switch t := v.(type) {
		case map[string]any:
			msgs = append(msgs, t)
		case []any:
			for _, e := range t {
				if m, ok := e.(map[string]any); ok {
					msgs = append(msgs, m)
				}
			}
		}
	}
	return msgs
}

var nanLiteral = regexp.MustCompile(`([:\[,]\s*)(NaN|-?Infinity)`)

// firstWinsValue decodes the next value from tokens, keeping the first of
// repeated object members.
func firstWinsValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		m := map[string]any{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := firstWinsValue(dec)
			if err != nil {
				return nil, err
			}
			if _, seen := m[k.(string)]; !seen {
				m[k.(string)] = v
			}
		}
		_, err := dec.Token()
		return m, err
	case json.Delim('['):
		var a []any
		for dec.More() {
			v, err := firstWinsValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

// parseFolding reads messages the way Go's encoding/json fills a struct:
// member names match case-insensitively (with Unicode folding), the last
// match wins.
func parseFolding(body []byte) []map[string]any {
	type params struct {
		Name      string         `json:"name"`
		URI       string         `json:"uri"`
		TaskID    string         `json:"taskId"`
		Arguments map[string]any `json:"arguments"`
	}
	type message struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  string          `json:"method"`
		Params  *params         `json:"params"`
	}
	var raw []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		if json.Unmarshal(body, &raw) != nil {
			return nil
		}
	} else {
		raw = []json.RawMessage{body}
	}
	var msgs []map[string]any
	for _, r := range raw {
		var m message
		if json.Unmarshal(r, &m) != nil {
			return nil
		}
		out := map[string]any{"method": m.Method}
		if len(m.ID) > 0 {
			var id any
			_ = json.Unmarshal(m.ID, &id)
			out["id"] = id
		}
		if m.Params != nil {
			p := map[string]any{"name": m.Params.Name, "uri": m.Params.URI, "taskId": m.Params.TaskID}
			if m.Params.Arguments != nil {
				p["arguments"] = m.Params.Arguments
			}
			out["params"] = p
		}
		msgs = append(msgs, out)
	}
	return msgs
}
