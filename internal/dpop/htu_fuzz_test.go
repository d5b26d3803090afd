package dpop

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNormalizeURL: the form htu is compared in is a fixed point (so a
// proof's htu and the server's URL meet in one form whatever their
// spelling), never carries a query, a fragment or user info, and keeps
// the scheme and host it was given.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://gw.example/mcp", "HTTPS://GW.Example:443/m%63p?x=1#f", "http://127.0.0.1:80", "http://h:/a/%7e/%2f",
		"https://[::1]:8443/mcp", "https://user@h/x", "https://h/%zz", "mailto:x@y", "https://h/a b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n, ok := NormalizeURL(raw)
		if !ok {
			return
		}
		again, ok := NormalizeURL(n)
		if !ok || again != n {
			t.Fatalf("NormalizeURL(%q) = %q, which normalises to %q, %v", raw, n, again, ok)
		}
		if strings.ContainsAny(n, "?#") {
			t.Fatalf("NormalizeURL(%q) = %q keeps a query or fragment", raw, n)
		}
		u, err := url.Parse(n)
		if err != nil || u.User != nil {
			t.Fatalf("NormalizeURL(%q) = %q: %v, user %v", raw, n, err, u.User)
		}
		in, _ := url.Parse(raw)
		if !strings.EqualFold(u.Hostname(), in.Hostname()) || !strings.EqualFold(u.Scheme, in.Scheme) {
			t.Fatalf("NormalizeURL(%q) = %q changed the scheme or host", raw, n)
		}
	})
}
