package clientaddr

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAddr(t *testing.T) {
	r, err := New([]string{"10.0.0.0/8", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		remote, xff, want string
	}{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "1.2.3.4", "203.0.113.5"}, // untrusted peer: header ignored
		{"10.1.2.3:80", "198.51.100.7", "198.51.100.7"},
		{"10.1.2.3:80", "6.6.6.6, 198.51.100.7", "198.51.100.7"},  // a client's own entry is not believed
		{"10.1.2.3:80", "198.51.100.7, 10.9.9.9", "198.51.100.7"}, // proxies chained
		{"192.0.2.1:80", "10.2.2.2, 192.0.2.1", "10.2.2.2"},       // all trusted: the leftmost
		{"10.1.2.3:80", "garbage, 198.51.100.7", "198.51.100.7"},  // garbage left of the first untrusted hop
		{"10.1.2.3:80", "198.51.100.7, garbage", "10.1.2.3"},      // garbage at the end: stop at the peer
		{"[::ffff:10.1.2.3]:80", "2001:db8::1", "2001:db8::1"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.remote
		if tt.xff != "" {
			req.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := r.Addr(req).String(); got != tt.want {
			t.Errorf("remote %s xff %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
	if _, err := New([]string{"not-a-cidr"}); err == nil {
		t.Error("a bad trusted proxy was accepted")
	}
}

func TestContains(t *testing.T) {
	p, _ := ParsePrefix("192.168.0.0/16")
	q, _ := ParsePrefix("2001:db8::/32")
	r, _ := New(nil)
	_ = r
	for addr, want := range map[string]bool{"192.168.4.4": true, "::ffff:192.168.4.4": true, "192.169.0.1": false, "2001:db8::5": true} {
		a, _ := ParsePrefix(addr)
		if got := Contains([]netip.Prefix{p, q}, a.Addr()); got != want {
			t.Errorf("%s: %v", addr, got)
		}
	}
}

func TestLimitKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"203.0.113.5", "203.0.113.5"},
		{"::ffff:203.0.113.5", "203.0.113.5"}, // IPv4-mapped: the IPv4 address
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"}, // the zone plays no part
		{"::1", "::/64"},
	}
	for _, tt := range tests {
		if got := LimitKeyOf(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("LimitKeyOf(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
	if got := LimitKeyOf(netip.Addr{}); got != "" {
		t.Errorf("the zero address: %q, want empty", got)
	}
}

// TestLimitKeySharesASlash64: two addresses in one /64 are one client for
// limits (a subscriber gets a whole /64 and can pick any address in it);
// addresses in different /64s, and IPv4 addresses, are not.
func TestLimitKeySharesASlash64(t *testing.T) {
	r, _ := New([]string{"10.0.0.0/8"})
	key := func(remote, xff string) string {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		var got string
		r.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) { got = LimitKey(req) })).
			ServeHTTP(httptest.NewRecorder(), req)
		return got
	}
	same := []string{key("[2001:db8:a:b::1]:443", ""), key("[2001:db8:a:b:dead:beef:0:7]:443", ""), key("10.0.0.1:80", "2001:db8:a:b::99")}
	for _, k := range same[1:] {
		if k != same[0] {
			t.Errorf("one /64, different keys: %q and %q", same[0], k)
		}
	}
	if a, b := key("[2001:db8:a:b::1]:443", ""), key("[2001:db8:a:c::1]:443", ""); a == b {
		t.Errorf("different /64s share the key %q", a)
	}
	if a, b := key("[::ffff:192.0.2.1]:80", ""), key("192.0.2.1:80", ""); a != b || a != "192.0.2.1" {
		t.Errorf("IPv4-mapped %q and IPv4 %q", a, b)
	}
	if a, b := key("192.0.2.1:80", ""), key("192.0.2.2:80", ""); a == b {
		t.Errorf("two IPv4 addresses share the key %q", a)
	}
	// Without the middleware, the peer is used the same way.
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "[2001:db8:a:b::5]:1"
	if got := LimitKey(req); got != "2001:db8:a:b::/64" {
		t.Errorf("no middleware: %q", got)
	}
}

// TestMiddlewareRecordsOnce: what handlers read behind Middleware — the
// address, its text, its limit key — is what the address itself gives,
// for every kind of address; the text is written once per request.
func TestMiddlewareRecordsOnce(t *testing.T) {
	r, _ := New(nil)
	for _, remote := range []string{"192.0.2.1:80", "[::ffff:192.0.2.1]:80", "[2001:db8:a:b::1]:443", "[fe80::1%eth0]:1", "[::1]:2"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		want := r.Addr(req)
		var from netip.Addr
		var text, limit string
		r.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
			from, text, limit = From(req.Context()), String(req), LimitKey(req)
			if n := testing.AllocsPerRun(5, func() { _, _ = String(req), From(req.Context()) }); n != 0 {
				t.Errorf("%s: reading the recorded address allocates %v times", remote, n)
			}
		})).ServeHTTP(httptest.NewRecorder(), req)
		if from != want || text != want.String() || limit != LimitKeyOf(want) {
			t.Errorf("%s: From %v, String %q, LimitKey %q; want %v, %q, %q", remote, from, text, limit, want, want.String(), LimitKeyOf(want))
		}
	}
	if got := From(context.Background()); got.IsValid() {
		t.Errorf("no middleware: From = %v", got)
	}
}

type otherKey struct{}

// TestWithKeepsTheParent: the context With returns is the parent's in all
// but the address: its values, and its cancellation, pass through.
func TestWithKeepsTheParent(t *testing.T) {
	r, _ := New(nil)
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "192.0.2.7:1"
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "kept"))
	ctx := r.With(parent, req)
	if got := From(ctx); got != netip.MustParseAddr("192.0.2.7") {
		t.Errorf("From: %v", got)
	}
	if v := ctx.Value(otherKey{}); v != "kept" {
		t.Errorf("the parent's value: %v", v)
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-child.Done()
	if ctx.Err() != context.Canceled {
		t.Errorf("Err after the parent's cancel: %v", ctx.Err())
	}
}
