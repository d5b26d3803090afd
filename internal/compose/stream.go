package compose

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxQueued bounds the messages waiting for one slow client; beyond it the
// stream is abandoned rather than a member's reader blocked.
const maxQueued = 4096

// A stream is one HTTP response to the client: the answer to a POST that
// held a request, or a session's standalone GET stream (2025-11-25
// basic/transports §"Listening for Messages from the Server").
type stream struct {
	get bool

	mu    sync.Mutex
	queue []item
	done  bool // the last message is queued, or the stream was abandoned
	// sse: a member streamed its answer, so the client gets a stream too
	// even if only the response follows.
	sse  bool
	wake chan struct{}
}

type item struct {
	data []byte
	last bool  // the response: the HTTP response ends after it
	code int64 // a response's JSON-RPC error code, for 2026-07-28 statuses
}

func newStream(get bool) *stream { return &stream{get: get, wake: make(chan struct{}, 1)} }

// push queues a message; last marks the response that ends a POST's
// stream. It reports false when the stream takes no more.
func (s *stream) push(data []byte, last bool, code int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return false
	}
	if len(s.queue) >= maxQueued {
		s.done = true
		s.signal()
		return false
	}
	s.queue = append(s.queue, item{data: data, last: last && !s.get, code: code})
	s.done = last && !s.get
	s.signal()
	return true
}

func (s *stream) streamed() {
	s.mu.Lock()
	s.sse = true
	s.mu.Unlock()
	s.signal()
}

// close abandons the stream.
func (s *stream) close() {
	s.mu.Lock()
	s.done = true
	s.signal()
	s.mu.Unlock()
}

func (s *stream) take() ([]item, bool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q, s.done, s.sse
}

func (s *stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// serve writes the stream as the HTTP response until it ends or the client
// goes away. A POST whose member answered with plain JSON, and whose first
// message is its response, gets application/json; otherwise an SSE stream
// (both valid answers, 2025-11-25 basic/transports §"Sending Messages to
// the Server", item 5).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, st *stream, modern bool) {
	sw := sseWriter{w: w, rc: http.NewResponseController(w)}
	if st.get {
		sw.start()
	}
	var keepAlive <-chan time.Time
	if s.keepAlive > 0 {
		t := time.NewTicker(s.keepAlive)
		defer t.Stop()
		keepAlive = t.C
	}
	for {
		items, done, sse := st.take()
		if sse {
			sw.start()
		}
		for i, it := range items {
			if !sw.started && it.last && i == 0 {
				writeJSON(w, status(modern, it.code), it.data)
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
		case <-s.done:
			st.close()
			return
		}
	}
}

// status maps a 2026-07-28 protocol-level error to the HTTP status the
// transport requires (2026-07-28 basic/transports/streamable-http
// §"Protocol Version Header"); older revisions answer 200.
func status(modern bool, code int64) int {
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

// start sends the SSE headers; X-Accel-Buffering stops proxies holding
// events back (DESIGN TR1).
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

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers with a JSON-RPC error body: clients read these to
// learn why a request failed and which era the server speaks (DESIGN TR3).
func writeError(w http.ResponseWriter, status int, id jsonrpc.ID, code int64, msg string) {
	writeJSON(w, status, errorBody(id, code, msg, nil))
}

// writeNoSession answers 404 for an unknown or ended session (2025-11-25
// §"Session Management", item 3), in plain text so that clients recognise
// the ended session rather than report a JSON-RPC error.
func writeNoSession(w http.ResponseWriter) {
	http.Error(w, "session not found", http.StatusNotFound)
}

// reply queues the response that ends a POST's stream.
func (s *stream) reply(body []byte, code int64) bool { return s.push(body, true, code) }
