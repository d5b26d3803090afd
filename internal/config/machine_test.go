package config

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

const machineOnly = `
public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
clients:
  - id: nightly-report
    secret: "a-long-enough-client-secret"
    grant_types: [client_credentials]
servers:
  - {name: snippets, path: /mcp, upstream: "http://127.0.0.1:7071/mcp", scopes: [snippets]}
`

// TestMachineOnlyNeedsNoIdentity: a configuration whose only clients are
// machine clients needs no identity section, and no made-up user. Nobody
// signs in: what only a user could use is off by default.
func TestMachineOnlyNeedsNoIdentity(t *testing.T) {
	c, err := Parse([]byte(machineOnly), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Identity.Type != "none" {
		t.Errorf("identity.type = %q, want none", c.Identity.Type)
	}
	if *c.Registration.Dynamic || *c.Registration.MetadataDocuments.Enabled || *c.Console.Enabled {
		t.Errorf("interactive parts on: dynamic %v, metadata documents %v, console %v",
			*c.Registration.Dynamic, *c.Registration.MetadataDocuments.Enabled, *c.Console.Enabled)
	}
	explicit, err := Parse([]byte(machineOnly+"identity: {type: none}\n"), env(nil))
	if err != nil || explicit.Identity.Type != "none" {
		t.Fatalf("identity.type none: %v", err)
	}

	// The example in docs/configuration.md is such a configuration.
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- test: machine-only -->\\s*```yaml\\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/configuration.md has no machine-only block")
	}
	c, err = Parse(m[1], env(map[string]string{"DRAWBRIDGE_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "NIGHTLY_REPORT_SECRET": "a-long-enough-client-secret"}))
	if err != nil || c.Identity.Type != "none" {
		t.Errorf("the documented machine-only configuration: %v", err)
	}
}

// TestNoIdentityRefusesWhatNeedsUsers: without identity, each setting that
// only a signed-in user could use is a problem, and so is a configuration
// where nobody could get a token at all. An identity section that is there
// but empty of users is still refused, as before.
func TestNoIdentityRefusesWhatNeedsUsers(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"interactive parts turned on", machineOnly + `
registration: {dynamic: true, metadata_documents: {enabled: true}}
console: {enabled: true}
`, []string{
			"registration.dynamic: clients that register themselves need users who sign in, and identity is not configured: add an identity section, or leave registration.dynamic out",
			"registration.metadata_documents.enabled: metadata-document clients need users who sign in, and identity is not configured: add an identity section, or leave registration.metadata_documents.enabled out",
			"console.enabled: the console needs users who sign in, and identity is not configured: add an identity section, or leave console.enabled out",
		}},
		{"an interactive client", strings.Replace(machineOnly, "clients:\n", "clients:\n  - {id: desktop, redirect_uris: [\"http://127.0.0.1/cb\"]}\n", 1), []string{
			"clients[0].grant_types: authorization_code needs users who sign in, and identity is not configured: add an identity section, or give this client grant_types: [client_credentials]",
		}},
		{"no client at all", `
public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:7071/mcp"}]
`, []string{
			"identity: not configured, and no client has the client_credentials grant, so nobody could get a token: add an identity section (such as identity.local.users), or clients with grant_types: [client_credentials]",
		}},
		{"local without users", machineOnly + "identity: {type: local}\n", []string{
			"identity.local.users: at least one user is required",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), env(nil))
			var p *Problems
			if !errors.As(err, &p) {
				t.Fatalf("want problems, got %v", err)
			}
			for _, w := range tc.want {
				found := false
				for _, e := range p.List {
					found = found || e.Error() == w
				}
				if !found {
					t.Errorf("not reported: %s\nin:\n%v", w, err)
				}
			}
		})
	}
}
