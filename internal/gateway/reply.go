package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
)

// reply is what the gateway changes in a backend's answer: the lists the
// caller may see only part of (a list method's result shows only what
// policy lets the caller use), and the refusals of a batch, which the
// gateway answered itself and adds to the backend's answer to the rest.
type reply struct {
	// ctx is the request's, for the store reads of tool pinning.
	ctx   context.Context
	id    policy.Identity
	batch bool
	// single is the list method of a request that is one message.
	single string
	// lists maps, in a batch, each list request's id (idKey) to its method.
	lists map[string]string
	extra [][]byte
}

// replyFor says what must change in the answer to x; nil for nothing.
func (rt *route) replyFor(x *exchange) *reply {
	if x.body == nil {
		return rt.streamReply(x)
	}
	var single string
	var lists map[string]string
	if rt.Policy != nil || rt.Pins != nil {
		for i := range x.body.Messages {
			m := &x.body.Messages[i]
			if !rt.rewritesList(m.Method) || x.verdicts[i].reason != "" || !m.IsRequest() {
				continue
			}
			if !x.body.Batch {
				single = m.Method
				continue
			}
			if lists == nil {
				lists = map[string]string{}
			}
			lists[idKey(m.ID)] = m.Method
		}
	}
	if single == "" && lists == nil && x.extra == nil {
		return nil
	}
	return &reply{ctx: x.r.Context(), batch: x.body.Batch, single: single, lists: lists, extra: x.extra, id: x.identity()}
}

// streamReply is what changes on a GET stream from a proxied backend:
// its lists, found by what their results hold. Answers travel on a GET
// stream too: every answer in the 2024-11-05 HTTP+SSE transport, and in
// Streamable HTTP the answers of a stream resumed with Last-Event-ID, so
// a backend could otherwise cut a POST's stream to deliver a list past
// the filter. (An in-process backend's streams are not rewritten: they
// cannot be buffered, and its POST answers never move to them.)
func (rt *route) streamReply(x *exchange) *reply {
	if x.r.Method != http.MethodGet || rt.Handler != nil || (rt.Policy == nil && rt.Pins == nil) {
		return nil
	}
	return &reply{ctx: x.r.Context(), batch: true, lists: map[string]string{}, id: x.identity()}
}

// rewritesList reports whether the answer to a list method changes: every
// list under a policy, tools/list under tool pinning.
func (rt *route) rewritesList(method string) bool {
	return listField[method] != "" && (rt.Policy != nil || (rt.Pins != nil && method == "tools/list"))
}

// idKey identifies a JSON-RPC id by value, however a backend re-encodes
// it ("a" and "\u0061" are one id); "" for no usable id.
func idKey(raw []byte) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return ""
	}
	switch t := v.(type) {
	case string:
		return "s" + t
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return "n" + strconv.FormatInt(n, 10)
		}
	}
	return ""
}

// rewriteReply changes a backend's answer as rp says: JSON bodies at once,
// streams event by event, and an empty 202 (the backend had nothing to
// answer) into the batch's refusals.
func (rt *route) rewriteReply(resp *http.Response, rp *reply) error {
	ct := resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode == http.StatusAccepted && len(rp.extra) > 0:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		replaceBody(resp, joinArray(rp.extra))
		resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
		resp.Header.Set("Content-Type", "application/json")
	case resp.StatusCode != http.StatusOK:
	case strings.HasPrefix(ct, "application/json"):
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxListBytes+1))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if len(body) > maxListBytes {
			return errors.New("response too large to rewrite")
		}
		replaceBody(resp, rt.rewriteJSON(body, rp, true))
	case strings.HasPrefix(ct, "text/event-stream"):
		f := &sseFilter{src: resp.Body, r: bufioReader(resp.Body), fn: func(data []byte) []byte { return rt.rewriteJSON(data, rp, false) }}
		for _, e := range rp.extra {
			f.out.WriteString("event: message\ndata: ")
			f.out.Write(bytes.TrimRight(e, "\n"))
			f.out.WriteString("\n\n")
		}
		resp.Body = f
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
	}
	return nil
}

func replaceBody(resp *http.Response, b []byte) {
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
}

// rewriteJSON filters the lists in one JSON text of an answer (a message
// or, for a batch, an array of them); withExtra adds the batch's
// refusals, which a stream gets as events of their own instead.
func (rt *route) rewriteJSON(data []byte, rp *reply, withExtra bool) []byte {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var items []json.RawMessage
		if json.Unmarshal(trimmed, &items) != nil {
			return data
		}
		out := make([][]byte, 0, len(items)+len(rp.extra))
		for _, it := range items {
			out = append(out, rt.filterResponse(it, rp))
		}
		if withExtra {
			out = append(out, rp.extra...)
		}
		return joinArray(out)
	}
	out := rt.filterResponse(data, rp)
	if withExtra && len(rp.extra) > 0 {
		return joinArray(append([][]byte{out}, rp.extra...))
	}
	return out
}

// filterResponse filters one response if it answers a list request:
// the request of a single-message body, or in a batch the one with its id.
// A batch answer whose id matches none of the requests, and any answer on
// a GET stream, is filtered by what its result holds, so that re-encoding
// an id or moving an answer to another stream cannot get a list past the
// filter.
func (rt *route) filterResponse(data []byte, rp *reply) []byte {
	if !rp.batch {
		if rp.single == "" {
			return data
		}
		return rt.filterMessage(data, rp.single, rp)
	}
	if rp.lists == nil {
		return data
	}
	var msg struct {
		ID     json.RawMessage            `json:"id"`
		Result map[string]json.RawMessage `json:"result"`
	}
	if json.Unmarshal(data, &msg) != nil || msg.Result == nil {
		return data
	}
	if method, ok := rp.lists[idKey(msg.ID)]; ok {
		return rt.filterMessage(data, method, rp)
	}
	for method, field := range listField {
		if msg.Result[field] != nil && rt.rewritesList(method) {
			data = rt.filterMessage(data, method, rp)
		}
	}
	return data
}

// serveReply runs an in-process backend for a request whose answer must
// change, and changes its (finite) answer before the client sees it.
func (rt *route) serveReply(w http.ResponseWriter, r *http.Request, rp *reply) {
	rec := &bufferedResponse{header: http.Header{}}
	rt.Handler.ServeHTTP(rec, r)
	resp := &http.Response{StatusCode: rec.status, Header: rec.header, Body: io.NopCloser(&rec.body), ContentLength: int64(rec.body.Len())}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	if err := rt.rewriteReply(resp, rp); err != nil {
		writeRPCError(w, http.StatusBadGateway, nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the MCP server's answer could not be filtered"})
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
