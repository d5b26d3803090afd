package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
)

// List filtering: the results of tools/list, prompts/list, resources/list
// and resources/templates/list show only what the caller may use, whether
// the backend answers with JSON or with an SSE stream. Other members of the
// result (nextCursor among them) pass through, so pagination still works;
// a page may come back shorter than the backend made it.

// listField is the array each list method's result carries.
var listField = map[string]string{
	"tools/list": "tools", "prompts/list": "prompts",
	"resources/list": "resources", "resources/templates/list": "resourceTemplates",
}

// maxListBytes bounds a JSON list response the gateway rewrites.
const maxListBytes = 16 << 20

// filterMessage filters the list in one JSON-RPC response to a request of
// method; anything that is not such a response comes back unchanged. A
// tools/list result goes through tool pinning first, which sees every tool
// the server shows (so that it records every change, whoever asked), then
// through policy. When pinning cannot check the tools, the response
// becomes an error: a list that could hold a changed tool is not shown.
func (rt *route) filterMessage(data []byte, method string, rp *reply) []byte {
	var msg map[string]json.RawMessage
	if json.Unmarshal(data, &msg) != nil || msg["result"] == nil {
		return data
	}
	var result map[string]json.RawMessage
	field := listField[method]
	if json.Unmarshal(msg["result"], &result) != nil || result[field] == nil {
		return data
	}
	var items []json.RawMessage
	if json.Unmarshal(result[field], &items) != nil {
		return data
	}
	if method == "tools/list" && rt.Pins != nil {
		var err error
		if items, err = rt.Pins.FilterTools(rp.ctx, items); err != nil {
			rt.gw.opt.Log.Error("checking tool definitions", "server", rt.Name, "err", err)
			return jsonrpc.ErrorResponse(msg["id"], errPinsUnavailable)
		}
	}
	kept := rt.visibleItems(items, method, rp.id)
	result[field], _ = json.Marshal(kept)
	msg["result"], _ = json.Marshal(result)
	out, err := json.Marshal(msg)
	if err != nil {
		return data
	}
	return out
}

// errPinsUnavailable answers a list whose tools pinning could not check.
var errPinsUnavailable = &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the gateway cannot check the tools' definitions right now; try again shortly"}

// visibleItems keeps the items of a list the caller may use.
func (rt *route) visibleItems(items []json.RawMessage, method string, who policy.Identity) []json.RawMessage {
	if rt.Policy == nil {
		return items
	}
	call, _ := policy.CallMethod(method)
	kept := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		var id struct {
			Name        string `json:"name"`
			URI         string `json:"uri"`
			URITemplate string `json:"uriTemplate"`
		}
		_ = json.Unmarshal(it, &id)
		name := id.Name
		if call == "resources/read" {
			name = id.URI + id.URITemplate
		}
		if rt.Policy.Visible(who, call, name) {
			kept = append(kept, it)
		}
	}
	return kept
}

// sseFilter passes an SSE stream through, giving each event's data (a
// JSON-RPC message) to fn. Comments, ids and event names are kept.
type sseFilter struct {
	src io.ReadCloser
	r   *bufio.Reader
	out bytes.Buffer
	fn  func([]byte) []byte
	err error
}

func (f *sseFilter) Read(p []byte) (int, error) {
	for f.out.Len() == 0 {
		if f.err != nil {
			return 0, f.err
		}
		f.err = f.nextEvent()
	}
	return f.out.Read(p)
}

func (f *sseFilter) nextEvent() error {
	var lines []string // the event's lines, in order
	var data []string  // the values of its data lines
	for {
		line, err := f.r.ReadString('\n')
		if err != nil {
			// A partial event at the end of the stream passes unchanged.
			f.out.WriteString(strings.Join(lines, "") + line)
			return err
		}
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "" {
			lines = append(lines, line)
			break
		}
		if v, ok := strings.CutPrefix(trimmed, "data:"); ok {
			data = append(data, strings.TrimPrefix(v, " "))
		}
		lines = append(lines, line)
	}
	joined := strings.Join(data, "\n")
	filtered := f.fn([]byte(joined))
	if string(filtered) == joined {
		// Unchanged: the event passes byte for byte.
		f.out.WriteString(strings.Join(lines, ""))
		return nil
	}
	// The new data lines take the place of the first old one, so the
	// event's other fields keep their order.
	wrote := false
	for _, l := range lines {
		if !strings.HasPrefix(l, "data:") {
			f.out.WriteString(l)
			continue
		}
		if wrote {
			continue
		}
		wrote = true
		for _, d := range strings.Split(string(filtered), "\n") {
			f.out.WriteString("data: " + d + "\n")
		}
	}
	return nil
}

func (f *sseFilter) Close() error { return f.src.Close() }

// bufferedResponse collects a response in memory.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if b.body.Len()+len(p) > maxListBytes {
		return 0, errors.New("list response too large to filter")
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) Flush() {}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
