package attack

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// addressLimitsYAML: every per-address limit allows two requests, and the
// gateway believes X-Forwarded-For from the test's loopback peer.
const addressLimitsYAML = `trusted_proxies: [127.0.0.1]
registration: {per_address_per_hour: 2}
rate_limits:
  auth: {token_per_minute: 2, authorize_per_minute: 2, login_per_minute: 2}
  rules:
    - {name: per-address, per: [address], methods: [tools/call], rate: 2, every: 1m}
`

// TestPerAddressLimitsCountIPv6Per64: every per-address limit counts an
// IPv6 client by its /64, since one subscriber can use any address in it.
// Two addresses of one /64 share a budget; another /64 has its own; an
// IPv4-mapped IPv6 address counts as the IPv4 address.
func TestPerAddressLimitsCountIPv6Per64(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: addressLimitsYAML})
	c := gwtest.RegisterClient(t, gw, nil) // from 127.0.0.1
	at := c.Tokens(gwtest.User)["access_token"].(string)
	registration := `{"redirect_uris":["http://127.0.0.1:1/cb"],"token_endpoint_auth_method":"none"}`
	endpoints := map[string]func(addr string) int{
		"register": func(addr string) int {
			return send(t, http.MethodPost, gw.URL+"/register", addr, "application/json", registration)
		},
		"token": func(addr string) int {
			return send(t, http.MethodPost, gw.URL+"/token", addr, "application/x-www-form-urlencoded",
				url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"dbr_x"}, "client_id": {c.ID}}.Encode())
		},
		"authorize": func(addr string) int {
			return send(t, http.MethodGet, c.AuthorizeURL(gwtest.NewVerifier(), nil), addr, "", "")
		},
		"login": func(addr string) int { return wrongPassword(t, c, addr) },
		"tools/call rule per address": func(addr string) int {
			status, _ := post(t, gw.MCP, at, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"hello_mcp","arguments":{}}}`,
				http.Header{"X-Forwarded-For": {addr}})
			return status
		},
	}
	for name, call := range endpoints {
		t.Run(name, func(t *testing.T) {
			// Fresh networks per endpoint: the budgets of one must not
			// explain the result of another.
			p := map[string]string{
				"register": "2001:db8:1", "token": "2001:db8:2", "authorize": "2001:db8:3",
				"login": "2001:db8:4", "tools/call rule per address": "2001:db8:5",
			}[name]
			first := call(p + ":a::1")
			second := call(p + ":a:ffff:ffff:ffff:fffe")
			if first == 429 || second == 429 {
				t.Fatalf("within the budget: %d %d", first, second)
			}
			if got := call(p + ":a:1234::9"); got != 429 {
				t.Errorf("a third address in the same /64: %d, want 429", got)
			}
			if got := call(p + ":b::1"); got == 429 {
				t.Errorf("another /64: %d, want its own budget", got)
			}
		})
	}
	t.Run("IPv4-mapped", func(t *testing.T) {
		call := endpoints["register"]
		if a, b := call("::ffff:198.51.100.7"), call("198.51.100.7"); a != 201 || b != 201 {
			t.Fatalf("within the budget: %d %d", a, b)
		}
		if got := call("::ffff:198.51.100.7"); got != 429 {
			t.Errorf("the IPv4-mapped form after two from the IPv4 address: %d, want 429", got)
		}
		if got := call("198.51.100.8"); got != 201 {
			t.Errorf("another IPv4 address: %d, want 201", got)
		}
	})
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// send makes one request from addr and returns the status.
func send(t *testing.T, method, u, addr, contentType, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var formFrom int

// wrongPassword opens the sign-in form of a new authorization request
// and submits a wrong password for alice, from addr; the status of the
// submission.
func wrongPassword(t *testing.T, c *gwtest.Client, addr string) int {
	t.Helper()
	from := gwtest.NewFromAddress("")
	b := c.Browser
	saved := b.Client.Transport
	b.Client.Transport = from
	defer func() { b.Client.Transport = saved }()
	formFrom++
	from.Set(fmt.Sprintf("203.0.113.%d", formFrom)) // not the address under test
	p, err := b.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
	if err != nil || p.Path() != "/login" {
		t.Fatalf("sign-in form: %v", err)
	}
	f := p.HiddenFields()
	f.Set("username", gwtest.User)
	f.Set("password", "wrong")
	from.Set(addr)
	p, err = b.Submit(p, "/login", f)
	if err != nil {
		t.Fatal(err)
	}
	return p.Resp.StatusCode
}
