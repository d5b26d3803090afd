package server_test

import (
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// TestBackendsDocExamples: every configuration example of docs/backends.md
// is valid configuration, with the mode it shows.
func TestBackendsDocExamples(t *testing.T) {
	for name, mode := range map[string]string{
		"backends-headers": "headers", "backends-identity-assertion": "identity_assertion",
		"backends-client-credentials": "client_credentials", "backends-token-exchange": "token_exchange",
		"backends-entra-obo": "entra_obo", "backends-upstream-token": "upstream_token",
	} {
		block := docBlock(t, "backends.md", name)
		y := "public_url: https://mcp.example.com\nencryption_keys: [{id: k1, key: \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}]\n"
		if !strings.Contains(block, "identity:") {
			y += "identity: {type: oidc, oidc: {issuer: \"https://idp.example.com\", client_id: drawbridge, client_secret: s}}\n"
		}
		env := func(k string) (string, bool) {
			if k == "TENANT_ID" {
				return "8eaef023-2b34-4da1-9baa-8bc8c9d6a490", true
			}
			return "value-of-" + k, true
		}
		cfg, err := config.Parse([]byte(y+block), env)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := cfg.Backends[0].Auth.Mode; got != mode {
			t.Errorf("%s: mode %q, want %q", name, got, mode)
		}
	}
}

// TestBackendsDocHTTP2: the backend_http2 example of docs/backends.md is
// valid configuration that turns it on.
func TestBackendsDocHTTP2(t *testing.T) {
	y := "public_url: https://mcp.example.com\nencryption_keys: [{id: k1, key: \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}]\n" +
		"identity: {type: oidc, oidc: {issuer: \"https://idp.example.com\", client_id: drawbridge, client_secret: s}}\n"
	cfg, err := config.Parse([]byte(y+docBlock(t, "backends.md", "backends-http2")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Backends[0].BackendHTTP2 {
		t.Error("the example does not turn backend_http2 on")
	}
}
