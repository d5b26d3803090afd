package config

import (
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	parse := func(identity, auth string) *Config {
		t.Helper()
		y := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
` + identity + `
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:7071/mcp", auth: ` + auth + `}]
`
		c, err := Parse([]byte(y), env(nil))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	oidcDefault := `identity: {type: oidc, oidc: {issuer: "https://idp.example.com", client_id: gw, client_secret: s}}`
	oidcOffline := `identity: {type: oidc, oidc: {issuer: "https://idp.example.com", client_id: gw, client_secret: s, scopes: [openid, offline_access]}}`
	entraDefault := `identity: {type: entra, entra: {tenant_id: 8eaef023-2b34-4da1-9baa-8bc8c9d6a490, client_id: gw, client_secret: s}}`
	entraNoOffline := `identity: {type: entra, entra: {tenant_id: 8eaef023-2b34-4da1-9baa-8bc8c9d6a490, client_id: gw, client_secret: s, scopes: [openid, "api://gw/access_as_user"]}}`
	for _, tc := range []struct {
		name, identity, auth string
		warn                 bool
	}{
		{"oidc defaults, token exchange", oidcDefault, `{mode: token_exchange, audience: a}`, true},
		{"oidc with offline_access", oidcOffline, `{mode: token_exchange, audience: a}`, false},
		{"oidc defaults, identity assertion", oidcDefault, `{mode: identity_assertion}`, false},
		{"entra defaults", entraDefault, `{mode: entra_obo, scopes: ["api://snippets/.default"]}`, false},
		{"entra scopes without offline_access", entraNoOffline, `{mode: entra_obo, scopes: ["api://snippets/.default"]}`, true},
	} {
		w := parse(tc.identity, tc.auth).Warnings()
		if got := len(w) == 1 && strings.Contains(w[0], "offline_access") && strings.Contains(w[0], "servers[s]"); got != tc.warn {
			t.Errorf("%s: warnings %q, want an offline_access warning: %v", tc.name, w, tc.warn)
		}
		if !tc.warn && len(w) > 0 {
			t.Errorf("%s: unexpected warnings %q", tc.name, w)
		}
	}
}
