package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const enterpriseBase = `
public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
clients:
  - id: agent
    secret: "a-long-enough-client-secret"
    grant_types: [urn:ietf:params:oauth:grant-type:jwt-bearer]
  - id: desktop
    grant_types: [client_credentials]
    secret: "another-long-enough-secret"
servers:
  - {name: snippets, path: /mcp, upstream: "http://127.0.0.1:7071/mcp", scopes: [snippets.read, snippets.write]}
`

// TestEnterpriseIdP: an enterprise IdP needs nothing else to work: no
// identity section (the IdP signed the user in), claims defaulting to a
// generic provider's, keys by discovery unless jwks_uri is given.
func TestEnterpriseIdP(t *testing.T) {
	c, err := Parse([]byte(enterpriseBase+`
enterprise:
  idps:
    - issuer: https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0
      clients: [agent]
      servers: [snippets]
      scopes: [snippets.read]
      claims: {subject: oid}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	idp := c.Enterprise.IdPs[0]
	want := Claims{Subject: "oid", Email: "email", Name: "name", Groups: "groups"}
	if idp.Claims != want || idp.JWKSURI != "" || c.Identity.Type != IdentityNone {
		t.Errorf("idp %+v, identity %q: want claims %+v, no jwks_uri, no identity", idp, c.Identity.Type, want)
	}
}

// TestEnterpriseIdPProblems: each mistake in an IdP is reported, with its
// field.
func TestEnterpriseIdPProblems(t *testing.T) {
	_, err := Parse([]byte(enterpriseBase+`
enterprise:
  idps:
    - issuer: http://idp.example.com
      jwks_uri: "ftp://idp.example.com/keys"
      clients: [agent, desktop, nobody]
      servers: [snippets, files]
      scopes: [snippets.read, admin]
    - issuer: http://idp.example.com
`), env(nil))
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	var got []string
	for _, e := range p.List {
		got = append(got, e.Error())
	}
	for _, w := range []string{
		`enterprise.idps[0].issuer: "http://idp.example.com" must be an https URL`,
		`enterprise.idps[0].jwks_uri: "ftp://idp.example.com/keys" must be an https URL`,
		`enterprise.idps[0].clients[1]: client "desktop" must list urn:ietf:params:oauth:grant-type:jwt-bearer in grant_types`,
		`enterprise.idps[0].clients[2]: "nobody" is not a configured client`,
		`enterprise.idps[0].servers[1]: "files" is not a configured server`,
		`enterprise.idps[0].scopes[1]: "admin" is not a scope of the servers listed`,
		`enterprise.idps[1].issuer: "http://idp.example.com" is listed twice`,
		`enterprise.idps[1].clients: at least one client is required`,
		`enterprise.idps[1].servers: at least one server is required`,
	} {
		if !slices.Contains(got, w) {
			t.Errorf("not reported: %s\nin:\n%v", w, err)
		}
	}
}

// TestJWTBearerNeedsAnAuthenticatingClient: a public client cannot be
// given the jwt-bearer grant.
func TestJWTBearerNeedsAnAuthenticatingClient(t *testing.T) {
	_, err := Parse([]byte(`
public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {type: local, local: {users: [{username: a, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]}}
clients:
  - {id: agent, grant_types: ["urn:ietf:params:oauth:grant-type:jwt-bearer"]}
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:7071/mcp"}]
`), env(nil))
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	want := "clients[0].grant_types: urn:ietf:params:oauth:grant-type:jwt-bearer needs a client that authenticates (a secret or private_key_jwt)"
	for _, e := range p.List {
		if e.Error() == want {
			return
		}
	}
	t.Errorf("not reported: %s\nin:\n%v", want, err)
}

const issueBase = `
public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {type: local, local: {users: [{username: a, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]}}
clients:
  - id: agent
    secret: "a-long-enough-client-secret"
    redirect_uris: ["http://127.0.0.1/cb"]
    grant_types: [authorization_code, refresh_token, "urn:ietf:params:oauth:grant-type:token-exchange"]
  - id: portal
    secret: "another-long-enough-secret"
    redirect_uris: ["https://portal.example.com/cb"]
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:7071/mcp"}]
`

// TestIssueAudience: an authorization server Drawbridge issues ID-JAGs
// for, with the lifetime defaulted.
func TestIssueAudience(t *testing.T) {
	c, err := Parse([]byte(issueBase+`
enterprise:
  issue:
    - audience: https://as.example.net
      resources: [https://api.example.net/mcp]
      scopes: [chat.read]
      clients: {agent: agent-at-as}
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Enterprise.Issue[0]
	if a.Lifetime.D() != DefaultIssueLifetime || a.Clients["agent"] != "agent-at-as" || a.Resources[0] != "https://api.example.net/mcp" {
		t.Errorf("issue %+v: want lifetime %s and the client mapped", a, DefaultIssueLifetime)
	}
}

// TestIssueAudienceProblems: each mistake in enterprise.issue is reported,
// with its field.
func TestIssueAudienceProblems(t *testing.T) {
	_, err := Parse([]byte(issueBase+`
enterprise:
  issue:
    - audience: http://as.example.net
      resources: ["https://api.example.net/mcp/", "not a url"]
      scopes: ["chat.read", "two words"]
      clients: {portal: p, nobody: n}
      lifetime: 1h
    - audience: https://mcp.example.com
      clients: {agent: ""}
    - audience: http://as.example.net
      resources: [https://api.example.net/mcp]
      clients: {agent: a}
`), env(nil))
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	var got []string
	for _, e := range p.List {
		got = append(got, e.Error())
	}
	for _, w := range []string{
		`enterprise.issue[0].audience: "http://as.example.net" must be an https URL`,
		`enterprise.issue[0].resources[0]: "https://api.example.net/mcp/" is not a resource identifier in canonical form (an absolute http(s) URI, no fragment, no trailing slash)`,
		`enterprise.issue[0].resources[1]: "not a url" is not a resource identifier in canonical form (an absolute http(s) URI, no fragment, no trailing slash)`,
		`enterprise.issue[0].scopes[1]: "two words" is not one scope token (RFC 6749 §3.3)`,
		`enterprise.issue[0].clients: "nobody" is not a configured client`,
		`enterprise.issue[0].clients: client "portal" must list urn:ietf:params:oauth:grant-type:token-exchange in grant_types`,
		`enterprise.issue[0].lifetime: 1h0m0s is outside 1s..10m0s`,
		`enterprise.issue[1].audience: Drawbridge's own issuer: an IdP must not issue grants to itself (draft-ietf-oauth-identity-assertion-authz-grant, cross-domain use)`,
		`enterprise.issue[1].resources: at least one resource is required`,
		`enterprise.issue[1].clients: client "agent" needs its client id at the audience`,
		`enterprise.issue[2].audience: "http://as.example.net" is listed twice`,
	} {
		if !slices.Contains(got, w) {
			t.Errorf("not reported: %s\nin:\n%v", w, err)
		}
	}
}

// TestIssueNeedsSignIn: without users who sign in there is no refresh
// token to exchange, and a public client cannot be given token exchange.
func TestIssueNeedsSignIn(t *testing.T) {
	_, err := Parse([]byte(strings.Replace(enterpriseBase, "servers:", `  - {id: pub, redirect_uris: ["http://127.0.0.1/cb"], grant_types: ["urn:ietf:params:oauth:grant-type:token-exchange"]}
servers:`, 1)+`
enterprise:
  issue:
    - audience: https://as.example.net
      resources: [https://api.example.net/mcp]
      clients: {desktop: d}
`), env(nil))
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	var got []string
	for _, e := range p.List {
		got = append(got, e.Error())
	}
	for _, w := range []string{
		"enterprise.issue: grants are issued for users who sign in, and identity is not configured",
		"clients[2].grant_types: urn:ietf:params:oauth:grant-type:token-exchange needs a client that authenticates (a secret or private_key_jwt)",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("not reported: %s\nin:\n%v", w, err)
		}
	}
}
