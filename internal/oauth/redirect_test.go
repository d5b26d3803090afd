package oauth

import (
	"net/url"
	"strings"
	"testing"
)

func TestValidateRedirectURI(t *testing.T) {
	open := RedirectPolicy{AllowPrivateUseSchemes: true}
	tests := []struct {
		uri, appType string
		policy       RedirectPolicy
		ok           bool
	}{
		{"https://client.example.com/cb", AppTypeWeb, RedirectPolicy{}, true},
		{"http://127.0.0.1:33418/callback", AppTypeNative, RedirectPolicy{}, true},
		{"http://[::1]:33418/callback", AppTypeNative, RedirectPolicy{}, true},
		{"http://localhost:6274/oauth/callback", AppTypeNative, RedirectPolicy{}, true},
		{"http://127.0.0.1:33418/callback", AppTypeWeb, RedirectPolicy{}, false},
		{"https://localhost/callback", AppTypeWeb, RedirectPolicy{}, false},
		{"https://localhost/callback", AppTypeNative, RedirectPolicy{}, true},
		{"https://app.example.com/callback", AppTypeNative, RedirectPolicy{}, true},
		{"http://client.example.com/cb", AppTypeWeb, RedirectPolicy{}, false},
		{"https://client.example.com/cb#frag", AppTypeWeb, RedirectPolicy{}, false},
		{"https://*.example.com/cb", AppTypeWeb, RedirectPolicy{}, false},
		{"https://client.example.com/*", AppTypeWeb, RedirectPolicy{}, false},
		{"javascript:alert(1)", AppTypeNative, open, false},
		{"JavaScript:alert(1)", AppTypeNative, open, false},
		{"data:text/html,hi", AppTypeNative, open, false},
		{"file:///etc/passwd", AppTypeNative, open, false},
		{"https://user@client.example.com/cb", AppTypeWeb, RedirectPolicy{}, false},
		{"/relative/cb", AppTypeWeb, RedirectPolicy{}, false},
		{"com.example.app:/callback", AppTypeNative, RedirectPolicy{}, false},
		{"com.example.app:/callback", AppTypeNative, open, true},
		{"com.example.app:/callback", AppTypeWeb, open, false},
		{"myapp:/callback", AppTypeNative, open, false},
		{"https:///cb", AppTypeWeb, RedirectPolicy{}, false},
		{"", AppTypeWeb, RedirectPolicy{}, false},
	}
	for _, tt := range tests {
		err := ValidateRedirectURI(tt.uri, tt.appType, tt.policy)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateRedirectURI(%q, %s, %+v) = %v, want ok=%v", tt.uri, tt.appType, tt.policy, err, tt.ok)
		}
	}
}

// TestValidateRedirectURIHost: a host is a plain DNS-style name or IP
// literal. Anything that could end a Content-Security-Policy directive or
// source, split a header, or be read differently after decoding is refused,
// even where RFC 3986 §3.2.2 allows it in a reg-name.
func TestValidateRedirectURIHost(t *testing.T) {
	open := RedirectPolicy{AllowPrivateUseSchemes: true}
	bad := []string{
		"https://evil.com;script-src/cb",
		"https://evil.com;script-src *.example/cb",
		"https://evil.com%3Bscript-src/cb",
		"https://evil.com,script-src/cb",
		"https://evil.com'unsafe-inline'/cb",
		`https://evil.com"x/cb`,
		"https://evil .com/cb",
		"https://evil.com\t/cb",
		"https://ev*l.com/cb",
		"https://*/cb",
		"https://evil.com!/cb",
		"https://evil.com$/cb",
		"https://evil.com&x/cb",
		"https://evil(x).com/cb",
		"https://evil+x.com/cb",
		"https://evil=x.com/cb",
		"https://evil<x>.com/cb",
		"https://%65vil.com/cb",
		"https://evil%2ecom/cb",
		"https://%C3%A9vil.com/cb",
		"https://évil.com/cb",
		"https://evil.com\u3002x/cb",
		"https://еvil.com/cb", // Cyrillic е
		"https://evil.com:/cb",
		"https://evil.com:443x/cb",
		"https://evil.com:123456/cb",
		"https://[::1%25eth0]:1/cb",
		"https://[v1.x]/cb",
		"https://[::1/cb",
		"https://[evil.com]/cb",
		"https://[1.2.3.4]/cb",
		"https://::1]/cb",
		"https://[::1]]/cb",
		"com.example.app://evil.com;x/cb",
		"com.example.app://%65vil/cb",
	}
	for _, uri := range bad {
		if err := ValidateRedirectURI(uri, AppTypeNative, open); err == nil {
			t.Errorf("ValidateRedirectURI(%q) accepted", uri)
		}
		if CheckHost(uri) == nil {
			t.Errorf("CheckHost(%q) accepted", uri)
		}
	}
	good := []string{
		"https://client.example.com/cb",
		"https://Client-1.Example.COM:8443/cb",
		"https://under_score.example/cb",
		"https://xn--vil-bma.example/cb", // an IDN in its ASCII form
		"http://127.0.0.1:33418/cb",
		"http://[::1]:33418/cb",
		"https://[2001:db8::1]/cb",
		"com.example.app:/cb",
		"com.example.app://callback/cb",
	}
	for _, uri := range good {
		if err := ValidateRedirectURI(uri, AppTypeNative, open); err != nil {
			t.Errorf("ValidateRedirectURI(%q) = %v", uri, err)
		}
		if err := CheckHost(uri); err != nil {
			t.Errorf("CheckHost(%q) = %v", uri, err)
		}
	}
}

func TestMatchRedirectURI(t *testing.T) {
	reg := []string{"https://client.example.com/cb", "http://127.0.0.1/callback", "http://localhost:6274/cb", "http://[::1]:1/cb"}
	tests := []struct {
		req  string
		want bool
	}{
		{"https://client.example.com/cb", true},
		{"https://client.example.com/cb/", false},
		{"https://client.example.com/CB", false},
		{"https://client.example.com/cb?x=1", false},
		{"https://client.example.com:443/cb", false},
		{"http://127.0.0.1:54321/callback", true},
		{"http://127.0.0.1/callback", true},
		{"http://127.0.0.1:54321/callback/other", false},
		{"http://127.0.0.2:54321/callback", false},
		{"http://127.0.0.1:54321/callback#x", false},
		{"http://localhost:6274/cb", true},
		{"http://localhost:6275/cb", false}, // names get exact matching
		{"http://[::1]:9999/cb", true},
		{"https://127.0.0.1:54321/callback", false},
		{"http://user@127.0.0.1:54321/callback", false},
	}
	for _, tt := range tests {
		if got := MatchRedirectURI(reg, tt.req); got != tt.want {
			t.Errorf("MatchRedirectURI(%q) = %v, want %v", tt.req, got, tt.want)
		}
	}
}

// hostChars are the characters an accepted redirect URI's host and port
// may hold: RFC 3986 §2.3 unreserved, and the brackets and colons of an
// IP-literal and a port (§3.2.2, §3.2.3).
const hostChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~[]:"

func FuzzRedirectURI(f *testing.F) {
	for _, s := range []string{"https://c.example/cb", "http://127.0.0.1:1/cb", "javascript:x", "com.example.app:/cb", "http://localhost/x#y",
		"https://evil.com;script-src/cb", "https://%65vil.com/cb", "http://[::1]:1/cb", "com.example.app://h,x/cb", "https://é.example/cb"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, registered, requested string) {
		if ValidateRedirectURI(registered, AppTypeNative, RedirectPolicy{AllowPrivateUseSchemes: true}) == nil {
			u, err := url.Parse(registered)
			if err != nil || u.Fragment != "" || u.User != nil || forbiddenSchemes[strings.ToLower(u.Scheme)] {
				t.Fatalf("accepted a dangerous redirect URI %q", registered)
			}
			if strings.EqualFold(u.Scheme, "http") && !IsLoopbackHost(u.Hostname()) {
				t.Fatalf("accepted plain http to a non-loopback host: %q", registered)
			}
			// The host (and port) hold only RFC 3986 unreserved characters,
			// or an IP-literal's brackets and colons, exactly as written:
			// nothing was percent-decoded into it.
			for _, c := range u.Host {
				if !strings.ContainsRune(hostChars, c) {
					t.Fatalf("accepted host %q of %q: %q is outside the RFC 3986 set", u.Host, registered, c)
				}
			}
			if u.Host != "" && !strings.Contains(registered, "//"+u.Host) {
				t.Fatalf("accepted host %q of %q, which was written encoded", u.Host, registered)
			}
		}
		if MatchRedirectURI([]string{registered}, requested) && registered != requested {
			// Only the port of a loopback IP literal may differ.
			a, _ := url.Parse(registered)
			b, _ := url.Parse(requested)
			if a == nil || b == nil || a.Scheme != "http" || !isLoopbackLiteral(a.Hostname()) ||
				a.Hostname() != b.Hostname() || a.EscapedPath() != b.EscapedPath() || a.RawQuery != b.RawQuery {
				t.Fatalf("%q matched %q", requested, registered)
			}
		}
	})
}
