package server_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

func toolCall(t *testing.T, endpoint, token string, hdr map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"hello_mcp","arguments":{}}}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.NewDecoder(resp.Body).Decode(&m)
	}
	return resp, m
}

func TestRateLimitOnToolCalls(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: docBlock(t, "policy.md", "client-rate")})
	a := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
	b := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
	for i := range 3 {
		if resp, m := toolCall(t, gw.MCP, a, nil); resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %v", i, resp.StatusCode, m)
		}
	}
	resp, m := toolCall(t, gw.MCP, a, nil)
	e, _ := m["error"].(map[string]any)
	data, _ := e["data"].(map[string]any)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "20" || e["code"] != -32029.0 || data["retry_after"] != 20.0 || m["id"] != 5.0 {
		t.Fatalf("the fourth call in a minute: %d Retry-After %q %v", resp.StatusCode, resp.Header.Get("Retry-After"), m)
	}
	// Another client has its own bucket; non-tool requests are not counted.
	if resp, _ := toolCall(t, gw.MCP, b, nil); resp.StatusCode != 200 {
		t.Fatalf("another client: %d", resp.StatusCode)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+a); resp.StatusCode != 200 {
		t.Fatalf("initialize is not a tool call: %d", resp.StatusCode)
	}
	gw.Clock.Advance(20 * time.Second)
	if resp, m := toolCall(t, gw.MCP, a, nil); resp.StatusCode != 200 {
		t.Fatalf("after the wait: %d %v", resp.StatusCode, m)
	}
}

func TestAuthorizationServerLimits(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "rate_limits: {auth: {token_per_minute: 2}, lockout: {after: 3, base: 1m}}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	for i := range 2 {
		if status, body := c.Token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"dbr_x"}}); status != 400 {
			t.Fatalf("token request %d: %d %v", i, status, body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/token", strings.NewReader("grant_type=refresh_token&refresh_token=x&client_id="+c.ID))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third token request in a minute: %d", resp.StatusCode)
	}

	// Lockout: three wrong passwords lock the username at this address,
	// even for the right password, until the lock ends.
	p, _ := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
	f := p.HiddenFields()
	f.Set("username", "bob")
	for range 3 {
		f.Set("password", "wrong")
		p, _ = c.Browser.Submit(p, "/login", f)
		f = p.HiddenFields()
		f.Set("username", "bob")
	}
	f.Set("password", gwtest.Password)
	locked, _ := c.Browser.Submit(p, "/login", f)
	if locked.Resp.StatusCode != 429 || !locked.Has("Too many failed attempts") {
		t.Fatalf("locked user with the right password: %d", locked.Resp.StatusCode)
	}
	gw.Clock.Advance(61 * time.Second)
	f = locked.HiddenFields()
	f.Set("username", "bob")
	f.Set("password", gwtest.Password)
	if ok, _ := c.Browser.Submit(locked, "/login", f); ok.Path() != "/consent" {
		t.Fatalf("after the lock: %s %d", ok.Path(), ok.Resp.StatusCode)
	}
}

func TestAddressFilters(t *testing.T) {
	extra := `    allowed_networks: [10.0.0.0/8]
    denied_networks: [10.6.6.0/24]
trusted_proxies: [127.0.0.1]
`
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra})
	at := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
	for xff, want := range map[string]int{"": 403, "10.1.2.3": 200, "10.6.6.6": 403, "192.0.2.1": 403, "10.1.2.3, 192.0.2.1": 403} {
		hdr := map[string]string{}
		if xff != "" {
			hdr["X-Forwarded-For"] = xff
		}
		if resp, m := toolCall(t, gw.MCP, at, hdr); resp.StatusCode != want {
			t.Errorf("X-Forwarded-For %q: %d %v, want %d", xff, resp.StatusCode, m, want)
		}
	}
}

// TestRedisLimitsAreShared: two gateways (as two replicas: one database,
// one key) share a limit through Redis.
func TestRedisLimitsAreShared(t *testing.T) {
	redisURL := os.Getenv("DRAWBRIDGE_TEST_REDIS")
	if redisURL == "" {
		t.Skip("DRAWBRIDGE_TEST_REDIS not set; run scripts/start-redis (scripts/test-all does)")
	}
	dsn, dir := gwtest.PostgresDSN(t), t.TempDir()
	// A fresh key prefix: the limits of earlier runs (registrations per
	// address per hour among them) must not count against this one.
	extra := `rate_limits:
  backend: redis
  redis: {url: "` + redisURL + `", prefix: "drawbridge-test:` + rand.Text() + `:"}
  rules:
    - {name: shared, per: [user], methods: [tools/call], rate: 3, every: 1m}
`
	a := gwtest.Start(t, gwtest.Options{PostgresDSN: dsn, DataDir: dir, ExtraYAML: extra})
	b := gwtest.Start(t, gwtest.Options{PostgresDSN: dsn, DataDir: dir, ExtraYAML: extra})
	tokA := gwtest.RegisterClient(t, a, nil).Tokens(gwtest.User)["access_token"].(string)
	tokB := gwtest.RegisterClient(t, b, nil).Tokens(gwtest.User)["access_token"].(string)
	codes := []int{}
	for i, gw := range []*gwtest.Gateway{a, b, a, b} {
		tok := map[int]string{0: tokA, 1: tokB, 2: tokA, 3: tokB}[i]
		resp, _ := toolCall(t, gw.MCP, tok, nil)
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 200 || codes[3] != 429 {
		t.Fatalf("calls alternating between replicas: %v, want 200 200 200 429", codes)
	}
}

func TestRedisUnreachable(t *testing.T) {
	for failOpen, want := range map[bool]int{false: 429, true: 200} {
		// Only the MCP rule goes to Redis here: with the authorization
		// server's limits on it too, a closed Redis would (rightly) refuse
		// the sign-in the test needs.
		extra := `rate_limits:
  backend: redis
  redis: {url: "redis://127.0.0.1:1/0", fail_open: ` + map[bool]string{false: "false", true: "true"}[failOpen] + `, timeout: 50ms}
  rules: [{name: any, rate: 100, every: 1m}]
  auth: {token_per_minute: -1, authorize_per_minute: -1, login_per_minute: -1}
registration: {per_address_per_hour: -1}
`
		gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra})
		at := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
		resp, _ := toolCall(t, gw.MCP, at, nil)
		if resp.StatusCode != want {
			t.Errorf("fail_open=%v: %d, want %d", failOpen, resp.StatusCode, want)
		}
	}
}
