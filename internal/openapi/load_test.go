package openapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoadURL(t *testing.T) {
	spec, err := os.ReadFile("testdata/petstore3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/openapi.yaml":
			_, _ = w.Write(spec)
		case "/moved":
			http.Redirect(w, r, "/openapi.yaml", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	hc := &http.Client{Timeout: 5 * time.Second}
	doc, err := Load(context.Background(), Source{Spec: srv.URL + "/openapi.yaml", MaxBytes: 1 << 20, HTTPClient: hc})
	if err != nil || doc.Info.Title != "Swagger Petstore - OpenAPI 3.0" {
		t.Fatalf("Load = %v, %v", doc, err)
	}
	// A redirect is not followed; the configured URL is the document.
	if _, err := Load(context.Background(), Source{Spec: srv.URL + "/moved?token=secret", MaxBytes: 1 << 20, HTTPClient: hc}); err == nil ||
		err.Error() != "openapi document "+srv.URL+"/moved: HTTP 302" {
		t.Errorf("redirect: %v", err)
	}
	if _, err := Load(context.Background(), Source{Spec: srv.URL + "/openapi.yaml", MaxBytes: 1000, HTTPClient: hc}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size cap: %v", err)
	}
}

func TestLoadRefusesExternalRefsAndOtherVersions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("secret.yaml", "type: object\n")
	ext := write("ext.yaml", `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: a
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "secret.yaml"}}}}}
`)
	if _, err := Load(context.Background(), Source{Spec: ext, MaxBytes: 1 << 20}); err == nil || !strings.Contains(err.Error(), "secret.yaml") {
		t.Errorf("external $ref: %v", err)
	}
	v2 := write("v2.yaml", "swagger: \"2.0\"\ninfo: {title: t, version: \"1\"}\npaths: {}\n")
	if _, err := Load(context.Background(), Source{Spec: v2, MaxBytes: 1 << 20}); err == nil {
		t.Error("a Swagger 2.0 document was accepted")
	}
}

// A URL's query and user information can carry a key: no error about the
// document names them, whether the fetch or the parse failed.
func TestLoadErrorsLeaveOutURLSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken.yaml":
			_, _ = w.Write([]byte("openapi: 3.0.3\ninfo: [not, an, object]\n"))
		case "/v2.yaml":
			_, _ = w.Write([]byte("swagger: \"2.0\"\ninfo: {title: t, version: \"1\"}\npaths: {}\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	hc := &http.Client{Timeout: 5 * time.Second}
	goneUser := strings.Replace(gone.URL, "http://", "http://u:pw-secret@", 1)
	user := strings.Replace(srv.URL, "http://", "http://u:pw-secret@", 1)
	for _, c := range []struct{ spec, want string }{
		{user + "/broken.yaml?key=q-secret", "openapi document " + srv.URL + "/broken.yaml: "},
		{user + "/v2.yaml?key=q-secret", "openapi document " + srv.URL + `/v2.yaml: version "" is not OpenAPI 3`},
		{user + "/missing.yaml?key=q-secret", "openapi document " + srv.URL + "/missing.yaml: HTTP 404"},
		{goneUser + "/openapi.yaml?key=q-secret", "openapi document " + gone.URL + "/openapi.yaml: "},
	} {
		_, err := Load(context.Background(), Source{Spec: c.spec, MaxBytes: 1 << 20, HTTPClient: hc})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("Load(%s) = %v, want an error starting %q without the secrets", c.spec, err, c.want)
		}
	}
}
