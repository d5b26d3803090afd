package server

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// assembleConfig is a configuration with a store, an audit file and a
// Redis client to open, and a stdio server; extra adds a server or
// replaces identity.
func assembleConfig(t *testing.T, identity, extra string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "${DIR}/db.sqlite"}}
encryption_keys: [{id: k1, key: "${ENC}"}]
audit: {file: "${DIR}/audit.log"}
rate_limits: {backend: redis, redis: {url: "redis://127.0.0.1:1/0"}}
identity: ` + identity + `
servers:
  - {name: tools, path: /tools, command: ["${EXE}"]}
` + extra
	vars := map[string]string{"ENC": tokens.GenerateKey(), "DIR": dir, "EXE": exe}
	cfg, err := config.Parse([]byte(yaml), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatalf("the configuration itself is valid: %v", err)
	}
	return cfg
}

const localIdentity = `{type: local, local: {users: [{username: a, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}`

// TestFailedStageLeavesEarlierPartsToClose: whichever stage fails, what the
// stages before it opened is in the cleanup, and nothing else.
func TestFailedStageLeavesEarlierPartsToClose(t *testing.T) {
	core := []string{"redis client", "audit recorder", "audit file", "store"}
	for _, tc := range []struct{ name, identity, extra, want string }{
		{"identity provider certificate", `{type: oidc, oidc: {issuer: "https://idp.example.com", client_id: drawbridge,
			client_certificate: {cert_file: /nonexistent/idp.crt, key_file: /nonexistent/idp.key}}}`, "", "idp.crt"},
		{"backend header file", localIdentity,
			"  - {name: api, path: /api, upstream: \"http://127.0.0.1:9/mcp\", auth: {mode: headers, header_files: {x-key: /nonexistent/key}}}\n", "/nonexistent/key"},
		{"policy", localIdentity,
			"  - {name: api, path: /api, upstream: \"http://127.0.0.1:9/mcp\", policy: {rules: [{name: r, when: 'request.name ==', effect: deny}]}}\n", "policy"},
		{"stdio command", localIdentity,
			"  - {name: gone, path: /gone, command: [/nonexistent/mcp-server]}\n", "/nonexistent/mcp-server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := &cleanup{}
			_, err := assemble(context.Background(), assembleConfig(t, tc.identity, tc.extra), goldenOptions(), open)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("assemble: %v, want an error about %q", err, tc.want)
			}
			if got := open.names(); !slices.Equal(got, core) {
				t.Errorf("left to close %v, want %v", got, core)
			}
			if err := open.close(); err != nil {
				t.Errorf("closing: %v", err)
			}
		})
	}
}

// TestCloseOrder: a built server closes the stdio bridges and writes the
// last uses of grants first, then the Redis client, the audit trail and its
// file, and the store last.
func TestCloseOrder(t *testing.T) {
	s, err := New(context.Background(), assembleConfig(t, localIdentity, ""), goldenOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"grant last-use tracker", "stdio bridges", "redis client", "audit recorder", "audit file", "store"}
	if got := s.open.names(); !slices.Equal(got, want) {
		t.Errorf("Close will close %v, want %v", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Store().Ping(context.Background()); err == nil {
		t.Error("the store still answers after Close")
	}
}
