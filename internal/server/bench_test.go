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
// verification, header rewriting, proxy). docs/benchmarks.md has results.

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
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(benchBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := client.Do(req)
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
	b.Run("drawbridge", func(b *testing.B) {
		gw := gwtest.Start(b, gwtest.Options{Upstream: be.URL + "/mcp"})
		tok := benchToken(b, gw)
		benchPost(b, benchClient(), gw.MCP, "Bearer "+tok)
	})
}

// benchToken gets a real access token through the authorization flow.
func benchToken(b *testing.B, gw *gwtest.Gateway) string {
	c := gwtest.RegisterClient(b, gw, nil)
	return c.Tokens(gwtest.User)["access_token"].(string)
}
