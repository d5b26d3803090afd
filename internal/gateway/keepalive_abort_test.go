package gateway

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
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
	}), func(s *Backend) { s.KeepAlive = time.Millisecond })
	resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", nil)
	_, _ = io.ReadAll(resp.Body)
	// Give a leaked timer many chances to fire before the test ends.
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// TestBrokenStreamLogged: the proxy's report of a stream cut mid-body goes
// to the gateway's structured log, naming the server, not to stderr.
func TestBrokenStreamLogged(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	gw := newTestGatewayLog(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
	}), nil, log)
	resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", nil)
	_, _ = io.ReadAll(resp.Body)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "ReverseProxy read error") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := buf.String(); !strings.Contains(got, "ReverseProxy read error") || !strings.Contains(got, "server=t") || !strings.Contains(got, "level=WARN") {
		t.Fatalf("the cut stream is not in the gateway's log:\n%s", got)
	}
}

// syncBuffer is a bytes.Buffer safe for the proxy's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
