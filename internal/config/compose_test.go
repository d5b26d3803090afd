package config

import (
	"strings"
	"testing"
	"time"
)

func parseComposedServer(t *testing.T, server string) (*Config, error) {
	t.Helper()
	y := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity:
  local:
    users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]
servers:
  - name: all
    path: /all/mcp
` + server
	return Parse([]byte(y), env(map[string]string{"GH": "gh-secret"}))
}

// TestComposeDefaults: each member gets the defaults of a server of its
// kind, and the composed server those of a Streamable HTTP one.
func TestComposeDefaults(t *testing.T) {
	c, err := parseComposedServer(t, `    compose:
      - {name: gh, upstream: "http://127.0.0.1:9/mcp", prefix: gh_, auth: {mode: identity_assertion}}
      - {name: cmd, command: [/bin/cat]}
      - {name: rest, openapi: {spec: petstore.yaml, base_url: "https://api.example/v3"}, timeout: 5s}
`)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Backends[0]
	if s.Transport != "streamable-http" || s.Auth.Mode != "none" {
		t.Errorf("server transport %q auth %q", s.Transport, s.Auth.Mode)
	}
	gh, cmd, rest := s.Compose[0], s.Compose[1], s.Compose[2]
	if gh.Transport != "streamable-http" || gh.Timeout.D() != DefaultServerTimeout || gh.Auth.Header != "Authorization" || gh.Auth.TTL.D() != time.Minute {
		t.Errorf("upstream member: %+v", gh)
	}
	if cmd.Transport != "stdio" || cmd.Stdio.Mode != "per-session" || cmd.Stdio.MaxSessions != 100 || cmd.Auth.Mode != "none" {
		t.Errorf("command member: %+v", cmd)
	}
	if rest.Transport != "streamable-http" || rest.Timeout.D() != 5*time.Second || rest.OpenAPI.Timeout.D() != 30*time.Second || rest.OpenAPI.MaxResponseBytes != 1<<20 {
		t.Errorf("openapi member: %+v %+v", rest, rest.OpenAPI)
	}
	if b := s.MemberServer(&s.Compose[0]); b.Name != "gh" || b.Upstream != "http://127.0.0.1:9/mcp" || b.Path != "/all/mcp" || b.MaxRequestBytes != s.MaxRequestBytes {
		t.Errorf("member as a server: %+v", b)
	}
}

// TestComposeProblemsAllReported: every problem of a composed server and
// its members is reported at once, each at its field path.
func TestComposeProblemsAllReported(t *testing.T) {
	_, err := parseComposedServer(t, `    upstream: http://127.0.0.1:9/mcp
    headers: {X-Key: k}
    compose:
      - name: gh
        upstream: "http://127.0.0.1:9/mcp"
        transport: sse
        stdio: {mode: shared}
      - name: gh
        upstream: "ftp://x"
        transport: websocket
        prefix: "gh/"
        include: ["[a"]
        exclude: [""]
        headers: {"bad header": v}
        timeout: 2h
        overrides:
          search: {name: "find it"}
          fetch: {}
      - name: Bad
        command: [/bin/cat]
        auth: {mode: headers, headers: {X-Key: "${GH}"}}
        forward_identity: true
      - name: both
        upstream: "http://127.0.0.1:9/mcp"
        openapi: {spec: x.yaml, base_url: "https://a.example"}
        auth: {mode: client_credentials}
        overrides:
          a: {name: shown}
          b: {name: shown}
  - name: empty
    path: /empty
    compose: []
`)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"servers[0]: set exactly one of upstream, command, openapi and compose",
		"servers[0]: a composed server has no credential of its own: set auth, headers and forward_identity on each member",
		"servers[0].compose[0].stdio.mode: an sse member opens one connection per client session",
		`servers[0].compose[1].name: "gh" is also the name of servers[0].compose[0]`,
		`servers[0].compose[1].upstream: "ftp://x" must be an http or https URL`,
		`servers[0].compose[1].transport: "websocket" is not one of`,
		`servers[0].compose[1].prefix: "gh/" must be at most 64 of A-Z`,
		`servers[0].compose[1].include[0]: "[a" is not a valid glob`,
		`servers[0].compose[1].exclude[0]: "" is not a valid glob`,
		`servers[0].compose[1].headers: "bad header" is not a valid header name`,
		"servers[0].compose[1].timeout: 2h0m0s is outside",
		`servers[0].compose[1].overrides.search.name: "find it" must be at most 128`,
		"servers[0].compose[1].overrides.fetch: sets nothing",
		`servers[0].compose[2].name: "Bad" must be 1-63`,
		"servers[0].compose[2].auth.mode: a stdio server gets no HTTP headers",
		"servers[0].compose[2].forward_identity: only for an upstream member",
		"servers[0].compose[3]: set exactly one of upstream, command, openapi and compose",
		"servers[0].compose[3].auth.token_url",
		`servers[0].compose[3].overrides.b.name: "shown" is also the name an override gives a of member both`,
		"servers[1].compose: at least one member is required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestComposeUpstreamTokens: a composed server needs the vault, and the
// offline_access warning, when one of its members acts with the user's
// upstream tokens.
func TestComposeUpstreamTokens(t *testing.T) {
	s := Backend{Compose: []Member{{Name: "a"}, {Name: "b", Auth: BackendAuth{Mode: "upstream_token"}}}}
	if !s.UsesUpstreamTokens() {
		t.Error("a member's upstream_token does not count")
	}
	s.Compose[1].Auth.Mode = "headers"
	if s.UsesUpstreamTokens() {
		t.Error("no member acts with upstream tokens, yet the server does")
	}
}

// TestComposeOfflineAccessWarning: a member acting with the user's
// upstream tokens gets the offline_access warning, naming the member.
func TestComposeOfflineAccessWarning(t *testing.T) {
	c, err := Parse([]byte(`
public_url: https://gw.example.com
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {type: oidc, oidc: {issuer: "https://idp.example.com", client_id: gw, client_secret: s}}
servers:
  - name: all
    path: /all
    compose: [{name: files, upstream: "http://127.0.0.1:7071/mcp", auth: {mode: upstream_token, audience: "api://files"}}]
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], "servers[all].compose[files].auth.mode upstream_token acts with the user's upstream tokens") {
		t.Errorf("warnings %q", w)
	}
}
