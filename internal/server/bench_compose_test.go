package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// BenchmarkComposed compares a composed server with a plain one in front
// of the same MCP server (the official SDK's, stateless), in the same
// run: tools/list and tools/call of the 2026-07-28 era, which hold no
// session. The composed server adds its own reading of the request, the
// member request and the merge of the answer. docs/benchmarks.md has
// results.
func BenchmarkComposed(b *testing.B) {
	m := startMember(b, "notes", "search", "echo", "fetch")
	gw := gwtest.Start(b, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - {name: plain, path: /plain/mcp, upstream: %[1]q}
  - name: all
    path: /all/mcp
    compose: [{name: notes, upstream: %[1]q}]
`, m.URL)})
	for _, s := range []string{"plain", "all"} {
		tok := benchTokenFor(b, gw, gw.URL+"/"+s+"/mcp")
		name := map[string]string{"plain": "plain", "all": "composed"}[s]
		b.Run(name+"/tools-list", func(b *testing.B) {
			benchModern(b, gw.URL+"/"+s+"/mcp", tok, "tools/list", "", `{}`)
		})
		b.Run(name+"/tools-call", func(b *testing.B) {
			benchModern(b, gw.URL+"/"+s+"/mcp", tok, "tools/call", "search", `{"name":"search","arguments":{"query":"x"}}`)
		})
	}
}

// benchModern sends one 2026-07-28 request b.N times.
func benchModern(b *testing.B, u, tok, method, name, params string) {
	meta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	body := `{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":` + strings.Replace(params, "{", "{"+meta+",", 1) + `}`
	body = strings.Replace(body, meta+",}", meta+"}", 1)
	client := benchClient()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", method)
		if name != "" {
			req.Header.Set("Mcp-Name", name)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Contains(string(out), `"error"`) {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
}

// benchTokenFor gets a real access token for resource.
func benchTokenFor(b *testing.B, gw *gwtest.Gateway, resource string) string {
	c := gwtest.RegisterClient(b, gw, nil)
	v := gwtest.NewVerifier()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": resource, "scope": ""}), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		b.Fatalf("sign-in: %v", err)
	}
	_, body := c.Token(map[string][]string{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {resource}})
	return body["access_token"].(string)
}
