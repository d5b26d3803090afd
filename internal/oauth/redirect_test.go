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

func FuzzRedirectURI(f *testing.F) {
	for _, s := range []string{"https://c.example/cb", "http://127.0.0.1:1/cb", "javascript:x", "com.example.app:/cb", "http://localhost/x#y"} {
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
