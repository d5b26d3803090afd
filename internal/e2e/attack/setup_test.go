package attack

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// sdkBackend is the snippets sample server (the official Go SDK, stateless)
// on loopback, with its data directory, so a test can see what it did.
type sdkBackend struct {
	URL, Key, Dir string
}

func startSDKBackend(t *testing.T) *sdkBackend {
	t.Helper()
	b := &sdkBackend{Key: tokens.NewOpaque(""), Dir: t.TempDir()}
	srv, err := snippets.New(snippets.Options{DataDir: b.Dir, Key: b.Key, Stateless: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	b.URL = "http://" + ln.Addr().String() + snippets.MCPPath
	return b
}

// token runs a complete authorization for alice at one server and returns
// the access token.
func token(t *testing.T, c *gwtest.Client, resource, scope string) string {
	t.Helper()
	return tokenFor(t, c, gwtest.User, resource, scope)
}

// tokenAs is token for another user, with a client of its own.
func tokenAs(t *testing.T, gw *gwtest.Gateway, user, resource, scope string) string {
	t.Helper()
	return tokenFor(t, gwtest.RegisterClient(t, gw, nil), user, resource, scope)
}

func tokenFor(t *testing.T, c *gwtest.Client, user, resource, scope string) string {
	t.Helper()
	v := gwtest.NewVerifier()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": resource, "scope": scope}), user, gwtest.Password, true)
	if err != nil {
		t.Fatal(err)
	}
	if p.Callback == nil {
		t.Fatalf("no redirect to the client; stopped at %s (%d)\n%s", p.Path(), p.Resp.StatusCode, p.Body)
	}
	status, body := c.Token(url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {resource}})
	at, _ := body["access_token"].(string)
	if status != http.StatusOK || at == "" {
		t.Fatalf("token for %s: %d %v", resource, status, body)
	}
	return at
}

// post sends a raw MCP request body with a bearer token and headers, and
// returns the status and body of the answer.
func post(t *testing.T, endpoint, token, body string, hdr http.Header) (int, string) {
	t.Helper()
	resp, b := postResponse(t, endpoint, token, body, hdr)
	return resp.StatusCode, b
}

// postResponse is post, returning the whole response (its body read).
func postResponse(t *testing.T, endpoint, token, body string, hdr http.Header) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
