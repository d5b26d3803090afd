package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckReportsEveryKindOfProblem: one pass reports a configuration
// problem, a policy that does not compile, and what the server would fail
// to load (a backend's header file, the identity provider's client
// certificate) together, each once.
func TestCheckReportsEveryKindOfProblem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "drawbridge.yaml")
	os.WriteFile(path, []byte(`public_url: https://mcp.example.com
log: {level: loud}
encryption_keys: [{id: k1, key: "`+generateKey()+`"}]
identity:
  type: oidc
  oidc:
    issuer: https://idp.example.com
    client_id: drawbridge
    client_certificate: {cert_file: `+dir+`/idp.crt, key_file: `+dir+`/idp.key}
servers:
  - name: snippets
    path: /mcp
    upstream: http://127.0.0.1:7071/mcp
    policy:
      rules: [{name: broken, when: 'request.name ==', effect: deny}]
  - name: billing
    path: /billing
    upstream: http://127.0.0.1:7072/mcp
    auth: {mode: headers, header_files: {x-api-key: `+dir+`/billing.key}}
  - name: reports
    path: /reports
    upstream: http://127.0.0.1:7073/mcp
    auth: {mode: headers, header_files: {x-api-key: ""}}
`), 0o600)
	var out, errOut syncBuffer
	code := run(context.Background(), []string{"check", "--config", path}, &out, &errOut)
	if code != 1 || out.String() != "" {
		t.Fatalf("exit %d, stdout %q", code, out.String())
	}
	got := errOut.String()
	for _, want := range []string{
		"config has 5 problem(s):",
		`log.level: "loud" is not one of debug, info, warn, error`,
		"servers[2].auth.header_files.x-api-key: a file path is required",
		"servers[0].policy",
		"identity.oidc.client_certificate: ",
		"servers[1].auth: header x-api-key: open " + dir + "/billing.key: no such file",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check did not report %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "servers[2]"); n != 1 {
		t.Errorf("servers[2] is reported %d times; its auth section's problem once is enough:\n%s", n, got)
	}
}
