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

// TestPinningWarnings: withholding new tools with nobody named to approve
// them is warned about; the default (hide, trust on first use) is not.
func TestPinningWarnings(t *testing.T) {
	for _, tc := range []struct {
		server, admin string
		warn          bool
	}{
		{"", "", false},
		{"pinning: warn, pinning_approval: admin", "", false},
		{"pinning: block", "", true},
		{"pinning_approval: admin", "", true},
		{"pinning: block", "admin: {groups: [eng]}", false},
	} {
		y := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {local: {users: [{username: u, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
` + tc.admin + `
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:7071/mcp", ` + tc.server + `}]
`
		c, err := Parse([]byte(y), env(nil))
		if err != nil {
			t.Fatalf("%q: %v", tc.server, err)
		}
		w := c.Warnings()
		if got := len(w) == 1 && strings.Contains(w[0], "servers[s].pinning") && strings.Contains(w[0], "drawbridge tools approve"); got != tc.warn || (!tc.warn && len(w) > 0) {
			t.Errorf("%q %q: warnings %q, want a pinning warning: %v", tc.server, tc.admin, w, tc.warn)
		}
	}
}

// TestPinningSettings: hide and trust on first use by default; anything
// but the documented values is a problem.
func TestPinningSettings(t *testing.T) {
	parse := func(server string) (*Config, error) {
		return Parse([]byte(`
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {local: {users: [{username: u, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:7071/mcp", `+server+`}]
`), env(nil))
	}
	c, err := parse("")
	if err != nil || c.Backends[0].Pinning != "hide" || c.Backends[0].PinningApproval != "tofu" {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	_, err = parse("pinning: Hide, pinning_approval: manual")
	for _, want := range []string{`servers[0].pinning: "Hide" is not one of off, warn, hide, block`,
		`servers[0].pinning_approval: "manual" is not one of tofu, admin`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad values: %v, want %q", err, want)
		}
	}
}
func TestAssertionAudience(t *testing.T) {
	for _, tc := range []struct{ audience, upstream, want string }{
		{"", "https://Backend.Example.com:8443/mcp?x=1", "https://backend.example.com:8443"},
		{"urn:snippets", "https://backend.example.com/mcp", "urn:snippets"},
		{"", "://bad", "://bad"},
	} {
		sv := &Backend{Upstream: tc.upstream, Auth: BackendAuth{Audience: tc.audience}}
		if got := sv.AssertionAudience(); got != tc.want {
			t.Errorf("AssertionAudience(%q, %q) = %q, want %q", tc.audience, tc.upstream, got, tc.want)
		}
	}
}

// TestAssertionAudienceWarnings: different upstreams that would accept each
// other's identity assertions (one audience, by default their shared
// origin) are warned about; one upstream behind two paths, or distinct
// audiences, are not.
func TestAssertionAudienceWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, servers string
		want          []string
	}{
		{"two upstreams on one origin", `
  - {name: a, path: /a, upstream: "https://internal.example.com/a/mcp", auth: {mode: identity_assertion}}
  - {name: b, path: /b, upstream: "https://INTERNAL.example.com/b/mcp", auth: {mode: identity_assertion}}`,
			[]string{`servers[a] and servers[b] get identity assertions with the same audience "https://internal.example.com"`}},
		{"one audience named twice", `
  - {name: a, path: /a, upstream: "https://a.example.com/mcp", auth: {mode: identity_assertion, audience: urn:shared}}
  - {name: b, path: /b, upstream: "https://b.example.com/mcp", auth: {mode: identity_assertion, audience: urn:shared}}`,
			[]string{`servers[a] and servers[b] get identity assertions with the same audience "urn:shared"`}},
		{"a composed member beside a server", `
  - {name: a, path: /a, upstream: "https://internal.example.com/a/mcp", auth: {mode: identity_assertion}}
  - name: all
    path: /all
    compose:
      - {name: m, upstream: "https://internal.example.com/m/mcp", auth: {mode: identity_assertion}}`,
			[]string{`servers[a] and servers[all].compose[m]`}},
		{"distinct audiences on one origin", `
  - {name: a, path: /a, upstream: "https://internal.example.com/a/mcp", auth: {mode: identity_assertion, audience: urn:a}}
  - {name: b, path: /b, upstream: "https://internal.example.com/b/mcp", auth: {mode: identity_assertion}}`, nil},
		{"one upstream behind two paths", `
  - {name: a, path: /a, upstream: "https://internal.example.com/mcp", auth: {mode: identity_assertion}}
  - {name: b, path: /b, upstream: "https://internal.example.com/mcp", auth: {mode: identity_assertion}}`, nil},
		{"other modes", `
  - {name: a, path: /a, upstream: "https://internal.example.com/a/mcp"}
  - {name: b, path: /b, upstream: "https://internal.example.com/b/mcp", auth: {mode: identity_assertion}}`, nil},
	} {
		y := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {local: {users: [{username: u, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
servers:` + tc.servers + "\n"
		c, err := Parse([]byte(y), env(nil))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		w := c.Warnings()
		if len(w) != len(tc.want) {
			t.Errorf("%s: warnings %q, want %d", tc.name, w, len(tc.want))
			continue
		}
		for i, want := range tc.want {
			if !strings.Contains(w[i], want) {
				t.Errorf("%s: warning %q, want it to say %q", tc.name, w[i], want)
			}
		}
	}
}
