package cimd

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// toServer sends every connection to srv, whatever address was checked, so
// that names can resolve to different (fake) addresses.
func toServer(srv *testServer) func(*Options) {
	return func(o *Options) {
		o.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		}
	}
}

func wantLimited(t *testing.T, err error) {
	t.Helper()
	e := wantKind(t, err, KindFetch)
	if !strings.Contains(e.Description, "could not be fetched now") {
		t.Errorf("description %q does not say the document could not be fetched now", e.Description)
	}
}

// TestHostLimitRefusesFurtherFetches: at most HostFetches requests to one
// host in HostWindow, whatever the URLs; further ones fail at once with a
// clear error, without a request, and are not remembered as failures.
// Other hosts are unaffected, and the window passes.
func TestHostLimitRefusesFurtherFetches(t *testing.T) {
	srv := startServer(t, false, serveDoc(t, nil, "Cache-Control", "no-store"))
	f, clock, res := newTestFetcher(t, srv, func(o *Options) {
		o.HostFetches, o.HostWindow = 2, time.Minute
		toServer(srv)(o)
	})
	res.set("other.example.com", addrs("127.0.0.2"))
	victim := func(n int) string { return srv.id("victim.example.com", fmt.Sprintf("/c%d.json", n)) }
	for i := range 2 {
		if _, err := f.Fetch(context.Background(), victim(i)); err != nil {
			t.Fatalf("fetch %d: %v", i, err)
		}
	}
	for i := 2; i < 50; i++ {
		_, err := f.Fetch(context.Background(), victim(i))
		wantLimited(t, err)
	}
	// Another spelling or port of the same host is the same host.
	for _, id := range []string{srv.id("VICTIM.Example.com", "/c1.json"), fmt.Sprintf("https://victim.example.com:1%s", "/c1.json")} {
		_, err := f.Fetch(context.Background(), id)
		wantLimited(t, err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d requests reached the host, want 2", n)
	}
	if _, err := f.Fetch(context.Background(), srv.id("other.example.com", "/c.json")); err != nil {
		t.Errorf("another host: %v", err)
	}
	clock.Advance(time.Minute - time.Second)
	_, err := f.Fetch(context.Background(), victim(2))
	wantLimited(t, err)
	clock.Advance(time.Second)
	if _, err := f.Fetch(context.Background(), victim(2)); err != nil {
		t.Errorf("after the window, a URL refused before: %v (a refusal must not be remembered as a failure)", err)
	}
}

// TestHostLimitSharedByAddress: names that all resolve to one address
// (wildcard DNS pointed at a victim) share one budget of connections.
func TestHostLimitSharedByAddress(t *testing.T) {
	srv := startServer(t, false, serveDoc(t, nil, "Cache-Control", "no-store"))
	f, _, res := newTestFetcher(t, srv, func(o *Options) {
		o.HostFetches, o.HostWindow = 3, time.Minute
		toServer(srv)(o)
	})
	for i := range 10 {
		res.set(fmt.Sprintf("n%d.example.com", i), addrs("127.0.0.9"))
	}
	res.set("n9.example.com", addrs("::ffff:127.0.0.9")) // the same address, mapped
	for i := range 10 {
		_, err := f.Fetch(context.Background(), srv.id(fmt.Sprintf("n%d.example.com", i), "/c.json"))
		if i < 3 && err != nil {
			t.Fatalf("name %d: %v", i, err)
		}
		if i >= 3 {
			wantLimited(t, err)
		}
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("%d requests reached the address, want 3", n)
	}
}

// TestHostLimitConcurrency: at most HostConcurrency requests to one host
// at once; another host is not held up.
func TestHostLimitConcurrency(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 4)
	srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Host, "slow.") {
			arrived <- struct{}{}
			<-release
		}
		serveDoc(t, nil, "Cache-Control", "no-store")(w, r)
	})
	f, _, res := newTestFetcher(t, srv, func(o *Options) {
		o.HostConcurrency = 1
		toServer(srv)(o)
	})
	res.set("fast.example.com", addrs("127.0.0.3"))
	first := make(chan error, 1)
	go func() {
		_, err := f.Fetch(context.Background(), srv.id("slow.example.com", "/a.json"))
		first <- err
	}()
	<-arrived
	_, err := f.Fetch(context.Background(), srv.id("slow.example.com", "/b.json"))
	wantLimited(t, err)
	if _, err := f.Fetch(context.Background(), srv.id("fast.example.com", "/a.json")); err != nil {
		t.Errorf("another host while one is busy: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := f.Fetch(context.Background(), srv.id("slow.example.com", "/b.json")); err != nil {
		t.Errorf("once the first finished: %v", err)
	}
}

// TestHostLimitCoversClient: requests made with Client (a document's
// jwks_uri) count against the same host budget.
func TestHostLimitCoversClient(t *testing.T) {
	srv := startServer(t, false, serveDoc(t, nil, "Cache-Control", "no-store"))
	f, _, _ := newTestFetcher(t, srv, func(o *Options) { o.HostFetches = 1 })
	if _, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json")); err != nil {
		t.Fatal(err)
	}
	resp, err := f.Client().Get(srv.id("client.example.com", "/jwks.json"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a key set request over the host's budget: %d", resp.StatusCode)
	}
	wantLimited(t, err)
}

func TestHostLimitsTable(t *testing.T) {
	now := time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)
	h := newHostLimits(2, time.Minute, 1, func() time.Time { return now })
	done, err := h.take("a", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.take("a", true); err == nil {
		t.Error("a second request in flight was allowed")
	}
	done()
	done() // releasing twice changes nothing
	if _, err := h.take("a", false); err != nil {
		t.Errorf("after release: %v", err)
	}
	if _, err := h.take("a", false); err == nil {
		t.Error("a third request in the window was allowed")
	}
	now = now.Add(time.Minute)
	if _, err := h.take("a", false); err != nil {
		t.Errorf("after the window: %v", err)
	}
	if newHostLimits(-1, time.Minute, -1, nil) != nil {
		t.Error("limits with nothing to limit")
	}
}

// TestHostLimitsTableIsBounded: hosts are forgotten once idle; while the
// table is full of active hosts, a new host is refused rather than an
// active one forgotten (which would reset its budget).
func TestHostLimitsTableIsBounded(t *testing.T) {
	now := time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)
	h := newHostLimits(5, time.Minute, 2, func() time.Time { return now })
	for i := range hostTableSize {
		if _, err := h.take(fmt.Sprint(i), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.take("one more", false); err == nil {
		t.Error("a new host was tracked over the bound")
	}
	if _, err := h.take("0", false); err != nil {
		t.Errorf("a tracked host: %v", err)
	}
	now = now.Add(time.Minute)
	if _, err := h.take("one more", false); err != nil {
		t.Errorf("after the window, idle hosts are forgotten: %v", err)
	}
	if n := len(h.use); n > hostTableSize {
		t.Errorf("%d hosts tracked", n)
	}
}
