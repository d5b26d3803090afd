package server

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/compose"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/openapi"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/stdio"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/options")

// goldenEnv fills the ${NAME}s of the configurations in testdata/options.
var goldenEnv = map[string]string{
	"KEY":               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	"OLD_KEY":           "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=",
	"HASH":              "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
	"BACKEND_KEY":       "backend-key",
	"CLIENT_SECRET":     "client-secret-0123456789",
	"PORTAL_SECRET":     "portal-secret-0123456789",
	"BATCH_SECRET":      "batch-secret-0123456789",
	"INTROSPECT_SECRET": "introspect-secret-0123456789",
	"BILLING_SECRET":    "billing-secret-0123456789",
	"STS_SECRET":        "sts-secret-0123456789",
}

func goldenConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data, func(k string) (string, bool) { v, ok := goldenEnv[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// goldenOptions are server Options as New completes them, with a fixed
// clock.
func goldenOptions() Options {
	return Options{
		Log:                slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:                func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) },
		IdentityHTTPClient: &http.Client{},
		TracerProvider:     telemetry.Off,
	}
}

// TestOptionsGolden renders every package's Options built from each
// configuration in testdata/options. The parts built by earlier stages
// are stand-ins of the right types: the files show which part goes where.
// Run with -update to rewrite them after an intended change.
func TestOptionsGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/options/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no configurations: %v", err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := renderAllOptions(t, goldenConfig(t, path))
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the Options built from %s differ from %s (run with -update if intended):\n%s", path, golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// renderAllOptions builds, from cfg, every Options the assembly hands to
// a package, and renders them one after the other.
func renderAllOptions(t *testing.T, cfg *config.Config) []byte {
	t.Helper()
	ctx, opt := context.Background(), goldenOptions()
	c := standInCore()
	var b strings.Builder
	section := func(title string, v any) { b.WriteString("# " + title + ":" + render(v) + "\n") }

	in, err := newSignIn(ctx, cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	switch cfg.Identity.Type {
	case "local":
		section("local users", localUsers(cfg))
	case "oidc":
		section("oidc.Options", oidcOptions(cfg, opt, nil))
	case "entra":
		section("oidc.EntraOptions", entraOptions(cfg, opt, nil))
	}
	vlt := newVault(cfg, opt, c, in.upstream)
	if vlt != nil {
		section("vault.Options", vaultOptions(cfg, opt, c, in.upstream))
	}
	creds, err := backendCredentials(ctx, cfg, opt, credParts{Keys: c.keys, Vault: vlt, Upstream: in.upstream})
	if err != nil {
		t.Fatal(err)
	}
	var md *cimd.Fetcher
	if *cfg.Registration.MetadataDocuments.Enabled {
		section("cimd.Options", metadataOptions(cfg, opt))
		md = &cimd.Fetcher{}
	}
	section("authserver.Options", authServerOptions(cfg, opt, c, in, vlt, md))
	policies, err := CompilePolicies(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handlers := map[string]http.Handler{}
	// Stand-ins for the OpenAPI documents: the admin API gets a reload
	// action for the servers that have one.
	apis := newOpenAPISources(opt, nil)
	for i := range cfg.Backends {
		if sv := &cfg.Backends[i]; len(sv.Command) > 0 {
			section("stdio.Options "+sv.Name, bridgeOptions(sv, opt))
			handlers[sv.Name] = &stdio.Bridge{}
		}
		if sv := &cfg.Backends[i]; sv.OpenAPI != nil {
			o, err := openAPIOptions(sv, opt, creds[sv.Name])
			if err != nil {
				t.Fatal(err)
			}
			section("openapi "+sv.Name, o)
			handlers[sv.Name] = http.NotFoundHandler()
			apis.add(sv.Name, "", sv.OpenAPI.Refresh.D(), &openapi.Server{})
		}
	}
	composed := composedServers{}
	for i := range cfg.Backends {
		if sv := &cfg.Backends[i]; sv.Compose != nil {
			var members []compose.Member
			for j := range sv.Compose {
				m := &sv.Compose[j]
				var h http.Handler
				if m.OpenAPI != nil || len(m.Command) > 0 {
					h = http.NotFoundHandler()
				}
				if m.OpenAPI != nil {
					apis.add(sv.Name, m.Name, m.OpenAPI.Refresh.D(), &openapi.Server{})
				}
				members = append(members, memberOptions(sv, m, opt, creds[memberKey(sv.Name, m.Name)], h))
			}
			section("compose.Options "+sv.Name, composeOptions(sv, opt, members, &composeObserver{}))
			handlers[sv.Name] = &compose.Server{}
			composed[sv.Name] = &compose.Server{}
		}
	}
	gw, err := gatewayOptions(cfg, opt, c, gatewayParts{Verifier: c.verifier, Policies: policies, Credentials: creds, Handlers: handlers, Pins: &pinning.Guard{}})
	if err != nil {
		t.Fatal(err)
	}
	section("gateway.Options", gw)
	section("admin.Options", adminOptions(cfg, opt, c, composed, apis))
	if consoleEnabled(cfg) {
		section("console.Options", consoleOptions(cfg, opt, c, &admin.API{}, &authserver.Server{}))
	}
	return []byte(b.String())
}

// standInCore has a part of the right type in every field; none is used.
func standInCore() core {
	return core{store: &sqlite.Store{}, ring: &tokens.Keyring{}, keys: &tokens.Keys{}, revoked: &tokens.RevocationList{},
		verifier: &tokens.Verifier{}, revoker: &revoke.Revoker{}, events: &audit.Recorder{}, metrics: &telemetry.Metrics{},
		limiter: ratelimit.NewMemory(time.Now)}
}

// lineDiff lists the lines that differ, with their line numbers.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}
