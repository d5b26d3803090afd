package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// oauthClient is a hand-driven OAuth client, for the cases a well-behaved
// SDK never produces.
type oauthClient struct {
	t        testing.TB
	gw       *gateway
	ID       string
	Secret   string
	Redirect string
	Browser  *browser.Browser
}

const testRedirect = "http://127.0.0.1:43211/cb"

func registerClient(t testing.TB, gw *gateway, extra map[string]any) *oauthClient {
	t.Helper()
	md := map[string]any{
		"redirect_uris": []string{testRedirect}, "client_name": "Raw test client",
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
	}
	for k, v := range extra {
		md[k] = v
	}
	status, body := postJSON(t, gw.URL+"/register", md)
	if status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, body)
	}
	c := &oauthClient{t: t, gw: gw, ID: body["client_id"].(string), Redirect: md["redirect_uris"].([]string)[0], Browser: browser.New(gw.URL)}
	if s, ok := body["client_secret"].(string); ok {
		c.Secret = s
	}
	return c
}

// authorizeURL is a correct authorization request; set overrides fields
// (an empty value deletes the field).
func (c *oauthClient) authorizeURL(verifier string, set map[string]string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.Redirect},
		"code_challenge": {oauth.S256Challenge(verifier)}, "code_challenge_method": {"S256"},
		"state": {"st-123"}, "resource": {c.gw.MCP}, "scope": {"snippets"},
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return c.gw.URL + "/authorize?" + q.Encode()
}

// code runs the browser part and returns the authorization code.
func (c *oauthClient) code(verifier, user string) string {
	c.t.Helper()
	p, err := c.Browser.SignInLocal(c.authorizeURL(verifier, nil), user, testPassword, true)
	if err != nil {
		c.t.Fatal(err)
	}
	if p.Callback == nil {
		c.t.Fatalf("no redirect to the client; stopped at %s (%d)\n%s", p.Path(), p.Resp.StatusCode, p.Body)
	}
	q := p.Callback.Query()
	if q.Get("code") == "" || q.Get("state") != "st-123" || q.Get("iss") != c.gw.URL {
		c.t.Fatalf("bad authorization response %s", p.Callback.Redacted())
	}
	return q.Get("code")
}

func (c *oauthClient) redeem(code, verifier string) (int, map[string]any) {
	return c.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {c.Redirect}, "resource": {c.gw.MCP}})
}

func (c *oauthClient) refresh(rt string) (int, map[string]any) {
	return c.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

func (c *oauthClient) token(form url.Values) (int, map[string]any) {
	c.t.Helper()
	form.Set("client_id", c.ID)
	req, _ := http.NewRequest(http.MethodPost, c.gw.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.Secret != "" {
		req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		c.t.Errorf("token response Cache-Control = %q, want no-store", cc)
	}
	return resp.StatusCode, decodeBody(c.t, resp)
}

// tokens runs a complete authorization and returns the token response.
func (c *oauthClient) tokens(user string) map[string]any {
	c.t.Helper()
	v := oauthVerifier()
	status, body := c.redeem(c.code(v, user), v)
	if status != http.StatusOK {
		c.t.Fatalf("token: %d %v", status, body)
	}
	return body
}

func oauthVerifier() string { return tokens.NewOpaque("v-") }

func postJSON(t testing.TB, u string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(u, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeBody(t, resp)
}

func decodeBody(t testing.TB, resp *http.Response) map[string]any {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, b)
	}
	return m
}

// mcpCall posts an MCP initialize request with the given Authorization.
func mcpCall(t *testing.T, endpoint, authz string) *http.Response {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
