package stdio

import (
	"fmt"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveStream writes a stream's messages as the HTTP response until the
// stream ends or the client goes away.
//
// A POST whose only message is its response gets that response as
// application/json; otherwise, and as soon as anything else must be sent
// first (a notification, a server request, a keep-alive), the response
// becomes an SSE stream. Both are valid answers to a POST (2025-11-25
// basic/transports §"Sending Messages to the Server", item 5).
//
// expire, if not nil, fires when the call has waited too long; the caller
// answers it by pushing an error response.
func (b *Bridge) serveStream(w http.ResponseWriter, r *http.Request, st *stream, modern bool, expire <-chan time.Time, onExpire func()) {
	sw := sseWriter{w: w, rc: http.NewResponseController(w)}
	if st.get {
		sw.start()
	}
	var keepAlive <-chan time.Time // none when KeepAlive is negative
	if b.opt.KeepAlive > 0 {
		ka := time.NewTicker(b.opt.KeepAlive)
		defer ka.Stop()
		keepAlive = ka.C
	}
	for {
		items, done := st.take()
		for i, it := range items {
			if !sw.started && st.single && it.last && i == 0 {
				writeJSONBody(w, responseStatus(modern, it.errCode), it.data)
				return
			}
			if !sw.event(it.data) {
				st.close()
				return
			}
			if it.last {
				return
			}
		}
		if done {
			sw.start()
			return
		}
		select {
		case <-st.wake:
		case <-keepAlive:
			if !sw.comment() {
				st.close()
				return
			}
		case <-r.Context().Done():
			st.close()
			return
		case <-expire:
			expire = nil
			onExpire()
		}
	}
}

// responseStatus maps a 2026-07-28 protocol-level error to the HTTP status
// the transport requires (2026-07-28 basic/transports/streamable-http
// §"Protocol Version Header": unknown method → 404; unsupported version →
// 400; SEP-2575 adds invalid params and missing capabilities → 400). Older
// revisions always answer 200 with the error in the body.
func responseStatus(modern bool, code int64) int {
	if !modern {
		return http.StatusOK
	}
	switch code {
	case jsonrpc.CodeMethodNotFound:
		return http.StatusNotFound
	case jsonrpc.CodeInvalidParams, mcp.CodeUnsupportedProtocolVersion, mcp.CodeMissingRequiredClientCapabilities:
		return http.StatusBadRequest
	}
	return http.StatusOK
}

type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

// start sends the SSE response headers. X-Accel-Buffering stops nginx and
// its kind from holding events back (2026-07-28 streamable-http §"Receiving
// Messages"; DESIGN TR1).
func (s *sseWriter) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	// A comment makes the headers leave at once, even through proxies that
	// hold an HTTP/2 HEADERS frame until the first DATA frame.
	_, _ = fmt.Fprint(s.w, ": stream open\n\n")
	_ = s.rc.Flush()
}

func (s *sseWriter) event(data []byte) bool {
	s.start()
	if _, err := fmt.Fprintf(s.w, "event: message\ndata: %s\n\n", data); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

func (s *sseWriter) comment() bool {
	s.start()
	if _, err := fmt.Fprint(s.w, ": keep-alive\n\n"); err != nil {
		return false
	}
	return s.rc.Flush() == nil
}

func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers with a JSON-RPC error body. Clients read these bodies
// to learn why a request failed and which protocol era the server speaks
// (DESIGN TR3).
func writeError(w http.ResponseWriter, status int, id jsonrpc.ID, code int64, msg string, data []byte) {
	body, err := encode(&jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: msg, Data: data}})
	if err != nil {
		http.Error(w, msg, status)
		return
	}
	writeJSONBody(w, status, body)
}

// writeNoSession answers 404 for an unknown or ended session, as the
// transport requires (2025-11-25 basic/transports §"Session Management",
// item 3). The body is plain text on purpose: a client that finds a
// JSON-RPC error in it (the Go SDK does) reports that error instead of
// recognising the ended session and starting a new one.
func writeNoSession(w http.ResponseWriter) {
	http.Error(w, "session not found", http.StatusNotFound)
}

// errorResponse builds the JSON-RPC error a caller receives instead of a
// response.
func errorResponse(id jsonrpc.ID, code int64, msg string) []byte {
	data, _ := encode(&jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: msg}})
	return data
}
