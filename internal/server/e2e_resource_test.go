package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestNoResourceWithSeveralServers: with several MCP servers, a request
// that names no resource cannot be given a default. /authorize sends the
// client back with invalid_target (RFC 8707 §2), state and iss, and the
// token endpoint answers it for client_credentials; both descriptions list
// the MCP servers' resource URLs, so that whoever reads the error can set
// the client up. The admin API and the console, never a default, are not
// listed.
func TestNoResourceWithSeveralServers(t *testing.T) {
	const secret = "job-secret-0123456789abcdef"
	gw := gwtest.Start(t, gwtest.Options{Env: map[string]string{"JOB_SECRET": secret}, ExtraYAML: otherServer + `
admin: {groups: [eng]}
clients:
  - id: job
    secret: "${JOB_SECRET}"
    grant_types: [client_credentials]
`})
	want := "the resource parameter is required: this server protects several MCP servers; name one of: " +
		gw.URL + "/mcp, " + gw.URL + "/other/mcp"

	c := gwtest.RegisterClient(t, gw, nil)
	p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), map[string]string{"resource": ""}))
	if err != nil || p.Callback == nil {
		t.Fatalf("want a redirect to the client, got %v %+v", err, p)
	}
	q := p.Callback.Query()
	if q.Get("error") != "invalid_target" || q.Get("error_description") != want || q.Get("state") != "st-123" || q.Get("iss") != gw.URL {
		t.Errorf("authorize without resource: %v\nwant error_description %q", q, want)
	}

	status, body := gwtest.PostToken(t, gw, url.Values{"grant_type": {"client_credentials"}}, "job", secret)
	if status != http.StatusBadRequest || body["error"] != "invalid_target" || body["error_description"] != want {
		t.Errorf("client_credentials without resource: %d %v", status, body)
	}
	// Naming one works.
	status, body = gwtest.PostToken(t, gw, url.Values{"grant_type": {"client_credentials"}, "resource": {gw.URL + "/other/mcp"}}, "job", secret)
	if status != http.StatusOK {
		t.Errorf("client_credentials with resource: %d %v", status, body)
	}
}
