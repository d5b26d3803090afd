package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// The proxy benchmarks send the same small MCP request three ways, in the
// same run, so the numbers compare: straight to the backend, through a bare
// httputil.ReverseProxy, and through Drawbridge (middleware, token
// verification, header rewriting, proxy). Drawbridge runs as the load
// benchmark's servers do (bench/drive.go): a backend credential header and
// no forward_identity, which is off unless configured (its six headers are
// the backend's to parse, a dozen allocations of its own on every request).
// docs/benchmarks.md has results.

const benchBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_snippet","arguments":{"snippetname":"greeting"}}}`

func echoBackend(b *testing.B) *httptest.Server {
	resp := []byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello, drawbridge"}]}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(resp)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchPost(b *testing.B, client *http.Client, u, authz string) {
	benchCheck(b, client, u, authz)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Do(benchRequest(u, authz))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// benchRequest is the benchmark's tools/call, with authz if any.
func benchRequest(u, authz string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(benchBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	return req
}

// benchCheck makes sure a case answers with the backend's own result: a
// policy refusal is a JSON-RPC error with status 200 and would otherwise
// pass for a fast answer.
func benchCheck(b *testing.B, client *http.Client, u, authz string) {
	resp, err := client.Do(benchRequest(u, authz))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "hello, drawbridge") {
		b.Fatalf("not the backend's answer: status %d, %s", resp.StatusCode, body)
	}
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
}

func BenchmarkProxy(b *testing.B) {
	be := echoBackend(b)
	b.Run("direct", func(b *testing.B) {
		benchPost(b, benchClient(), be.URL+"/mcp", "")
	})
	b.Run("bare-reverse-proxy", func(b *testing.B) {
		up, _ := url.Parse(be.URL)
		rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(up) }, FlushInterval: -1}
		srv := httptest.NewServer(rp)
		defer srv.Close()
		benchPost(b, benchClient(), srv.URL+"/mcp", "")
	})
	// The same proxy sent the very request Drawbridge is sent, its bearer
	// token included (which a bare proxy parses and forwards).
	b.Run("bare-reverse-proxy-with-token", func(b *testing.B) {
		tok := benchToken(b, gwtest.Start(b, gwtest.Options{Upstream: be.URL + "/mcp", NoForwardIdentity: true}))
		up, _ := url.Parse(be.URL)
		rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(up) }, FlushInterval: -1}
		srv := httptest.NewServer(rp)
		defer srv.Close()
		benchPost(b, benchClient(), srv.URL+"/mcp", "Bearer "+tok)
	})
	b.Run("drawbridge", func(b *testing.B) {
		gw := gwtest.Start(b, gwtest.Options{Upstream: be.URL + "/mcp", NoForwardIdentity: true})
		tok := benchToken(b, gw)
		benchPost(b, benchClient(), gw.MCP, "Bearer "+tok)
	})
	b.Run("drawbridge-governed", func(b *testing.B) {
		gw := gwtest.Start(b, gwtest.Options{Upstream: be.URL + "/mcp", NoForwardIdentity: true, ExtraYAML: benchGoverned})
		tok := benchToken(b, gw)
		benchPost(b, benchClient(), gw.MCP, "Bearer "+tok)
	})
}

// benchGoverned turns on, for the drawbridge-governed case, what the load
// benchmark's /governed server has (bench/drive.go): a policy with a CEL
// condition on the arguments, an allow rule requiring a scope, and two rate
// limits set high enough never to refuse. With the defaults' audit trail,
// that is "everything on".
const benchGoverned = `    policy:
      default: deny
      rules:
        - {name: no-secret-snippets, tools: [get_snippet], when: 'request.arguments.snippetname.startsWith("secret")', effect: deny}
        - {name: snippets, tools: [get_snippet, list_snippets, save_snippet], effect: allow, require_scopes: [snippets]}
rate_limits:
  rules:
    - {name: calls-per-client-and-tool, servers: [snippets], per: [client, tool], methods: [tools/call], rate: 100000000, every: 1s}
    - {name: daily-quota-per-client, servers: [snippets], per: [client], quota: 1000000000, window: day}
`

// benchToken gets a real access token through the authorization flow.
func benchToken(b *testing.B, gw *gwtest.Gateway) string {
	c := gwtest.RegisterClient(b, gw, nil)
	return c.Tokens(gwtest.User)["access_token"].(string)
}
