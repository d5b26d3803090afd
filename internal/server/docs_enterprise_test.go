package server_test

import (
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// TestEnterpriseAndDPoPDocExamples: the configuration examples of
// docs/enterprise.md and docs/dpop.md are valid configuration and say what
// the text says they do.
func TestEnterpriseAndDPoPDocExamples(t *testing.T) {
	head := "public_url: https://mcp.example.com\nencryption_keys: [{id: k1, key: \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}]\n"
	env := func(k string) (string, bool) {
		if k == "TENANT_ID" {
			return "8eaef023-2b34-4da1-9baa-8bc8c9d6a490", true
		}
		return "value-of-" + k + "-long-enough", true
	}
	cfg, err := config.Parse([]byte(head+docBlock(t, "enterprise.md", "enterprise")), env)
	if err != nil {
		t.Fatalf("enterprise.md: %v", err)
	}
	idp := cfg.Enterprise.IdPs[0]
	if idp.Claims.Subject != "oid" || idp.Clients[0] != "research-agent" || cfg.Identity.Type != config.IdentityNone {
		t.Errorf("enterprise.md: idp %+v, identity %q; want oid as subject, the agent, no identity section needed", idp, cfg.Identity.Type)
	}
	cfg, err = config.Parse([]byte(head+"identity: {type: local, local: {users: [{username: a, password_hash: \"$2a$10$abcdefghijklmnopqrstuv\"}]}}\n"+
		"servers: [{name: s, path: /mcp, upstream: \"http://127.0.0.1:7071/mcp\"}]\n"+docBlock(t, "enterprise.md", "enterprise-issue")), env)
	if err != nil {
		t.Fatalf("enterprise.md, Drawbridge as the enterprise IdP: %v", err)
	}
	if a := cfg.Enterprise.Issue[0]; a.Clients["research-agent"] != "4960880b83dc9" || a.Lifetime.D() != config.DefaultIssueLifetime ||
		a.Audience != "https://chat.example.net" {
		t.Errorf("enterprise.md: issue %+v; want the agent mapped, the default lifetime", a)
	}
	cfg, err = config.Parse([]byte(head+"identity: {type: oidc, oidc: {issuer: \"https://idp.example.com\", client_id: drawbridge, client_secret: s}}\n"+
		docBlock(t, "dpop.md", "dpop")), env)
	if err != nil {
		t.Fatalf("dpop.md: %v", err)
	}
	if !cfg.Tokens.DPoPNonce || !cfg.Backends[0].RequireDPoP {
		t.Errorf("dpop.md: dpop_nonce %v, require_dpop %v; want both on", cfg.Tokens.DPoPNonce, cfg.Backends[0].RequireDPoP)
	}
}
