package authserver

import "testing"

// TestRedirectOrigin: the origin put in the pages' form-action, or nothing
// when the redirect URI's host is not plain (a client registered before
// hosts were checked).
func TestRedirectOrigin(t *testing.T) {
	for uri, want := range map[string]string{
		"https://app.example:8443/cb?x=1":  "https://app.example:8443",
		"http://127.0.0.1:5/cb":            "http://127.0.0.1:5",
		"http://[::1]:5/cb":                "http://[::1]:5",
		"com.example.app:/cb":              "com.example.app:",
		"https://evil.example;script-src/": "",
		"https://evil.example,x/cb":        "",
		"https://evil.example'x'/cb":       "",
		"https://%C3%A9.example/cb":        "",
		"https://é.example/cb":             "",
		"https://[::1%25lo]:5/cb":          "",
		"::":                               "",
	} {
		if got := redirectOrigin(uri); got != want {
			t.Errorf("redirectOrigin(%q) = %q, want %q", uri, got, want)
		}
	}
}
