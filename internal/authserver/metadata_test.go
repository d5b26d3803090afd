package authserver

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func testServer(t *testing.T) *Server {
	t.Helper()
	p, err := local.New("local", []local.User{{Username: "u", PasswordHash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{
		Issuer: "https://mcp.example.com", Password: p, DynamicRegistration: true,
		Resources: []Resource{{URL: "https://mcp.example.com/mcp", Title: "Snippets", Scopes: []string{"snippets"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMetadataGolden(t *testing.T) {
	s := testServer(t)
	mux := http.NewServeMux()
	s.Routes(mux)
	var docs [2][]byte
	for i, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %v", path, rec.Code, rec.Header())
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		docs[i] = pretty.Bytes()
	}
	if !bytes.Equal(docs[0], docs[1]) {
		t.Error("the OIDC discovery alias differs from the RFC 8414 document")
	}
	golden(t, "as-metadata.json", docs[0])
}

func TestErrorBodyGolden(t *testing.T) {
	rec := httptest.NewRecorder()
	oauth.WriteJSON(rec, oauth.NewError(oauth.ErrInvalidGrant, "the authorization code is invalid or expired"))
	if rec.Code != 400 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	golden(t, "error-invalid-grant.json", rec.Body.Bytes())
}

func TestRedirectKeepsClientQuery(t *testing.T) {
	rec := httptest.NewRecorder()
	b := &redirect{uri: "https://app.example/cb?tenant=a&x=1", state: "s t", iss: "https://mcp.example.com"}
	b.error(rec, httptest.NewRequest(http.MethodGet, "/authorize", nil), oauth.NewError(oauth.ErrAccessDenied, "no"))
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if loc.Host != "app.example" || q.Get("tenant") != "a" || q.Get("x") != "1" || q.Get("state") != "s t" ||
		q.Get("iss") != "https://mcp.example.com" || q.Get("error") != "access_denied" || q.Get("error_description") != "no" {
		t.Fatalf("Location = %s", loc)
	}
}
