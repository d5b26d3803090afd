package config

import (
	"testing"
	"time"
)

// TestDefaultsKeepWhatIsSet: a default fills only what the file leaves
// out, and the values whose zero means something (0s, [], false) keep it.
func TestDefaultsKeepWhatIsSet(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		check      func(*Config) bool
	}{
		{"key rotation 0s stays manual", "tokens: {key_rotation: 0s}\n",
			func(c *Config) bool { return c.Tokens.KeyRotation.D() == 0 }},
		{"refresh reuse grace 0s stays off", "tokens: {refresh_reuse_grace: 0s}\n",
			func(c *Config) bool { return c.Tokens.RefreshReuseGrace.D() == 0 }},
		{"an empty redact list records arguments as they are", "audit: {redact_keys: []}\n",
			func(c *Config) bool { return c.Audit.RedactKeys != nil && len(c.Audit.RedactKeys) == 0 }},
		{"audit store false stays off", "audit: {store: false}\n",
			func(c *Config) bool { return !*c.Audit.Store }},
		{"console can be turned off", "console: {enabled: false}\n",
			func(c *Config) bool { return !*c.Console.Enabled }},
		{"a rate rule's burst is its rate rounded up", "rate_limits: {rules: [{name: r, rate: 2.5}]}\n",
			func(c *Config) bool {
				r := c.RateLimits.Rules[0]
				return r.Burst == 3 && r.Every.D() == time.Minute
			}},
		{"a rate rule keeps its burst", "rate_limits: {rules: [{name: r, rate: 2, burst: 10, every: 1s}]}\n",
			func(c *Config) bool {
				r := c.RateLimits.Rules[0]
				return r.Burst == 10 && r.Every.D() == time.Second
			}},
		{"a negative auth limit stays off", "rate_limits: {auth: {token_per_minute: -1}}\n",
			func(c *Config) bool {
				return c.RateLimits.Auth.TokenPerMinute == -1 && c.RateLimits.Auth.LoginPerMinute == 20
			}},
		{"a public client authenticates with none", "clients: [{id: app, redirect_uris: [\"https://app.example.com/cb\"]}]\n",
			func(c *Config) bool { return c.Clients[0].TokenEndpointAuthMethod == "none" }},
		{"a stdio server keeps its limits", "  - {name: t, path: /t, command: [/bin/cat], stdio: {mode: shared, max_sessions: 3, idle_timeout: -1s}}\n",
			func(c *Config) bool {
				s := c.Backends[1].Stdio
				return s.Mode == "shared" && s.MaxSessions == 3 && s.IdleTimeout.D() == -time.Second
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(minimal+tc.yaml), env(map[string]string{"KEY": "k"}))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("not kept: %s", tc.yaml)
			}
		})
	}
}

// TestServerDefaultsByKind: what a server gets depends on its kind.
func TestServerDefaultsByKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Backend
		want Backend
	}{
		{"url", Backend{Name: "a", Upstream: "http://x/mcp"},
			Backend{Title: "a", Transport: "streamable-http", Auth: BackendAuth{Mode: "none"}}},
		{"command", Backend{Name: "b", Command: []string{"/bin/cat"}},
			Backend{Title: "b", Transport: "stdio", Stdio: Stdio{Mode: "per-session", MaxSessions: 100, IdleTimeout: Duration(30 * time.Minute)}, Auth: BackendAuth{Mode: "none"}}},
		{"identity assertion", Backend{Name: "c", Title: "C", Auth: BackendAuth{Mode: "identity_assertion"}},
			Backend{Title: "C", Transport: "streamable-http", Auth: BackendAuth{Mode: "identity_assertion", Header: "Authorization", TTL: Duration(time.Minute)}}},
		{"sse keeps its transport", Backend{Name: "d", Transport: "sse", Auth: BackendAuth{Mode: "headers"}},
			Backend{Title: "d", Transport: "sse", Auth: BackendAuth{Mode: "headers"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.in
			b.applyDefaults()
			w := tc.want
			if b.Title != w.Title || b.Transport != w.Transport || b.Stdio != w.Stdio ||
				b.Auth.Mode != w.Auth.Mode || b.Auth.Header != w.Auth.Header || b.Auth.TTL != w.Auth.TTL {
				t.Errorf("got title %q transport %q stdio %+v auth %s/%q/%s", b.Title, b.Transport, b.Stdio, b.Auth.Mode, b.Auth.Header, b.Auth.TTL.D())
			}
			if b.Timeout.D() != DefaultServerTimeout || b.MaxRequestBytes != DefaultMaxRequestBytes || b.KeepAlive.D() != DefaultKeepAlive {
				t.Errorf("timeout %s, max_request_bytes %d, keepalive %s", b.Timeout.D(), b.MaxRequestBytes, b.KeepAlive.D())
			}
		})
	}
}
