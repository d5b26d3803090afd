package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// drawbridge check reports every OpenAPI problem at once.
func TestCheckOpenAPI(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	colliding := filepath.Join(t.TempDir(), "colliding.yaml")
	if err := os.WriteFile(colliding, []byte(`
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /a: {get: {operationId: "list items", responses: {"200": {description: ok}}}}
  /b: {get: {operationId: "list/items", responses: {"200": {description: ok}}}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	api := func(name, spec string, include ...string) config.Backend {
		return config.Backend{Name: name, OpenAPI: &config.OpenAPI{Spec: spec, BaseURL: "https://api.example/v3", Include: include,
			Timeout: config.Duration(time.Second), MaxResponseBytes: 1024}}
	}
	cfg := &config.Config{PublicURL: "https://mcp.example.com", Backends: []config.Backend{
		api("ok", "../openapi/testdata/petstore3.yaml", "getPetById"),
		api("typo", "../openapi/testdata/petstore3.yaml", "getPetByID", "tag:pets"),
		api("missing", "/nonexistent/spec.yaml"),
		api("unreachable", gone.URL+"/openapi.json?key=secret-value"),
		api("collision", colliding),
		api("known", "/nonexistent/known.yaml"),
	}}
	cfg.Identity.Type = config.IdentityNone
	errs := Check(context.Background(), cfg, []error{errors.New("servers[5].openapi.base_url: bad")})
	got := errors.Join(errs...).Error()
	for _, want := range []string{
		`servers[1].openapi: "getPetByID" matches no operation of the document`,
		`"tag:pets" matches no operation of the document`,
		"servers[2].openapi: openapi document: open /nonexistent/spec.yaml: no such file or directory",
		"servers[3].openapi: openapi document " + gone.URL + "/openapi.json: HTTP 404",
		`servers[4].openapi: tool name "list_items" would name both GET /a and GET /b`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Check lacks %q:\n%s", want, got)
		}
	}
	if len(errs) != 4 || strings.Contains(got, "servers[0]") || strings.Contains(got, "known.yaml") || strings.Contains(got, "secret-value") {
		t.Errorf("Check = %d problems:\n%s", len(errs), got)
	}
}
