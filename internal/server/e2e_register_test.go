package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

func TestDynamicRegistration(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	tests := []struct {
		name   string
		md     map[string]any
		status int
		err    string
	}{
		{"public native client", map[string]any{"redirect_uris": []string{"http://127.0.0.1:1234/cb"}, "token_endpoint_auth_method": "none"}, 201, ""},
		{"confidential web client", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}}, 201, ""},
		{"no redirect URIs", map[string]any{"client_name": "x"}, 400, "invalid_redirect_uri"},
		{"javascript redirect", map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}, 400, "invalid_redirect_uri"},
		{"plain http to a remote host", map[string]any{"redirect_uris": []string{"http://app.example.com/cb"}}, 400, "invalid_redirect_uri"},
		{"fragment", map[string]any{"redirect_uris": []string{"https://app.example.com/cb#x"}}, 400, "invalid_redirect_uri"},
		{"wildcard", map[string]any{"redirect_uris": []string{"https://*.example.com/cb"}}, 400, "invalid_redirect_uri"},
		{"implicit grant", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}, "grant_types": []string{"implicit"}}, 400, "invalid_client_metadata"},
		{"unknown auth method", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}, "token_endpoint_auth_method": "private_key_jwt"}, 400, "invalid_client_metadata"},
		{"bad scope", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}, "scope": "a\"b"}, 400, "invalid_client_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := gwtest.PostJSON(t, gw.URL+"/register", tt.md)
			if status != tt.status || (tt.err != "" && body["error"] != tt.err) {
				t.Fatalf("%d %v", status, body)
			}
			if status != 201 {
				return
			}
			if body["client_id"] == "" || body["redirect_uris"] == nil || body["application_type"] == nil {
				t.Errorf("registration response lacks metadata: %v", body)
			}
			_, hasSecret := body["client_secret"]
			if hasSecret != (tt.md["token_endpoint_auth_method"] != "none") {
				t.Errorf("client_secret present=%v for %v", hasSecret, tt.md["token_endpoint_auth_method"])
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		resp, err := http.Post(gw.URL+"/register", "application/json", strings.NewReader("{"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if body := gwtest.DecodeBody(t, resp); resp.StatusCode != 400 || body["error"] != "invalid_client_metadata" {
			t.Fatalf("%d %v", resp.StatusCode, body)
		}
	})
}

// TestConfidentialClient: a registered client_secret_basic client must
// authenticate at the token endpoint.
func TestConfidentialClient(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, map[string]any{"token_endpoint_auth_method": "client_secret_basic"})
	if c.Secret == "" {
		t.Fatal("no secret issued")
	}
	v := gwtest.NewVerifier()
	code := c.Code(v, gwtest.User)
	secret := c.Secret
	c.Secret = "wrong"
	if status, body := c.Redeem(code, v); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", status, body)
	}
	c.Secret = secret
	code = c.Code(v, gwtest.User)
	if status, body := c.Redeem(code, v); status != http.StatusOK {
		t.Fatalf("right secret: %d %v", status, body)
	}
}

func TestRegistrationRateLimit(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "registration: {per_address_per_hour: 3}\n"})
	md := map[string]any{"redirect_uris": []string{"http://127.0.0.1:1/cb"}, "token_endpoint_auth_method": "none"}
	for i := range 3 {
		if status, body := gwtest.PostJSON(t, gw.URL+"/register", md); status != 201 {
			t.Fatalf("registration %d: %d %v", i, status, body)
		}
	}
	b, _ := json.Marshal(md)
	resp, err := http.Post(gw.URL+"/register", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth registration: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// The window passes (injected clock): registrations work again.
	gw.Clock.Advance(time.Hour)
	if status, _ := gwtest.PostJSON(t, gw.URL+"/register", md); status != 201 {
		t.Fatalf("after the window: %d", status)
	}
}

func TestScopeCatalogueOnConsentPage(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "scopes:\n  - {name: snippets, description: Read and save your code snippets}\n"})
	c := gwtest.RegisterClient(t, gw, nil)
	p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
	if err != nil {
		t.Fatal(err)
	}
	f := p.HiddenFields()
	f.Set("username", gwtest.User)
	f.Set("password", gwtest.Password)
	p, err = c.Browser.Submit(p, "/login", f)
	if err != nil || p.Path() != "/consent" {
		t.Fatalf("%v %s", err, p.Path())
	}
	if !p.Has("Read and save your code snippets") || !p.Has("127.0.0.1:43211") || !p.Has("unverified name") {
		t.Fatalf("consent page lacks the scope description, redirect host or unverified marker:\n%s", p.Body)
	}
}
