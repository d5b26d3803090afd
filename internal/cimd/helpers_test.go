package cimd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is the injected clock: tests move it, nothing sleeps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mapResolver answers from a table: exact names first, then any name under
// example.com. An answer list with several entries is served in turn, the
// last one repeating, to model DNS that changes its answer.
type mapResolver struct {
	mu      sync.Mutex
	answers map[string][][]netip.Addr
	lookups []string
}

func newResolver() *mapResolver {
	return &mapResolver{answers: map[string][][]netip.Addr{}}
}

func (r *mapResolver) set(host string, answers ...[]netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[host] = answers
}

func (r *mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups = append(r.lookups, host)
	seq, ok := r.answers[host]
	if !ok && strings.HasSuffix(host, ".example.com") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	if len(seq) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	a := seq[0]
	if len(seq) > 1 {
		r.answers[host] = seq[1:]
	}
	return a, nil
}

func (r *mapResolver) looked() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lookups...)
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// testServer is an HTTPS server on loopback that counts requests.
type testServer struct {
	*httptest.Server
	hits atomic.Int64
}

func startServer(t *testing.T, h2 bool, h http.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	s.EnableHTTP2 = h2
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // aborted connections are the point of some tests
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) port() int { return s.Listener.Addr().(*net.TCPAddr).Port }

// id is the client_id URL for host and path on this server.
func (s *testServer) id(host, path string) string {
	return fmt.Sprintf("https://%s:%d%s", host, s.port(), path)
}

// requestURL is the URL a request was sent to: the client_id it fetches.
func requestURL(r *http.Request) string { return "https://" + r.Host + r.URL.RequestURI() }

// serveDoc answers with a valid document naming the requested URL, with
// edits applied (see docJSON) and extra header fields.
func serveDoc(t testing.TB, edits map[string]any, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e := map[string]any{"client_id": requestURL(r)}
		for k, v := range edits {
			e[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Add(header[i], header[i+1])
		}
		_, _ = w.Write(docJSON(t, e))
	}
}

// newTestFetcher trusts srv's certificate, allows loopback (the server's
// address), resolves every *.example.com name to 127.0.0.1 and runs on a
// fake clock. edit changes the options before New.
func newTestFetcher(t *testing.T, srv *testServer, edit func(*Options)) (*Fetcher, *fakeClock, *mapResolver) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)}
	res := newResolver()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	o := Options{
		AllowPrivateNetworks: true,
		RootCAs:              pool,
		Resolver:             res,
		Now:                  clock.Now,
		MinCacheTTL:          time.Minute,
		MaxCacheTTL:          time.Hour,
		DefaultCacheTTL:      10 * time.Minute,
	}
	if edit != nil {
		edit(&o)
	}
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f, clock, res
}

// dialLog records the addresses the fetcher connected to.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (l *dialLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.addrs...)
}

// publicNetwork makes the fetcher see the Internet: AllowPrivateNetworks
// off, client.example.com at a public address, and every connection to a
// checked address carried to srv instead, recorded in log.
func publicNetwork(srv *testServer, log *dialLog) func(*Options) {
	return func(o *Options) {
		o.AllowPrivateNetworks = false
		o.Resolver.(*mapResolver).set("client.example.com", addrs("93.184.215.14"))
		o.dial = func(ctx context.Context, network, address string) (net.Conn, error) {
			log.mu.Lock()
			log.addrs = append(log.addrs, address)
			log.mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		}
	}
}

// wantKind fails unless err is an *Error of kind k.
func wantKind(t *testing.T, err error, k Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a %s *Error", err, err, k)
	}
	if e.Kind != k {
		t.Fatalf("error kind = %s (%v), want %s", e.Kind, e, k)
	}
	return e
}
