package authserver

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

func TestNormalizeClientMetadata(t *testing.T) {
	s := testServer(t)
	tests := []struct {
		doc  string
		want string // error code, or "" for accepted
	}{
		{`{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none"}`, ""},
		{`{"redirect_uris":["http://127.0.0.1:9/cb"],"application_type":"web"}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://app.example/cb"],"application_type":"native"}`, ""},
		{`{"redirect_uris":["com.example.app:/cb"],"application_type":"native"}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://app.example/cb"],"application_type":"desktop"}`, oauth.ErrInvalidClientMetadata},
		{`{"redirect_uris":["https://app.example/cb"],"response_types":["token"]}`, oauth.ErrInvalidClientMetadata},
		{`{"redirect_uris":["https://app.example/cb"],"grant_types":["refresh_token"]}`, oauth.ErrInvalidClientMetadata},
		{`{"redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","client_credentials"]}`, oauth.ErrInvalidClientMetadata},
		{`{"redirect_uris":["https://app.example/cb"],"logo_uri":"javascript:alert(1)"}`, oauth.ErrInvalidClientMetadata},
		{`{"redirect_uris":[]}`, oauth.ErrInvalidRedirectURI},
		// Hosts: only plain names and IP literals, nothing for a CSP.
		{`{"redirect_uris":["https://evil.example;script-src/cb"]}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://evil.example,script-src/cb"]}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://evil.example'x'/cb"]}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://ev*l.example/cb"]}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://evil .example/cb"]}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://%65vil.example/cb"]}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://\u00e9vil.example/cb"]}`, oauth.ErrInvalidRedirectURI},
		{`{"redirect_uris":["https://app.example/cb","https://evil.example;x/cb"]}`, oauth.ErrInvalidRedirectURI},
	}
	for _, tt := range tests {
		var md oauth.ClientMetadata
		if err := json.Unmarshal([]byte(tt.doc), &md); err != nil {
			t.Fatal(err)
		}
		err := s.normalizeClientMetadata(&md)
		got := ""
		if err != nil {
			got = err.Code
		}
		if got != tt.want {
			t.Errorf("%s: got %q (%v), want %q", tt.doc, got, err, tt.want)
		}
	}
}

// FuzzClientMetadata: whatever a registration request holds, an accepted
// one has only valid redirect URIs, the code flow, and a known auth method.
func FuzzClientMetadata(f *testing.F) {
	for _, doc := range []string{
		`{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}`,
		`{"redirect_uris":["https://app.example/cb"],"client_name":"x","scope":"a b"}`,
		`{"redirect_uris":["javascript:x"]}`,
		`{"redirect_uris":["com.example.app:/cb"],"application_type":"native"}`,
	} {
		f.Add([]byte(doc))
	}
	s := &Server{opt: Options{RedirectPolicy: oauth.RedirectPolicy{AllowPrivateUseSchemes: true}}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var md oauth.ClientMetadata
		if json.Unmarshal(doc, &md) != nil {
			return
		}
		if s.normalizeClientMetadata(&md) != nil {
			return
		}
		for _, u := range md.RedirectURIs {
			if err := oauth.ValidateRedirectURI(u, md.ApplicationType, s.opt.RedirectPolicy); err != nil {
				t.Fatalf("accepted an invalid redirect URI %q: %v", u, err)
			}
		}
		if !slices.Equal(md.ResponseTypes, []string{"code"}) || !slices.Contains(md.GrantTypes, grantAuthorizationCode) {
			t.Fatalf("accepted response_types %q grant_types %q", md.ResponseTypes, md.GrantTypes)
		}
		if !slices.Contains([]string{authNone, authSecretBasic, authSecretPost}, md.TokenEndpointAuthMethod) {
			t.Fatalf("accepted auth method %q", md.TokenEndpointAuthMethod)
		}
		if md.ApplicationType != oauth.AppTypeWeb && md.ApplicationType != oauth.AppTypeNative {
			t.Fatalf("accepted application_type %q", md.ApplicationType)
		}
	})
}
