package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestStateSurvivesRestart: clients, consents, grants, refresh tokens and
// the signing key are all in the SQLite file, so a restarted gateway on the
// same data accepts what the first one issued.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := gwtest.Start(t, gwtest.Options{DataDir: dir})
	c := gwtest.RegisterClient(t, first, nil)
	issued := c.Tokens(gwtest.User)
	addr := strings.TrimPrefix(first.URL, "http://")
	first.Stop()

	second := gwtest.Start(t, gwtest.Options{DataDir: dir, Listen: addr})
	c.GW = second
	if resp := gwtest.MCPCall(t, second.MCP, "Bearer "+issued["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("access token from before the restart: %d (signing key lost?)", resp.StatusCode)
	}
	status, body := c.Refresh(issued["refresh_token"].(string))
	if status != http.StatusOK {
		t.Fatalf("refresh token from before the restart: %d %v", status, body)
	}
	// The registered client and the consent survived: no consent page.
	v := gwtest.NewVerifier()
	p, err := c.Browser.Get(c.AuthorizeURL(v, nil))
	if err != nil || p.Path() != "/login" {
		t.Fatalf("registered client not known after restart: %v", err)
	}
	f := p.HiddenFields()
	f.Set("username", gwtest.User)
	f.Set("password", gwtest.Password)
	if p, err = c.Browser.Submit(p, "/login", f); err != nil || p.Callback == nil {
		t.Fatalf("consent was forgotten across the restart: %v %s", err, p.Path())
	}
}

// TestStateSurvivesRestartOnPostgres is the same story on PostgreSQL.
func TestStateSurvivesRestartOnPostgres(t *testing.T) {
	dsn, dir := gwtest.PostgresDSN(t), t.TempDir() // the same dir: the same encryption key
	first := gwtest.Start(t, gwtest.Options{PostgresDSN: dsn, DataDir: dir})
	c := gwtest.RegisterClient(t, first, nil)
	issued := c.Tokens(gwtest.User)
	addr := strings.TrimPrefix(first.URL, "http://")
	first.Stop()

	second := gwtest.Start(t, gwtest.Options{PostgresDSN: dsn, DataDir: dir, Listen: addr})
	c.GW = second
	if resp := gwtest.MCPCall(t, second.MCP, "Bearer "+issued["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("access token from before the restart: %d", resp.StatusCode)
	}
	if status, body := c.Refresh(issued["refresh_token"].(string)); status != http.StatusOK {
		t.Fatalf("refresh token from before the restart: %d %v", status, body)
	}
}
