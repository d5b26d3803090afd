package replicas

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// sharedCluster starts three replicas on one fresh PostgreSQL database
// and the shared test Redis behind balancer, skipping when any is missing.
func sharedCluster(t *testing.T, balancer string) *cluster {
	t.Helper()
	redis := os.Getenv("DRAWBRIDGE_TEST_REDIS")
	if redis == "" {
		t.Skip("DRAWBRIDGE_TEST_REDIS not set; run scripts/start-redis (scripts/test-all does)")
	}
	program, h2c := strings.CutSuffix(balancer, "-h2c")
	if _, err := lookBinary("DRAWBRIDGE_TEST_"+strings.ToUpper(program), program); err != nil {
		t.Skipf("%s is not installed; run scripts/install-balancers (scripts/test-all does)", program)
	}
	o := clusterOptions{postgres: gwtest.PostgresDSN(t), redis: redis, balancer: balancer}
	if h2c {
		o.extraYAML = "h2c: true\n"
	}
	return startCluster(t, o)
}

// TestReplicas runs every cross-replica story behind each load balancer,
// and behind HAProxy speaking HTTP/2 without TLS to replicas with h2c on.
func TestReplicas(t *testing.T) {
	for _, lb := range []string{"haproxy", "nginx", "haproxy-h2c"} {
		t.Run(lb, func(t *testing.T) {
			c := sharedCluster(t, lb)
			t.Run("OAuthAndSessions", func(t *testing.T) { testOAuthAndSessions(t, c) })
			t.Run("LegacySSE", func(t *testing.T) { testLegacySSE(t, c) })
			t.Run("KeyRotation", func(t *testing.T) { testKeyRotation(t, c) })
			t.Run("RateLimitsAreGlobal", func(t *testing.T) { testGlobalRateLimit(t, c) })
		})
	}
}

// testOAuthAndSessions: the Go SDK client signs in through the balancer
// (discovery, registration, authorization, sign-in, consent, token: each
// request may land on any replica), then uses one MCP session whose
// requests reach different replicas.
func testOAuthAndSessions(t *testing.T, c *cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	start := c.served.len()
	h := c.sdkOAuth(t, "alice")
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "replicas", Version: "1"}, nil).Connect(ctx,
		&mcp.StreamableClientTransport{Endpoint: c.public + "/mcp", OAuthHandler: h, HTTPClient: c.httpClient()}, nil)
	if err != nil {
		t.Fatalf("connect through the balancer: %v\n%s", err, describe(c.served.since(start)))
	}
	defer cs.Close()
	flow := c.served.since(start)
	// The sign-in's own steps: the authorization request, the login form,
	// the consent form and the token request.
	steps := []string{"/authorize", "/login", "/consent", "/token"}
	seen := map[string]bool{}
	for _, s := range steps {
		for _, r := range replicasOf(flow, s) {
			seen[r] = true
		}
	}
	if len(seen) < 2 {
		t.Fatalf("the OAuth flow's steps all reached one replica; no test of sharing:\n%s", describe(flow))
	}

	mark := c.served.len()
	want := map[string]string{}
	for i, name := range []string{"a", "b", "c", "d", "e", "f"} {
		body := strings.Repeat(name, i+1)
		gwtest.CallText(t, ctx, cs, "save_snippet", map[string]any{"snippetname": "replicas-" + name, "snippet": body})
		want[name] = body
	}
	for name, body := range want {
		if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": "replicas-" + name}); !strings.Contains(got, body) {
			t.Errorf("get_snippet %s = %q, want %q", name, got, body)
		}
	}
	calls := c.served.since(mark)
	var posts []hit
	for _, h := range calls {
		if h.method == http.MethodPost && h.path == "/mcp" {
			posts = append(posts, h)
			if h.status != http.StatusOK && h.status != http.StatusAccepted {
				t.Errorf("session request answered %d by %s", h.status, h.replica)
			}
		}
	}
	if got := replicasOf(posts, "/mcp"); len(got) != len(c.replicas) {
		t.Fatalf("one session's requests reached %v, want all %d replicas:\n%s", got, len(c.replicas), describe(calls))
	}
	if c.lb.kind == "haproxy-h2c" {
		for _, h := range append(flow, calls...) {
			if h.replica != "" && h.backendHTTP != "2" {
				t.Fatalf("HAProxy spoke HTTP/%q to %s for %s %s, want HTTP/2 (h2c)", h.backendHTTP, h.replica, h.method, h.path)
			}
		}
	}
}

// testLegacySSE: a 2024-11-05 HTTP+SSE session. The stream stays on one
// replica; the messages the client posts land on the others, which find
// the session's handle in the store.
func testLegacySSE(t *testing.T, c *cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	tok := tokenFor(t, c.oauthClient(t), "alice", c.public+"/legacy/sse", "legacy")
	mark := c.served.len()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "legacy-client", Version: "1"}, nil).Connect(ctx,
		&mcp.SSEClientTransport{Endpoint: c.public + "/legacy/sse", HTTPClient: c.withToken(tok["access_token"].(string))}, nil)
	if err != nil {
		t.Fatalf("connect over HTTP+SSE: %v", err)
	}
	defer cs.Close()
	for _, word := range []string{"one", "two", "three", "four"} {
		if got := gwtest.CallText(t, ctx, cs, "echo", map[string]any{"text": word}); got != "legacy "+word {
			t.Fatalf("echo %s = %q", word, got)
		}
	}
	hits := c.served.since(mark)
	if got := replicasOf(hits, "/legacy/sse/message"); len(got) < 2 {
		t.Fatalf("the session's messages reached only %v:\n%s", got, describe(hits))
	}
}

// testKeyRotation: an administrator rotates the signing key on one
// replica; a token signed with the new key is accepted by every replica at
// once, and each publishes the key.
func testKeyRotation(t *testing.T, c *cluster) {
	first, others := c.replicas[0], c.replicas[1:]
	adminToken := tokenFor(t, c.oauthClient(t), "alice", c.public+"/admin", "admin")["access_token"].(string)

	user := c.oauthClient(t)
	issued := user.Tokens("bob")
	before := kid(t, issued["access_token"].(string))

	req, _ := http.NewRequest(http.MethodPost, first.URL()+"/admin/api/keys/rotate", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rotated struct {
		Current string `json:"current"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&rotated)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || rotated.Current == "" || rotated.Current == before {
		t.Fatalf("rotate on %s: %d, current %q (was %q)", first.name, resp.StatusCode, rotated.Current, before)
	}

	// A refresh on the replica that rotated signs with the new key.
	user.GW = &gwtest.Gateway{URL: first.URL(), MCP: c.public + "/mcp"}
	status, fresh := user.Refresh(issued["refresh_token"].(string))
	if status != http.StatusOK {
		t.Fatalf("refresh on %s: %d %v", first.name, status, fresh)
	}
	at := fresh["access_token"].(string)
	if got := kid(t, at); got != rotated.Current {
		t.Fatalf("the rotating replica signed with %q, want the new key %q", got, rotated.Current)
	}
	for _, r := range others {
		resp := gwtest.MCPCall(t, r.URL()+"/mcp", "Bearer "+at)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s refuses a token of the key rotated on %s: %d %s", r.name, first.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if !jwksHas(t, r.URL(), rotated.Current) {
			t.Errorf("%s does not publish the new key", r.name)
		}
		// The old key's tokens still verify everywhere.
		if resp := gwtest.MCPCall(t, r.URL()+"/mcp", "Bearer "+issued["access_token"].(string)); resp.StatusCode != http.StatusOK {
			t.Errorf("%s refuses a token of the previous key: %d", r.name, resp.StatusCode)
		}
	}
}

// tokenFor runs an authorization for resource and scope as user and
// returns the token response.
func tokenFor(t *testing.T, cl *gwtest.Client, user, resource, scope string) map[string]any {
	t.Helper()
	v := gwtest.NewVerifier()
	p, err := cl.Browser.SignInLocal(cl.AuthorizeURL(v, map[string]string{"resource": resource, "scope": scope}), user, password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("authorization for %s: %v", resource, err)
	}
	status, body := cl.Token(map[string][]string{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {cl.Redirect}, "resource": {resource}})
	if status != http.StatusOK {
		t.Fatalf("token for %s: %d %v", resource, status, body)
	}
	return body
}

func jwksHas(t *testing.T, base, kid string) bool {
	t.Helper()
	status, set := getJSON(t, http.DefaultClient, base+"/jwks.json")
	if status != http.StatusOK {
		t.Fatalf("jwks: %d", status)
	}
	keys, _ := set["keys"].([]any)
	for _, k := range keys {
		if m, _ := k.(map[string]any); m["kid"] == kid {
			return true
		}
	}
	return false
}

// testGlobalRateLimit: a client may call hello_mcp helloLimit times an
// hour, counted in Redis: its calls spread over every replica, and the
// first helloLimit succeed, the rest are refused, whichever replica
// answers.
func testGlobalRateLimit(t *testing.T, c *cluster) {
	cl := c.oauthClient(t)
	hc := c.withToken(cl.Tokens("alice")["access_token"].(string))
	sid := initialize(t, hc, c.public+"/mcp")
	mark := c.served.len()
	var codes []int
	for i := range helloLimit + 3 {
		resp, out := rpc(t, hc, c.public+"/mcp", sid, map[string]any{"id": 10 + i, "method": "tools/call",
			"params": map[string]any{"name": "hello_mcp", "arguments": map[string]any{}}})
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && (resp.Header.Get("Retry-After") == "" || out["error"] == nil) {
			t.Errorf("a refusal without Retry-After or JSON-RPC error: %v %v", resp.Header, out)
		}
	}
	hits := c.served.since(mark)
	for i, code := range codes {
		want := http.StatusOK
		if i >= helloLimit {
			want = http.StatusTooManyRequests
		}
		if code != want {
			t.Fatalf("calls answered %v, want %d× 200 then 429:\n%s", codes, helloLimit, describe(hits))
		}
	}
	if got := replicasOf(hits, "/mcp"); len(got) != len(c.replicas) {
		t.Fatalf("the calls reached only %v:\n%s", got, describe(hits))
	}
}
