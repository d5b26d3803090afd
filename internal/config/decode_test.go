package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestParseReportsEveryUnknownKey: the YAML decoder stops at the first
// unknown key; Parse reports each one with its line (and the key it was
// probably meant to be), the values of the wrong type, and what validation
// finds in the rest, in one list. A value of the wrong type is not
// reported a second time as missing.
func TestParseReportsEveryUnknownKey(t *testing.T) {
	bad := `public_url: http://127.0.0.1:8080
publik_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity:
  local:
    users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv", grups: [eng]}]
tokens:
  access_token_ttl: 5x
  refresh_tokn_ttl: 1h
log: {level: loud}
servers:
  - name: snippets
    path: /mcp
    upstreem: http://127.0.0.1:7071/mcp
    timeout: [1, 2]
    max_request_bytes: lots
  - name: files
    path: /files
    upstream: http://127.0.0.1:7072/mcp
    scopes: files
    frobnicate: true
`
	_, err := Parse([]byte(bad), env(nil))
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want *Problems, got %v", err)
	}
	var got []string
	for _, e := range p.List {
		got = append(got, e.Error())
	}
	// Unknown keys and wrong values come in the order of the file, then
	// validation's problems in its order.
	want := []string{
		`line 2: publik_url: unknown key (did you mean public_url?)`,
		`line 6: identity.local.users[0].grups: unknown key (did you mean groups?)`,
		`line 8: tokens.access_token_ttl: "5x" is not a duration such as 90s, 10m or 720h`,
		`line 9: tokens.refresh_tokn_ttl: unknown key (did you mean refresh_token_ttl?)`,
		`line 14: servers[0].upstreem: unknown key (did you mean upstream?)`,
		`line 15: servers[0].timeout: must be a duration such as 90s, 10m or 720h`,
		`line 16: servers[0].max_request_bytes: must be a whole number, not "lots"`,
		`line 20: servers[1].scopes: must be a list, not "files"`,
		`line 21: servers[1].frobnicate: unknown key`,
		`log.level: "loud" is not one of debug, info, warn, error`,
		`servers[0].upstream: "" must be an http or https URL (or set command for a stdio server)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseDecodeEdges: anchors and merge keys still decode; a syntax error
// is reported alone with its place; an empty file is an empty
// configuration (validation then says what is missing).
func TestParseDecodeEdges(t *testing.T) {
	anchored := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {local: {users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]}}
x-defaults: &backend {timeout: 30s}
servers:
  - <<: *backend
    name: a
    path: /a
    upstream: http://127.0.0.1:1/mcp
`
	_, err := Parse([]byte(anchored), env(nil))
	if err == nil || !strings.Contains(err.Error(), "line 5: x-defaults: unknown key") {
		t.Errorf("unknown key holding an anchor: %v", err)
	}
	merged := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity: {local: {users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]}}
servers:
  - {name: a, path: /a, upstream: "http://127.0.0.1:1/mcp", headers: &h {x-key: k}, timeout: &t 30s}
  - {name: b, path: /b, upstream: "http://127.0.0.1:2/mcp", headers: *h, timeout: *t}
`
	c, err := Parse([]byte(merged), env(nil))
	if err != nil || len(c.Backends) != 2 || c.Backends[1].Headers["x-key"] != "k" || c.Backends[1].Timeout.D() != 30*time.Second {
		t.Fatalf("aliases: %v %+v", err, c)
	}
	_, err = Parse([]byte(strings.Replace(merged, "path: /b", "path: [1]", 1)), env(nil))
	if err == nil || !strings.Contains(err.Error(), "line 7: servers[1].path: must be text, not a list") {
		t.Errorf("a wrong value next to an anchor: %v", err)
	}

	_, err = Parse([]byte("public_url: [unclosed\n"), env(nil))
	if err == nil || !strings.HasPrefix(err.Error(), "config: [") {
		t.Errorf("syntax error: %v", err)
	}
	_, err = Parse(nil, env(nil))
	var p *Problems
	if !errors.As(err, &p) || !strings.Contains(err.Error(), "public_url: required") {
		t.Errorf("empty file: %v", err)
	}
}

// FuzzParse: no input makes Parse panic or loop; every problem says
// something.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("servers: [{name: a, upstreem: x, timeout: [1]}]\ntokens: {access_token_ttl: 5x}\n"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\nd: {<<: *x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(data, env(nil))
		var p *Problems
		if errors.As(err, &p) {
			for _, e := range p.List {
				if e == nil || e.Error() == "" {
					t.Fatalf("empty problem in %v", p.List)
				}
			}
		}
	})
}
