package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

func revoke(t *testing.T, c *gwtest.Client, form url.Values) (int, string) {
	t.Helper()
	form.Set("client_id", c.ID)
	resp, err := http.Post(c.GW.URL+"/revoke", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

func TestRevocation(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	t.Run("refresh token revokes the grant", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		tok := c.Tokens(gwtest.User)
		if status, _ := revoke(t, c, url.Values{"token": {tok["refresh_token"].(string)}, "token_type_hint": {"refresh_token"}}); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if status, body := c.Refresh(tok["refresh_token"].(string)); status != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("refresh after revocation: %d %v", status, body)
		}
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok["access_token"].(string)); resp.StatusCode != 401 {
			t.Fatalf("access token after revoking its grant: %d", resp.StatusCode)
		}
	})
	t.Run("access token revokes the grant", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		tok := c.Tokens(gwtest.User)
		if status, _ := revoke(t, c, url.Values{"token": {tok["access_token"].(string)}}); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok["access_token"].(string)); resp.StatusCode != 401 {
			t.Fatalf("revoked access token: %d", resp.StatusCode)
		}
		if status, _ := c.Refresh(tok["refresh_token"].(string)); status != 400 {
			t.Fatalf("refresh of a revoked grant: %d", status)
		}
	})
	t.Run("unknown token is fine", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		if status, body := revoke(t, c, url.Values{"token": {"dbr_nonsense"}}); status != 200 || body != "" {
			t.Fatalf("%d %q", status, body)
		}
	})
	t.Run("another client's token is refused", func(t *testing.T) {
		owner := gwtest.RegisterClient(t, gw, nil)
		tok := owner.Tokens(gwtest.User)
		other := gwtest.RegisterClient(t, gw, nil)
		if status, body := revoke(t, other, url.Values{"token": {tok["refresh_token"].(string)}}); status != 400 || !strings.Contains(body, "unauthorized_client") {
			t.Fatalf("%d %s", status, body)
		}
		if status, _ := owner.Refresh(tok["refresh_token"].(string)); status != 200 {
			t.Fatalf("the owner's token was revoked by another client: %d", status)
		}
	})
	t.Run("no token", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		if status, body := revoke(t, c, url.Values{}); status != 400 || !strings.Contains(body, "invalid_request") {
			t.Fatalf("%d %s", status, body)
		}
	})
}

const introspectionYAML = `
introspection:
  clients: [{id: snippets-backend, secret: "${INTROSPECT_SECRET}"}]
`

func introspect(t *testing.T, gw *gwtest.Gateway, user, pass, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, gwtest.DecodeBody(t, resp)
}

func TestIntrospection(t *testing.T) {
	const secret = "introspection-secret-0123456789"
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: introspectionYAML, Env: map[string]string{"INTROSPECT_SECRET": secret}})
	c := gwtest.RegisterClient(t, gw, nil)
	tok := c.Tokens(gwtest.User)
	at, rt := tok["access_token"].(string), tok["refresh_token"].(string)

	status, body := introspect(t, gw, "snippets-backend", secret, at)
	if status != 200 || body["active"] != true || body["sub"] != "local:alice" || body["client_id"] != c.ID ||
		body["aud"] != gw.MCP || body["scope"] != "snippets" || body["iss"] != gw.URL || body["token_type"] != "Bearer" {
		t.Fatalf("access token: %d %v", status, body)
	}
	if status, body = introspect(t, gw, "snippets-backend", secret, rt); status != 200 || body["active"] != true || body["token_type"] != "refresh_token" {
		t.Fatalf("refresh token: %d %v", status, body)
	}
	if status, body = introspect(t, gw, "snippets-backend", secret, "garbage"); status != 200 || body["active"] != false || len(body) != 1 {
		t.Fatalf("garbage: %d %v", status, body)
	}
	if status, body = introspect(t, gw, "snippets-backend", "wrong-secret-0123456789", at); status != 401 || body["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", status, body)
	}
	if status, _ = introspect(t, gw, "", "", at); status != 401 {
		t.Fatalf("no credentials: %d", status)
	}
	// After revocation both tokens are inactive.
	revoke(t, c, url.Values{"token": {rt}})
	for _, tk := range []string{at, rt} {
		if status, body = introspect(t, gw, "snippets-backend", secret, tk); body["active"] != false {
			t.Fatalf("revoked token still active: %d %v", status, body)
		}
	}
}

func TestIntrospectionOffByDefault(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	resp, err := http.Post(gw.URL+"/introspect", "application/x-www-form-urlencoded", strings.NewReader("token=x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
