package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const minimal = `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity:
  local:
    users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]
servers:
  - name: snippets
    path: /mcp
    upstream: http://127.0.0.1:7071/mcp
    headers: {x-functions-key: "${KEY}"}
`

func TestParseMinimalAppliesDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal), env(map[string]string{"KEY": "s3cr$t"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != DefaultListen || c.Storage.Type != "sqlite" || c.Identity.Type != "local" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.Tokens.AccessTokenTTL.D() != time.Hour || c.Tokens.RefreshReuseGrace.D() != 30*time.Second {
		t.Errorf("token defaults: %+v", c.Tokens)
	}
	if c.Identity.OIDC.BackChannelLogout == nil || !*c.Identity.OIDC.BackChannelLogout {
		t.Error("back-channel logout is not on by default")
	}
	if got := c.Backends[0].Headers["x-functions-key"]; got != "s3cr$t" {
		t.Errorf("header not expanded: %q", got)
	}
	if c.Identity.Local.Users[0].PasswordHash != "$2a$10$abcdefghijklmnopqrstuv" {
		t.Error("a bcrypt hash was mangled by env expansion")
	}
	if got := c.ResourceURL(&c.Backends[0]); got != "http://127.0.0.1:8080/mcp" {
		t.Errorf("ResourceURL = %q", got)
	}
	if got := c.ResourceMetadataURL(&c.Backends[0]); got != "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("ResourceMetadataURL = %q", got)
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	bad := `
public_url: http://mcp.example.com/base
listen: nonsense
log: {level: loud}
metrics: {pprof: true}
encryption_keys: [{id: k1, key: short}, {id: k1, key: short}]
identity:
  type: entra
tokens: {access_token_ttl: 48h, code_ttl: 1h}
clients:
  - id: c
    redirect_uris: ["javascript:alert(1)"]
  - id: d
    redirect_uris: ["https://d.example;script-src/cb"]
servers:
  - name: Snippets!
    path: /token
    upstream: not-a-url
  - name: b
    path: mcp
    upstream: http://x/mcp
    headers: {"bad header": "${MISSING}"}
`
	_, err := Parse([]byte(bad), env(nil))
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want *Problems, got %v", err)
	}
	want := []string{
		"public_url", "listen", "log.level", "metrics.pprof: needs metrics.listen", "encryption_keys[0].key", "encryption_keys[1].id",
		"identity.entra.tenant_id: must be", "identity.entra.client_id", "identity.entra.client_secret",
		"tokens.access_token_ttl", "tokens.code_ttl", "clients[0].redirect_uris[0]", "clients[1].redirect_uris[0]",
		"servers[0].name", "servers[0].path", "servers[0].upstream", "servers[1].path",
		`servers[1].headers: "bad header"`, "servers[1].headers.bad header: environment variable MISSING is not set",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("problem with %q not reported in:\n%s", w, msg)
		}
	}
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	_, err := Parse([]byte(minimal+"\npublic_ulr: x\n"), env(map[string]string{"KEY": "k"}))
	if err == nil || !strings.Contains(err.Error(), "public_ulr") {
		t.Fatalf("unknown key not reported: %v", err)
	}
}

func TestExpand(t *testing.T) {
	lookup := env(map[string]string{"A": "1", "B_2": "two"})
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "1", ""},
		{"x${A}y${B_2}z", "x1ytwoz", ""},
		{"$${A}", "${A}", ""},
		{"$2a$10$abc", "$2a$10$abc", ""},
		{"${A", "", "unterminated"},
		{"${1A}", "", "not a valid"},
		{"${NOPE}", "", "NOPE is not set"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, lookup)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestReservedPaths(t *testing.T) {
	for p, want := range map[string]bool{
		"/token": true, "/token/x": true, "/tokenizer/mcp": false, "/.well-known/x": true,
		"/.well-known": true, "/mcp": false, "/servers/a/mcp": false, "/login": true,
		"/backchannel-logout": true,
	} {
		if got := IsReservedPath(p); got != want {
			t.Errorf("IsReservedPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "drawbridge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"DRAWBRIDGE_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"ENTRA_TENANT_ID":           "72f988bf-86f1-41af-91ab-2d7cd011db47", "ENTRA_CLIENT_ID": "c", "ENTRA_CLIENT_SECRET": "s",
		"INTERNAL_AGENT_SECRET": "x-very-long-secret-value", "SNIPPETS_KEY": "k",
	}
	if _, err := Parse(data, env(vars)); err != nil {
		t.Fatal(err)
	}
}

func TestBackChannelLogoutCanBeTurnedOff(t *testing.T) {
	conf := strings.Replace(minimal, "identity:\n  local:", `identity:
  oidc: {back_channel_logout: false}
  local:`, 1)
	c, err := Parse([]byte(conf), env(map[string]string{"KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Identity.OIDC.BackChannelLogout == nil || *c.Identity.OIDC.BackChannelLogout {
		t.Error("identity.oidc.back_channel_logout: false was not kept")
	}
}

func TestLockoutSettings(t *testing.T) {
	c, err := Parse([]byte(minimal), env(map[string]string{"KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.RateLimits.Lockout; l.After != 5 || l.AddressAfter != 20 || l.Base.D() != time.Minute || l.Max.D() != time.Hour || l.DeviceTTL.D() != 720*time.Hour {
		t.Errorf("lockout defaults: %+v", l)
	}
	// docs/policy.md shows the defaults.
	doc, err := os.ReadFile("../../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(doc), "<!-- test: lockout -->\n```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	if !strings.Contains(block, "lockout:") {
		t.Fatal("docs/policy.md has no lockout block")
	}
	d, err := Parse([]byte(minimal+block), env(map[string]string{"KEY": "k"}))
	if err != nil || d.RateLimits.Lockout != c.RateLimits.Lockout {
		t.Errorf("the documented lockout block (%v) differs from the defaults: %+v", err, d.RateLimits.Lockout)
	}
	off := minimal + "rate_limits: {lockout: {address_after: -1, device_ttl: -1s}}\n"
	if c, err := Parse([]byte(off), env(map[string]string{"KEY": "k"})); err != nil || c.RateLimits.Lockout.DeviceTTL.D() >= 0 || c.RateLimits.Lockout.AddressAfter >= 0 {
		t.Errorf("turning the address count and device cookies off: %v", err)
	}
	bad := minimal + "rate_limits: {lockout: {base: 2h, max: 1h, device_ttl: 30s}}\n"
	_, err = Parse([]byte(bad), env(map[string]string{"KEY": "k"}))
	for _, w := range []string{"rate_limits.lockout.max", "rate_limits.lockout.device_ttl"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("problem with %s not reported: %v", w, err)
		}
	}
}

func TestMetadataDocumentLimits(t *testing.T) {
	ok := minimal + "registration: {metadata_documents: {failure_ttl: 2m, host_fetches: 10, host_window: 30s, host_concurrency: -1}}\n"
	c, err := Parse([]byte(ok), env(map[string]string{"KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	if md := c.Registration.MetadataDocuments; md.FailureTTL.D() != 2*time.Minute || md.HostFetches != 10 || md.HostWindow.D() != 30*time.Second || md.HostConcurrency != -1 {
		t.Errorf("read %+v", md)
	}
	bad := minimal + "registration: {metadata_documents: {failure_ttl: 1h, host_window: -1s}}\n"
	_, err = Parse([]byte(bad), env(map[string]string{"KEY": "k"}))
	for _, w := range []string{"metadata_documents.failure_ttl", "metadata_documents.host_window"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("problem with %s not reported: %v", w, err)
		}
	}
}

// TestKeepAliveDefault: every server, URL or command, gets the documented
// 25s keep-alive unless it sets one; -1s turns it off.
func TestKeepAliveDefault(t *testing.T) {
	c, err := Parse([]byte(minimal+`
  - {name: tools, path: /tools, command: [/bin/cat]}
  - {name: quiet, path: /quiet, command: [/bin/cat], keepalive: -1s}
  - {name: slow, path: /slow, upstream: "http://127.0.0.1:7072/mcp", keepalive: 50s}
`), env(map[string]string{"KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Duration{25 * time.Second, 25 * time.Second, -time.Second, 50 * time.Second} {
		if got := c.Backends[i].KeepAlive.D(); got != want {
			t.Errorf("servers[%d] (%s).keepalive = %s, want %s", i, c.Backends[i].Name, got, want)
		}
	}
}
