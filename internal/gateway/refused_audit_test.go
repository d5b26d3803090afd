package gateway

import (
	"net/http"
	"testing"
)

// TestAuditNamesWhoseTokenWasRefused: a refused request with a genuine
// token of this server (for another resource, lacking a scope) is recorded
// with its client, grant and audience, so that the connection timeline can
// show a client's first MCP call failing and why; a token whose signature
// does not verify names nobody, whatever it claims.
func TestAuditNamesWhoseTokenWasRefused(t *testing.T) {
	log := &auditLog{}
	gw := newTestGatewayOpts(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), nil,
		func(o *Options) { o.Audit = log })
	tests := []struct {
		token                     string
		status                    int
		client, grant, res, words string
	}{
		{"elsewhere", 401, "c1", "g-else", "https://gw.example/other", "the access token is for another resource"},
		{"narrow", 403, "c1", "", "https://gw.example/mcp", "the access token lacks a scope this server requires"},
		{"forged", 401, "", "", "", "the access token signature is invalid"},
		{"", 401, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			if resp := do(t, http.MethodPost, gw.URL+"/mcp", tt.token, map[string]string{"Content-Type": "application/json"}); resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			es := log.take(1)
			if len(es) != 1 {
				t.Fatalf("%d events", len(es))
			}
			e := es[0]
			if e.ClientID != tt.client || e.GrantID != tt.grant || e.Resource != tt.res || e.Detail != tt.words || e.Status != tt.status || e.Decision != "deny" {
				t.Errorf("event = %+v, want client %q grant %q resource %q detail %q", e, tt.client, tt.grant, tt.res, tt.words)
			}
		})
	}
}
