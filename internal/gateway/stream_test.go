package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStreamPiecesArriveAsSent: a stream waits with a small buffer and
// borrows a large one when a read fills it (copier); whatever the sizes,
// every piece the backend flushes reaches the client before the backend
// sends the next, over either backend protocol. The backend waits for
// the client to have each piece, so a piece held back fails the test.
func TestStreamPiecesArriveAsSent(t *testing.T) {
	pieces := []string{
		"d", // one byte: the start of an event split across writes
		"ata: split across writes\n\n",
		"data: " + strings.Repeat("m", streamBufferSize+1) + "\n\n", // just over the small buffer
		"data: " + strings.Repeat("l", 3*copyBufferSize+5) + "\n\n", // over the large one
		"\n", // one byte again, after a burst
		"data: last\n\n",
	}
	for _, bp := range backendProtocols {
		t.Run(bp.name, func(t *testing.T) {
			got := make(chan int, len(pieces)) // pieces the client has whole
			gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				for i, p := range pieces {
					_, _ = io.WriteString(w, p)
					w.(http.Flusher).Flush()
					select {
					case n := <-got:
						if n != i+1 {
							t.Errorf("client had %d pieces, want %d", n, i+1)
							return
						}
					case <-r.Context().Done():
						return
					case <-time.After(10 * time.Second):
						t.Errorf("piece %d (%d bytes) never reached the client whole", i, len(p))
						return
					}
				}
			}), func(s *Backend) { s.HTTP2 = bp.h2 })
			resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", map[string]string{"Accept": "text/event-stream"})
			for i, p := range pieces {
				buf := make([]byte, len(p))
				if _, err := io.ReadFull(resp.Body, buf); err != nil {
					t.Fatalf("piece %d: %v", i, err)
				}
				if string(buf) != p {
					t.Fatalf("piece %d = %.40q…, want %.40q…", i, buf, p)
				}
				got <- i + 1
			}
			if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) != 0 {
				t.Fatalf("after the pieces: %q, %v", rest, err)
			}
		})
	}
}
