package gateway

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// TestBrokenStreamStopsKeepAlive: a backend that breaks a stream mid-body
// makes the proxy abort the handler with a panic; the keep-alive timer
// must stop all the same, or it writes to a finished response (which
// crashes the process).
func TestBrokenStreamStopsKeepAlive(t *testing.T) {
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close() // mid-stream: the chunked body never ends
		}
	}), func(s *Server) { s.KeepAlive = time.Millisecond })
	resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", nil)
	_, _ = io.ReadAll(resp.Body)
	// Give a leaked timer many chances to fire before the test ends.
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}
