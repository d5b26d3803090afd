package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestDocsVirtualServer runs the worked configuration of
// docs/virtual-servers.md as written (its rate limit included), against
// local stand-ins for the issue tracker, the wiki, the token endpoint and
// the Petstore, and checks what the page says clients see.
func TestDocsVirtualServer(t *testing.T) {
	spec, err := os.ReadFile("../openapi/testdata/petstore3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	api := &petstoreAPI{pets: map[string]map[string]any{"7": {"id": 7, "name": "Tom"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/openapi.json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(spec) })
	mux.Handle("/", api)
	petstore := httptest.NewServer(mux)
	t.Cleanup(petstore.Close)
	issues := startMember(t, "issues", "list", "get", "delete_all")
	wiki := startMember(t, "wiki", "search", "page", "admin_reset")
	sts := ccTokenServer(t, "drawbridge", "issues-secret", "issues-token")
	gw := gwtest.Start(t, gwtest.Options{
		ExtraYAML: docBlock(t, "virtual-servers.md", "workspace") + docBlock(t, "virtual-servers.md", "workspace-limits"),
		Env: map[string]string{"ISSUES_MCP_URL": issues.URL, "ISSUES_TOKEN_URL": sts.URL, "ISSUES_CLIENT_SECRET": "issues-secret",
			"WIKI_MCP_URL": wiki.URL, "WIKI_KEY": "wiki-key", "PETSTORE_API_KEY": "pk-123"},
		Transport: toHost{"petstore3.swagger.io", petstore.Listener.Addr().String()}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs := connectSDKVersion(t, ctx, gw.URL+"/workspace/mcp", "", browser.New(gw.URL))
	if got := strings.Join(toolNames(t, ctx, cs), ","); got != "issues_get,issues_list,page,pets_findPetsByStatus,pets_getPetById,wiki_search" {
		t.Fatalf("tools = %s", got)
	}
	for _, tc := range []struct{ tool, want string }{{"wiki_search", "wiki:search:x"}, {"issues_list", "issues:list:x"}} {
		if got, err := callText(t, ctx, cs, tc.tool, map[string]any{"query": "x"}); err != nil || got != tc.want {
			t.Errorf("%s = %q, %v", tc.tool, got, err)
		}
	}
	if _, err := callText(t, ctx, cs, "issues_delete_all", nil); err == nil {
		t.Error("issues_delete_all went through the policy")
	}
	if authz, _, _, _ := issues.seen(); len(authz) == 0 || authz[len(authz)-1] != "Bearer issues-token" {
		t.Errorf("the issue tracker got Authorization %q", authz)
	}
	if _, keys, _, _ := wiki.seen(); len(keys) == 0 || keys[len(keys)-1] != "wiki-key" {
		t.Errorf("the wiki got X-Api-Key %q", keys)
	}
	if r := gw.Cfg.RateLimits.Rules; len(r) != 1 || r[0].Servers[0] != "workspace" || r[0].Tools[0] != "wiki_search" {
		t.Errorf("the documented rate limit: %+v", r)
	}
}

// TestDocsLegacyMember runs docs/virtual-servers.md's composed server with
// a 2024-11-05 HTTP+SSE member as written, against a real SSE server: its
// tools are listed and called, with the member's credential and the
// caller's identity.
func TestDocsLegacyMember(t *testing.T) {
	tickets := startMember(t, "tickets", "open")
	legacy := startSSEMember(t, "lookup")
	gw := gwtest.Start(t, gwtest.Options{
		ExtraYAML: docBlock(t, "virtual-servers.md", "legacy-member"),
		Env:       map[string]string{"TICKETS_MCP_URL": tickets.URL, "LEGACY_SSE_URL": legacy.URL, "LEGACY_TOKEN": "legacy-secret"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs := connectSDKVersion(t, ctx, gw.URL+"/tools/mcp", "", browser.New(gw.URL))
	if got := strings.Join(toolNames(t, ctx, cs), ","); got != "legacy_lookup,open" {
		t.Fatalf("tools = %s", got)
	}
	if got, err := callText(t, ctx, cs, "legacy_lookup", map[string]any{"query": "q"}); err != nil || got != "legacy:lookup:q" {
		t.Errorf("legacy_lookup = %q, %v", got, err)
	}
	seen := legacy.seen()
	if len(seen) == 0 {
		t.Fatal("the SSE member got nothing")
	}
	named := false
	for _, h := range seen {
		if h.Get("Authorization") != "Bearer legacy-secret" {
			t.Errorf("the SSE member got Authorization %q", h.Get("Authorization"))
		}
		named = named || h.Get("X-Drawbridge-Subject") != ""
	}
	if !named {
		t.Error("no request named the caller")
	}
}
