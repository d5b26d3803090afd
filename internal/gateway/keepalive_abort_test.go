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
	post(t, gw.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, nil)
	// Give a leaked timer many chances to fire before the test ends.
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// TestBrokenStreamLogged: the forwarder's report of a stream cut mid-body
// goes to the gateway's structured log, naming the server, not to stderr:
// a GET stream and a POST's answer alike.
func TestBrokenStreamLogged(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
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
			var resp *http.Response
			if method == http.MethodGet {
				resp = do(t, method, gw.URL+"/mcp", "good", nil)
			} else {
				resp, _ = post(t, gw.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, nil)
			}
			_, _ = io.ReadAll(resp.Body)
			const want = "backend response cut mid-body"
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(buf.String(), want) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := buf.String(); !strings.Contains(got, want) || !strings.Contains(got, "server=t") || !strings.Contains(got, "level=WARN") {
				t.Fatalf("the cut stream is not in the gateway's log:\n%s", got)
			}
		})
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
