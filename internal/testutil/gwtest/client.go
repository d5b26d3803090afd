package gwtest

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

// Client is a hand-driven OAuth client, for the cases a well-behaved
// SDK never produces.
type Client struct {
	t        testing.TB
	GW       *Gateway
	ID       string
	Secret   string
	Redirect string
	Browser  *browser.Browser
}

// Redirect is the redirect URI RegisterClient registers; nothing listens
// there, the test browser stops at it.
const Redirect = "http://127.0.0.1:43211/cb"

// RegisterClient registers a public client (authorization_code and
// refresh_token) dynamically; extra overrides registration fields.
func RegisterClient(t testing.TB, gw *Gateway, extra map[string]any) *Client {
	t.Helper()
	md := map[string]any{
		"redirect_uris": []string{Redirect}, "client_name": "Raw test client",
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
	}
	for k, v := range extra {
		md[k] = v
	}
	status, body := PostJSON(t, gw.URL+"/register", md)
	if status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, body)
	}
	c := &Client{t: t, GW: gw, ID: body["client_id"].(string), Redirect: md["redirect_uris"].([]string)[0], Browser: browser.New(gw.URL)}
	c.Browser.Stop = stopAt(c.Redirect, c.Browser.Stop)
	if s, ok := body["client_secret"].(string); ok {
		c.Secret = s
	}
	return c
}

// NewClient is a client that is not registered here: one known by its
// client ID metadata document (id is the document's URL), or a
// pre-registered one.
func NewClient(t testing.TB, gw *Gateway, id, redirect string) *Client {
	return &Client{t: t, GW: gw, ID: id, Redirect: redirect, Browser: browser.New(gw.URL)}
}

// AuthorizeURL is a correct authorization request; set overrides fields
// (an empty value deletes the field).
func (c *Client) AuthorizeURL(verifier string, set map[string]string) string {
	q := url.Values{
		"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.Redirect},
		"code_challenge": {oauth.S256Challenge(verifier)}, "code_challenge_method": {"S256"},
		"state": {"st-123"}, "resource": {c.GW.MCP}, "scope": {"snippets"},
	}
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return c.GW.URL + "/authorize?" + q.Encode()
}

// Code runs the browser part and returns the authorization code.
func (c *Client) Code(verifier, user string) string {
	c.t.Helper()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(verifier, nil), user, Password, true)
	if err != nil {
		c.t.Fatal(err)
	}
	if p.Callback == nil {
		c.t.Fatalf("no redirect to the client; stopped at %s (%d)\n%s", p.Path(), p.Resp.StatusCode, p.Body)
	}
	q := p.Callback.Query()
	if q.Get("code") == "" || q.Get("state") != "st-123" || q.Get("iss") != c.GW.URL {
		c.t.Fatalf("bad authorization response %s", p.Callback.Redacted())
	}
	return q.Get("code")
}

// Redeem exchanges a code at the token endpoint.
func (c *Client) Redeem(code, verifier string) (int, map[string]any) {
	return c.Token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier}, "redirect_uri": {c.Redirect}, "resource": {c.GW.MCP}})
}

// Refresh uses a refresh token.
func (c *Client) Refresh(rt string) (int, map[string]any) {
	return c.Token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// Token posts a token request as this client and returns the status and
// the JSON body; it checks that the response is not cacheable.
func (c *Client) Token(form url.Values) (int, map[string]any) {
	c.t.Helper()
	form.Set("client_id", c.ID)
	req, _ := http.NewRequest(http.MethodPost, c.GW.URL+"/token", strings.NewReader(form.Encode()))
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
	return resp.StatusCode, DecodeBody(c.t, resp)
}

// Tokens runs a complete authorization and returns the token response.
func (c *Client) Tokens(user string) map[string]any {
	c.t.Helper()
	v := NewVerifier()
	status, body := c.Redeem(c.Code(v, user), v)
	if status != http.StatusOK {
		c.t.Fatalf("token: %d %v", status, body)
	}
	return body
}

// NewVerifier returns a fresh PKCE code verifier.
func NewVerifier() string { return tokens.NewOpaque("v-") }

// PostJSON posts v as JSON and decodes the JSON answer.
func PostJSON(t testing.TB, u string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, err := http.Post(u, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, DecodeBody(t, resp)
}

// DecodeBody decodes a JSON response body, failing the test otherwise.
func DecodeBody(t testing.TB, resp *http.Response) map[string]any {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, b)
	}
	return m
}

// MCPCall posts an MCP initialize request with the given Authorization.
func MCPCall(t testing.TB, endpoint, authz string) *http.Response {
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

// PostToken sends a token request as it is (no client_id added), with
// HTTP Basic when basicUser is set, and returns the status and JSON body.
func PostToken(t testing.TB, gw *Gateway, form url.Values, basicUser, basicPass string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, DecodeBody(t, resp)
}

// stopAt stops a browser at the client's redirect URI even when the
// gateway under test listens on that URI's port (Redirect's port is fixed,
// the gateway's is any free one: once in a while they are the same, and a
// browser that stops only on another host followed the redirect to the
// gateway), and wherever otherwise would.
func stopAt(redirect string, otherwise func(*url.URL) bool) func(*url.URL) bool {
	r, err := url.Parse(redirect)
	return func(u *url.URL) bool {
		if err == nil && u.Scheme == r.Scheme && u.Host == r.Host && u.Path == r.Path {
			return true
		}
		return otherwise(u)
	}
}
