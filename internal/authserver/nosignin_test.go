package authserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
)

// machineServer is an authorization server where nobody signs in: no
// identity provider, one machine client.
func machineServer(t *testing.T) (*Server, *http.ServeMux) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir()+"/db.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(Options{
		Issuer: "https://mcp.example.com", Store: st,
		Resources: []Resource{{URL: "https://mcp.example.com/mcp", Title: "Snippets", Scopes: []string{"snippets"}}},
		Clients: []ConfigClient{{ID: "nightly-report", Secret: "a-long-enough-client-secret", AuthMethod: authSecretBasic,
			GrantTypes: []string{grantClientCredentials}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	return s, mux
}

// TestNoSignInMetadata: with nobody to sign in, the metadata advertises the
// client_credentials grant only: no authorization endpoint, no response
// type, no registration, no metadata documents, no offline_access. PKCE
// stays listed, as MCP clients refuse metadata without it (the Go SDK does,
// for client credentials too).
func TestNoSignInMetadata(t *testing.T) {
	_, mux := machineServer(t)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil || rec.Code != 200 {
		t.Fatalf("%d %v", rec.Code, err)
	}
	golden(t, "as-metadata-no-sign-in.json", pretty.Bytes())
}

// TestNoSignInAuthorize: /authorize, and the sign-in pages behind it,
// answer 404 with a page that says why; nothing is redirected anywhere,
// whatever the request names.
func TestNoSignInAuthorize(t *testing.T) {
	_, mux := machineServer(t)
	q := url.Values{"response_type": {"code"}, "client_id": {"nightly-report"}, "redirect_uri": {"https://evil.example/cb"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}, "state": {"s"}}
	for _, target := range []string{"/authorize?" + q.Encode(), "/authorize", "/login?req=x", "/callback?state=x.y", "/consent?req=x"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusNotFound || rec.Header().Get("Location") != "" {
			t.Errorf("%s: %d, Location %q; want 404 and no redirect", target, rec.Code, rec.Header().Get("Location"))
		}
		if strings.HasPrefix(target, "/authorize") && !strings.Contains(rec.Body.String(), "This server signs nobody in") {
			t.Errorf("%s: the page does not say why:\n%s", target, rec.Body.String())
		}
	}
}

// TestAtMostOneIdentityProvider: a password provider and a redirect
// provider at once is a wiring mistake.
func TestAtMostOneIdentityProvider(t *testing.T) {
	p, _ := local.New("local", nil)
	_, err := New(Options{Issuer: "https://x", Password: p, Redirect: fakeRedirect{},
		Resources: []Resource{{URL: "https://x/mcp"}}})
	if err == nil {
		t.Fatal("two identity providers accepted")
	}
}

type fakeRedirect struct{}

func (fakeRedirect) Name() string { return "fake" }
func (fakeRedirect) AuthCodeURL(context.Context, string, string, string) (string, error) {
	return "", nil
}
func (fakeRedirect) Exchange(context.Context, string, string, string) (*identity.Result, error) {
	return nil, nil
}
