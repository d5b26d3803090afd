package gateway

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// The tests of streaming that run over both backend protocols (HTTP/1.1
// and HTTP/2 with Backend.HTTP2) name their subtests by it.
var backendProtocols = []struct {
	name string
	h2   bool
}{{"backend HTTP/1.1", false}, {"backend HTTP/2", true}}

// protos records the HTTP major version of every request that reaches a
// backend.
type protos struct {
	mu   sync.Mutex
	seen []int
}

func (p *protos) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.ProtoMajor)
		p.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// check fails the test unless requests reached the backend and every one
// came over HTTP/2 (h2) or HTTP/1.1: a gateway that fell back from
// HTTP/2 to HTTP/1.1 fails it.
func (p *protos) check(t *testing.T, h2 bool) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	want := 1
	if h2 {
		want = 2
	}
	if len(p.seen) == 0 {
		t.Fatal("no request reached the backend")
	}
	for _, got := range p.seen {
		if got != want {
			t.Fatalf("the backend got requests over HTTP/%v, want all over HTTP/%d", p.seen, want)
		}
	}
}

// TestClientGoneCancelsBackendStream: a client that goes away ends the
// backend's request (TR1): over HTTP/1.1 the gateway closes the backend
// connection, over HTTP/2 it resets the stream (RST_STREAM).
func TestClientGoneCancelsBackendStream(t *testing.T) {
	for _, bp := range backendProtocols {
		t.Run(bp.name, func(t *testing.T) {
			var p protos
			cancelled := make(chan struct{})
			gw := newTestGateway(t, p.record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, "data: open\n\n")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				close(cancelled)
			})), func(s *Backend) { s.HTTP2 = bp.h2 })
			resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", map[string]string{"Accept": "text/event-stream"})
			sc := bufio.NewScanner(resp.Body)
			if !sc.Scan() || sc.Text() != "data: open" {
				t.Fatalf("first line %q, %v", sc.Text(), sc.Err())
			}
			resp.Body.Close()
			select {
			case <-cancelled:
			case <-time.After(20 * time.Second):
				t.Fatal("the client went away and the backend's request was never cancelled")
			}
			p.check(t, bp.h2)
		})
	}
}

// TestHTTP2BackendSharesAConnection: streams held open at once to an
// HTTP/2 backend share one connection.
func TestHTTP2BackendSharesAConnection(t *testing.T) {
	const streams = 5
	var mu sync.Mutex
	remotes := map[string]bool{}
	open := make(chan struct{}, streams)
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes[r.RemoteAddr] = r.ProtoMajor == 2
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: open\n\n")
		w.(http.Flusher).Flush()
		open <- struct{}{}
		<-r.Context().Done()
	}), func(s *Backend) { s.HTTP2 = true })
	for range streams {
		resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", map[string]string{"Accept": "text/event-stream"})
		if !bufio.NewScanner(resp.Body).Scan() {
			t.Fatal("a stream did not open")
		}
	}
	for range streams {
		<-open
	}
	mu.Lock()
	defer mu.Unlock()
	if len(remotes) != 1 {
		t.Fatalf("%d streams came over %d connections: %v", streams, len(remotes), remotes)
	}
	for addr, h2 := range remotes {
		if !h2 {
			t.Fatalf("the connection from %s is not HTTP/2", addr)
		}
	}
}

// TestHTTP2OverTLSIsNegotiated: to an https:// backend, the HTTP/2
// transport offers only h2 by ALPN (the custom dialer does not turn it
// off), and a backend that does not pick it, by refusing h2 or by
// ignoring ALPN, is refused rather than spoken to in HTTP/1.1.
func TestHTTP2OverTLSIsNegotiated(t *testing.T) {
	var p protos
	ok := func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }
	start := func(h2 bool, cfg *tls.Config) *httptest.Server {
		srv := httptest.NewUnstartedServer(p.record(http.HandlerFunc(ok)))
		srv.EnableHTTP2, srv.TLS = h2, cfg
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv
	}
	h2 := start(true, nil)
	h1 := start(false, &tls.Config{NextProtos: []string{"http/1.1"}})
	noALPN := start(false, &tls.Config{NextProtos: []string{}})

	get := func(srv *httptest.Server, http2 bool) (*http.Response, error) {
		tr := newTransport(5*time.Second, http2)
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := tr.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := get(h2, true)
	if err != nil || resp.ProtoMajor != 2 {
		t.Fatalf("to an h2 backend over TLS: %v, %v", resp, err)
	}
	p.check(t, true)
	for name, srv := range map[string]*httptest.Server{"refuses h2": h1, "ignores ALPN": noALPN} {
		if resp, err := get(srv, true); err == nil {
			t.Errorf("a TLS backend that %s was spoken to in %s", name, resp.Proto)
		}
		if resp, err := get(srv, false); err != nil || resp.ProtoMajor != 1 {
			t.Errorf("without HTTP2, to a TLS backend that %s: %v, %v", name, resp, err)
		}
	}
}

// TestHTTP2BackendRefusesHTTP1Only: an http:// backend that does not
// speak h2c is an error for the HTTP/2 transport, not a silent fallback.
func TestHTTP2BackendRefusesHTTP1Only(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer srv.Close()
	tr := newTransport(5*time.Second, true)
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if resp, err := tr.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Fatalf("an HTTP/1.1-only backend answered %s over %s", resp.Status, resp.Proto)
	}
}
