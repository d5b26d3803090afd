package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStateSurvivesRestart: clients, consents, grants, refresh tokens and
// the signing key are all in the SQLite file, so a restarted gateway on the
// same data accepts what the first one issued.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := startGateway(t, gatewayOptions{dataDir: dir})
	c := registerClient(t, first, nil)
	issued := c.tokens(testUser)
	addr := strings.TrimPrefix(first.URL, "http://")
	first.Stop()

	second := startGateway(t, gatewayOptions{dataDir: dir, listen: addr})
	c.gw = second
	if resp := mcpCall(t, second.MCP, "Bearer "+issued["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("access token from before the restart: %d (signing key lost?)", resp.StatusCode)
	}
	status, body := c.refresh(issued["refresh_token"].(string))
	if status != http.StatusOK {
		t.Fatalf("refresh token from before the restart: %d %v", status, body)
	}
	// The registered client and the consent survived: no consent page.
	v := oauthVerifier()
	p, err := c.Browser.Get(c.authorizeURL(v, nil))
	if err != nil || p.Path() != "/login" {
		t.Fatalf("registered client not known after restart: %v", err)
	}
	f := p.HiddenFields()
	f.Set("username", testUser)
	f.Set("password", testPassword)
	if p, err = c.Browser.Submit(p, "/login", f); err != nil || p.Callback == nil {
		t.Fatalf("consent was forgotten across the restart: %v %s", err, p.Path())
	}
}
