package server_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// composedConfig is a configuration whose only server, all, is composed
// of members (YAML list items under compose:).
func composedConfig(t *testing.T, members string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "${DIR}/db.sqlite"}}
encryption_keys: [{id: k1, key: "${ENC}"}]
identity: {type: local, local: {users: [{username: a, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
servers:
  - name: all
    path: /all/mcp
    compose:
` + members
	vars := map[string]string{"ENC": tokens.GenerateKey(), "DIR": dir}
	cfg, err := config.Parse([]byte(yaml), func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatalf("the configuration itself is valid: %v", err)
	}
	return cfg
}

// TestComposedServerStartRefusesClash: two members that would both show
// a name stop the start, with an error naming both, together with every
// other problem the members' lists show (an include naming nothing).
func TestComposedServerStartRefusesClash(t *testing.T) {
	a, b := startMember(t, "a", "search", "fetch"), startMember(t, "b", "search")
	cfg := composedConfig(t, fmt.Sprintf(`      - {name: alpha, upstream: %q}
      - {name: beta, upstream: %q, include: [search, serch]}
`, a.URL, b.URL))
	srv, err := server.New(context.Background(), cfg, server.Options{})
	if err == nil {
		_ = srv.Close()
		t.Fatal("server.New started a composed server whose members clash")
	}
	for _, want := range []string{
		`servers[0] (all): compose: members "alpha" and "beta" both show the tool "search"`,
		`member "beta": include "serch" names no tool or prompt`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// With a prefix the names are apart, and it starts.
	cfg = composedConfig(t, fmt.Sprintf(`      - {name: alpha, upstream: %q}
      - {name: beta, upstream: %q, prefix: beta_}
`, a.URL, b.URL))
	srv, err = server.New(context.Background(), cfg, server.Options{})
	if err != nil {
		t.Fatalf("prefixed members: %v", err)
	}
	_ = srv.Close()
}

// TestCheckComposedServer: drawbridge check reports every problem of a
// composed server at once: a clash naming both members, an include that
// names nothing, unreachable members (Streamable HTTP and SSE), an OpenAPI member whose document
// does not load and a credential that cannot be built.
func TestCheckComposedServer(t *testing.T) {
	a, b := startMember(t, "a", "search"), startMember(t, "b", "search")
	cfg := composedConfig(t, fmt.Sprintf(`      - {name: alpha, upstream: %q}
      - {name: beta, upstream: %q, include: [nothing_here]}
      - {name: gone, upstream: "http://127.0.0.1:1/mcp"}
      - {name: pets, openapi: {spec: %q, base_url: "https://api.example/v3"}}
`, a.URL, b.URL, filepath.Join(t.TempDir(), "missing.yaml")))
	errs := server.Check(context.Background(), cfg, nil)
	all := errors.Join(errs...).Error()
	for _, want := range []string{
		`servers[0].compose[3]: openapi:`, "missing.yaml",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("check lacks %q:\n%s", want, all)
		}
	}
	// The clash, the include and the unreachable member are found once the
	// OpenAPI member loads: check again without it.
	cfg = composedConfig(t, fmt.Sprintf(`      - {name: alpha, upstream: %q}
      - {name: beta, upstream: %q, include: [search, nothing_here]}
      - {name: gone, upstream: "http://127.0.0.1:1/mcp"}
      - {name: oldgone, upstream: "http://127.0.0.1:1/sse", transport: sse, prefix: o_}
      - name: sts
        upstream: %q
        prefix: s_
        auth: {mode: client_credentials, token_url: "http://127.0.0.1:1/token", client_id: x, client_secret: y}
`, a.URL, b.URL, a.URL))
	errs = server.Check(context.Background(), cfg, nil)
	all = errors.Join(errs...).Error()
	for _, want := range []string{
		`members "alpha" and "beta" both show the tool "search"`,
		`member "beta": include "nothing_here" names no tool or prompt`,
		`member "gone" is unreachable`,
		`member "oldgone" is unreachable`,
		`member "sts" is unreachable`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("check lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "secret") || strings.Contains(all, `"y"`) {
		t.Errorf("a secret in check's report:\n%s", all)
	}
}
