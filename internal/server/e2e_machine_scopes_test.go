package server_test

import (
	"net/url"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// sensitiveScopesYAML adds a second server (only tokens are asked for it,
// so nothing needs to listen upstream) whose scopes include one the
// operator marks sensitive and admin, and two machine clients that are
// also administrators: one with no scopes listed, one listing them all.
const sensitiveScopesYAML = `
  - name: ops
    path: /ops
    upstream: http://127.0.0.1:9/mcp
    scopes: [ops:read, ops:deploy, admin]
scopes:
  - {name: snippets, description: Use snippets}
  - {name: ops:read, description: Read the operations log}
  - {name: ops:deploy, description: Deploy to production, sensitive: true}
  - {name: admin, description: Administer}
admin: {users: [ops-job, trusted-job]}
clients:
  - id: ops-job
    secret: "${JOB_SECRET}"
    grant_types: [client_credentials]
  - id: trusted-job
    secret: "${JOB_SECRET}"
    grant_types: [client_credentials]
    scopes: [ops:read, ops:deploy, admin]
`

// TestMachineClientSensitiveScopes (issue #13): a configured machine client
// with no scopes listed gets only the server's scopes that are not
// sensitive; admin (always) and the scopes the catalogue marks sensitive
// need the operator to list them for that client.
func TestMachineClientSensitiveScopes(t *testing.T) {
	const secret = "job-secret-0123456789abcdef"
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: sensitiveScopesYAML, Env: map[string]string{"JOB_SECRET": secret}})
	ops, adminAPI := gw.URL+"/ops", gw.URL+"/admin"
	token := func(client string, form url.Values) (int, map[string]any) {
		t.Helper()
		form.Set("grant_type", "client_credentials")
		return gwtest.PostToken(t, gw, form, client, secret)
	}

	t.Run("no scopes listed", func(t *testing.T) {
		if status, body := token("ops-job", url.Values{"resource": {ops}}); status != 200 || body["scope"] != "ops:read" {
			t.Errorf("default scopes: %d %v, want only ops:read", status, body)
		}
		if status, body := token("ops-job", url.Values{"resource": {gw.MCP}}); status != 200 || body["scope"] != "snippets" {
			t.Errorf("the snippets server: %d %v, want snippets", status, body)
		}
		for _, sc := range []string{"admin", "ops:deploy", "ops:read admin"} {
			if status, body := token("ops-job", url.Values{"resource": {ops}, "scope": {sc}}); status != 400 || body["error"] != "invalid_scope" {
				t.Errorf("asking for %q: %d %v, want 400 invalid_scope", sc, status, body)
			}
		}
		// The admin API's only scope is admin: the token carries none, and
		// the API refuses it although the client's id is an administrator.
		status, body := token("ops-job", url.Values{"resource": {adminAPI}})
		if status != 200 || body["scope"] != nil {
			t.Fatalf("the admin API: %d %v, want a token without scope", status, body)
		}
		if status, m := adminCall(t, gw, body["access_token"].(string), "GET", "/admin/api/clients"); status != 403 || m["error"] != "insufficient_scope" {
			t.Errorf("the admin API with that token: %d %v, want 403 insufficient_scope", status, m)
		}
	})
	t.Run("listed", func(t *testing.T) {
		if status, body := token("trusted-job", url.Values{"resource": {ops}}); status != 200 || body["scope"] != "ops:read ops:deploy admin" {
			t.Errorf("listed scopes: %d %v", status, body)
		}
		status, body := token("trusted-job", url.Values{"resource": {adminAPI}, "scope": {"admin"}})
		if status != 200 || body["scope"] != "admin" {
			t.Fatalf("the admin API: %d %v, want scope admin", status, body)
		}
		if status, m := adminCall(t, gw, body["access_token"].(string), "GET", "/admin/api/clients"); status != 200 {
			t.Errorf("the admin API with that token: %d %v, want 200", status, m)
		}
	})
}
