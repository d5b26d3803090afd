package gateway

import (
	"io"
	"net/http"
	"strings"
	"sync"
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

// Streams copied at once never share a buffer: each client receives its
// own backend's bytes exactly, while every stream keeps borrowing the
// large buffer (events over the small one) and giving it back (events
// under it). A buffer given back before its bytes were written out would
// hand them to another stream (and the race detector would see it).
func TestConcurrentStreamsKeepTheirBytes(t *testing.T) {
	sizes := []int{300, 20000, 100, streamBufferSize + 1, 17000, 50, copyBufferSize + 7, 10}
	const streams, rounds = 6, 25
	event := func(letter byte, size int) string {
		return "data: " + strings.Repeat(string(letter), size) + "\n\n"
	}
	expect := func(letter byte) string {
		var b strings.Builder
		for range rounds {
			for _, n := range sizes {
				b.WriteString(event(letter, n))
			}
		}
		return b.String()
	}
	for _, bp := range backendProtocols {
		t.Run(bp.name, func(t *testing.T) {
			gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				letter := r.URL.Query().Get("s")[0]
				w.Header().Set("Content-Type", "text/event-stream")
				for range rounds {
					for _, n := range sizes {
						if _, err := io.WriteString(w, event(letter, n)); err != nil {
							return
						}
						w.(http.Flusher).Flush()
					}
				}
			}), func(s *Backend) { s.HTTP2 = bp.h2 })
			var wg sync.WaitGroup
			for i := range streams {
				letter := byte('a' + i)
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp := do(t, http.MethodGet, gw.URL+"/mcp?s="+string(letter), "good", map[string]string{"Accept": "text/event-stream"})
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						t.Errorf("stream %c: %v", letter, err)
						return
					}
					if want := expect(letter); string(body) != want {
						t.Errorf("stream %c: %d bytes, want %d; first difference at %d", letter, len(body), len(want), firstDiff(string(body), want))
					}
				}()
			}
			wg.Wait()
		})
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
