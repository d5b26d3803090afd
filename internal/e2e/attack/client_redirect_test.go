package attack

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestRedirectHostNeverReachesCSP: a redirect URI whose host could change
// the sign-in page's Content-Security-Policy is refused at registration,
// and one stored before that rule (a client registered by an older
// version) is refused at /authorize with an error page: no redirect, no
// sign-in form, and nothing of it in the policy.
func TestRedirectHostNeverReachesCSP(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	for _, uri := range []string{"https://evil.example;script-src/cb", "https://evil.example;script-src *.x/cb",
		"https://a.example,b/cb", "https://%65vil.example/cb", "https://évil.example/cb"} {
		status, body := gwtest.PostJSON(t, gw.URL+"/register", map[string]any{"redirect_uris": []string{uri}})
		if status != http.StatusBadRequest || body["error"] != "invalid_redirect_uri" {
			t.Errorf("register %q: %d %v, want 400 invalid_redirect_uri", uri, status, body)
		}
	}

	const bad = "https://evil.example;script-src/cb"
	err := gw.Srv.Store().CreateClient(context.Background(), storage.Client{
		ID: "legacy-client", Name: "Legacy", RedirectURIs: []string{bad}, GrantTypes: []string{"authorization_code"},
		ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: "none", ApplicationType: "web",
		Kind: storage.ClientKindDynamic, CreatedAt: gw.Clock.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &gwtest.Client{GW: gw, ID: "legacy-client", Redirect: bad}
	req, _ := http.NewRequest(http.MethodGet, c.AuthorizeURL(gwtest.NewVerifier(), nil), nil)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || csp == "" ||
		strings.Contains(csp, "evil") || strings.Contains(csp, "script-src") {
		t.Fatalf("authorize with a stored bad redirect URI: %d Location %q CSP %q", resp.StatusCode, resp.Header.Get("Location"), csp)
	}
}
