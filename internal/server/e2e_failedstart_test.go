package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// TestFailedStartClosesWhatItOpened: when a later stage of the build fails
// (an unusable client certificate for the identity provider, a policy that
// does not compile), what the earlier stages opened is closed again: no file
// of the data directory (the database, the audit file) stays open.
func TestFailedStartClosesWhatItOpened(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("needs /proc/self/fd to see open files")
	}
	local := `{type: local, local: {users: [{username: a, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}`
	for _, tc := range []struct{ name, identity, policy, want string }{
		{"identity provider certificate missing", `{type: oidc, oidc: {issuer: "https://idp.example.com", client_id: drawbridge,
			client_certificate: {cert_file: "${DIR}/missing.crt", key_file: "${DIR}/missing.key"}}}`, "", "missing.crt"},
		{"policy does not compile", local, `policy: {rules: [{name: broken, when: "request.name ==", effect: deny}]}`, "policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "${DIR}/db.sqlite"}}
encryption_keys: [{id: k1, key: "${ENC}"}]
audit: {file: "${DIR}/audit.log"}
rate_limits: {backend: redis, redis: {url: "redis://127.0.0.1:1/0"}}
identity: ` + tc.identity + `
servers:
  - name: snippets
    path: /mcp
    upstream: "http://127.0.0.1:7071/mcp"
    ` + tc.policy + `
`
			vars := map[string]string{"ENC": tokens.GenerateKey(), "DIR": dir}
			cfg, err := config.Parse([]byte(yaml), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
			if err != nil {
				t.Fatalf("the configuration itself is valid: %v", err)
			}
			srv, err := server.New(context.Background(), cfg, server.Options{})
			if err == nil {
				_ = srv.Close()
				t.Fatal("server.New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "audit.log")); err != nil {
				t.Fatalf("the audit file was not opened before the failing stage: %v", err)
			}
			for _, f := range openFilesUnder(t, dir) {
				t.Errorf("%s is still open after the failed start", f)
			}
		})
	}
}

// openFilesUnder lists the files under dir that this process has open.
func openFilesUnder(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			out = append(out, target)
		}
	}
	return out
}
