package gateway

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// sendPost posts a ping through the gateway with the headers given as
// they are (a nil value removes a header the client would add itself).
func sendPost(t *testing.T, u string, hdr http.Header) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer good")
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close(); tr.CloseIdleConnections() })
	return resp
}

// Hop-by-hop headers (RFC 9110 §7.6.1), the fixed ones and those a
// Connection header names, go no further than one hop in either
// direction; a client's "Te: trailers" is passed on as just that.
func TestForwardDropsHopByHopHeaders(t *testing.T) {
	var got http.Header
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Connection", "X-Reply-Hop")
		w.Header().Set("X-Reply-Hop", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Reply-Kept", "1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), nil)
	resp := sendPost(t, gw.URL+"/mcp", http.Header{
		"Connection": {"X-Hop, keep-alive"}, "X-Hop": {"1"}, "Keep-Alive": {"timeout=5"},
		"Te": {"trailers, deflate"}, "Proxy-Connection": {"keep-alive"}, "X-Kept": {"1"},
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, h := range []string{"X-Hop", "Keep-Alive", "Proxy-Connection", "Connection"} {
		if v, ok := got[h]; ok {
			t.Errorf("the backend got %s: %q", h, v)
		}
	}
	if got.Get("X-Kept") != "1" || got.Get("Te") != "trailers" {
		t.Errorf("backend got X-Kept %q, Te %q; want 1, trailers", got.Get("X-Kept"), got.Get("Te"))
	}
	for _, h := range []string{"X-Reply-Hop", "Keep-Alive"} {
		if v, ok := resp.Header[h]; ok {
			t.Errorf("the client got %s: %q", h, v)
		}
	}
	if resp.Header.Get("X-Reply-Kept") != "1" {
		t.Errorf("the client lost X-Reply-Kept")
	}
}

// hasToken matches whole list elements only.
func TestHasToken(t *testing.T) {
	for _, tt := range []struct {
		values []string
		want   bool
	}{
		{[]string{"trailers"}, true}, {[]string{"deflate, Trailers"}, true}, {[]string{"gzip", " trailers ;q=1"}, true},
		{[]string{"trailersx"}, false}, {[]string{"x-trailers, deflate"}, false}, {nil, false},
	} {
		if got := hasToken(tt.values, "trailers"); got != tt.want {
			t.Errorf("hasToken(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

// A client that sends no User-Agent does not get Go's sent in its name;
// one that sends its own has it passed on.
func TestForwardUserAgent(t *testing.T) {
	var got []string
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, strings.Join(r.Header.Values("User-Agent"), ","))
	}), nil)
	sendPost(t, gw.URL+"/mcp", http.Header{"User-Agent": {""}})
	sendPost(t, gw.URL+"/mcp", http.Header{"User-Agent": {"agent/1.0"}})
	if strings.Join(got, "|") != "|agent/1.0" {
		t.Fatalf("backend User-Agents = %q, want none, then agent/1.0", got)
	}
}

// The backend's trailers reach the client.
func TestForwardTrailers(t *testing.T) {
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		w.Header().Set("Content-Type", "application/json")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
		w.Header().Set("X-Checksum", "abc")
	}), nil)
	resp := sendPost(t, gw.URL+"/mcp", nil)
	body, _ := io.ReadAll(resp.Body)
	if string(body) != `{"jsonrpc":"2.0","id":1,"result":{}}` || resp.Trailer.Get("X-Checksum") != "abc" {
		t.Fatalf("body %q, trailer %q", body, resp.Trailer.Get("X-Checksum"))
	}
}

// A finite JSON answer keeps its length and body byte for byte.
func TestForwardFiniteAnswer(t *testing.T) {
	answer := `{"jsonrpc":"2.0","id":1,"result":{"text":"` + strings.Repeat("x", 40<<10) + `"}}`
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "40999")
		_, _ = io.WriteString(w, answer[:40999])
	}), nil)
	resp := sendPost(t, gw.URL+"/mcp", nil)
	body, _ := io.ReadAll(resp.Body)
	if resp.ContentLength != 40999 || string(body) != answer[:40999] {
		t.Fatalf("length %d, body of %d bytes; want 40999 and the backend's bytes", resp.ContentLength, len(body))
	}
}

// A POST answered with an SSE stream is relayed event by event: the
// backend sends its second event only once the client has the first.
func TestForwardPostStreamEventByEvent(t *testing.T) {
	firstSeen := make(chan struct{})
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "id: 1\ndata: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-firstSeen:
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
			return
		}
		_, _ = io.WriteString(w, "id: 2\ndata: second\n\n")
	}), nil)
	resp := sendPost(t, gw.URL+"/mcp", http.Header{"Accept": {"application/json, text/event-stream"}})
	if resp.Header.Get("X-Accel-Buffering") != "no" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("X-Accel-Buffering %q, Cache-Control %q", resp.Header.Get("X-Accel-Buffering"), resp.Header.Get("Cache-Control"))
	}
	var got []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "data: ") {
			got = append(got, l)
			if l == "data: first" {
				close(firstSeen)
			}
		}
	}
	if strings.Join(got, "|") != "data: first|data: second" {
		t.Fatalf("events = %q (the first event was held back)", got)
	}
}

// chunkReader returns the chunks one read at a time and records how much
// room each read was given.
type chunkReader struct {
	chunks []int
	asked  []int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	c.asked = append(c.asked, len(p))
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := min(c.chunks[0], len(p))
	c.chunks = c.chunks[1:]
	for i := range p[:n] {
		p[i] = 'x'
	}
	return n, nil
}

// A stream waits with a small buffer and borrows a large one only while
// the backend sends more than the small one holds; a finite answer uses
// the large one throughout. Every byte arrives either way.
func TestCopyBodyBuffers(t *testing.T) {
	const small, large = streamBufferSize, copyBufferSize
	tests := []struct {
		name   string
		stream bool
		chunks []int
		asked  []int
	}{
		{"idle stream, small events", true, []int{100, 50}, []int{small, small, small}},
		{"a burst", true, []int{small, large, 10, 20}, []int{small, large, large, small, small}},
		{"finite answer", false, []int{100, large}, []int{large, large, large}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w := &countingWriter{ResponseWriter: rec}
			rt := &route{gw: &Gateway{opt: Options{Log: slog.New(slog.DiscardHandler)}}}
			r := &chunkReader{chunks: slices.Clone(tt.chunks)}
			if err := rt.copyBody(w, r, tt.stream); err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, c := range tt.chunks {
				total += c
			}
			if !slices.Equal(r.asked, tt.asked) || rec.Body.Len() != total {
				t.Fatalf("reads were given %v, want %v; copied %d bytes, want %d", r.asked, tt.asked, rec.Body.Len(), total)
			}
		})
	}
}
