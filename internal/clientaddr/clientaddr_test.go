package clientaddr

import (
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
