package webpage

import (
	"net/http"
	"strings"
	"testing"
)

// TestSetHeadersFormTargets: form targets become form-action sources only
// when each is a plain scheme or origin; anything that could end the
// directive, add a policy, widen the list or quote a keyword is dropped.
func TestSetHeadersFormTargets(t *testing.T) {
	h := http.Header{}
	SetHeaders(h, "https://app.example:8443", "com.example.app:", "http://[::1]:1234", "http://127.0.0.1:5",
		"https://evil.com;script-src *", "https://evil.com;script-src", "https://a.example,script-src", "https://a.example b.example",
		"'unsafe-inline'", "*", "https://*.example", "https://a.example/path", "data:text/html", "https://é.example", "", ";",
		"https://a.example\r\nX-Injected: 1", "https://a.example:99999x")
	csp := h.Get("Content-Security-Policy")
	want := "form-action 'self' https://app.example:8443 com.example.app: http://[::1]:1234 http://127.0.0.1:5;"
	if !strings.Contains(csp, want) {
		t.Errorf("CSP %q\nwant it to contain %q", csp, want)
	}
	if n := strings.Count(csp, ";"); n != 5 || strings.Contains(csp, "script-src") || strings.Contains(csp, ",") {
		t.Errorf("a form target changed the policy: %q", csp)
	}
}
