package authserver

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
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

// TestRegisterEndpoint: dynamic client registration (RFC 7591 §3, AS8)
// answers 201 with the client's information, defaults filled in, or an
// RFC 7591 §3.2.2 error and stores nothing.
func TestRegisterEndpoint(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		rule        string
		contentType string // application/json unless set
		body        string
		status      int
		err         string
		// For 201: the method and application type that were filled in.
		method, appType string
	}{
		{rule: "RFC 7591 §2: a confidential web client; client_secret_basic by default",
			body: `{"redirect_uris":["https://app.example/cb"],"client_name":"App"}`, status: 201, method: authSecretBasic, appType: oauth.AppTypeWeb},
		{rule: "RFC 7591 §2: a public native client on loopback gets no secret",
			body:   `{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}`,
			status: 201, method: authNone, appType: oauth.AppTypeNative},
		{rule: "RFC 7591 §2: client_secret_post",
			body:   `{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"client_secret_post"}`,
			status: 201, method: authSecretPost, appType: oauth.AppTypeWeb},
		{rule: "RFC 7591 §2: an https redirect for a native client",
			body:   `{"redirect_uris":["https://app.example/cb"],"application_type":"native","token_endpoint_auth_method":"none"}`,
			status: 201, method: authNone, appType: oauth.AppTypeNative},

		{rule: "AS4: http only on loopback", body: `{"redirect_uris":["http://app.example/cb"]}`,
			status: 400, err: oauth.ErrInvalidRedirectURI},
		{rule: "AS4: a web client may not redirect to loopback", body: `{"redirect_uris":["http://127.0.0.1/cb"],"application_type":"web"}`,
			status: 400, err: oauth.ErrInvalidRedirectURI},
		{rule: "RFC 7591 §2: at least one redirect URI", body: `{"client_name":"App"}`,
			status: 400, err: oauth.ErrInvalidRedirectURI},
		{rule: "RFC 6749 §3.1.2: no fragment", body: `{"redirect_uris":["https://app.example/cb#x"]}`,
			status: 400, err: oauth.ErrInvalidRedirectURI},
		{rule: "AS4: no dangerous scheme", body: `{"redirect_uris":["javascript:alert(1)"]}`,
			status: 400, err: oauth.ErrInvalidRedirectURI},
		{rule: "RFC 8252 §7.1: private-use schemes only when the operator allows them",
			body: `{"redirect_uris":["com.example.app:/cb"],"application_type":"native"}`, status: 400, err: oauth.ErrInvalidRedirectURI},
		{rule: "RFC 7591 §2: every redirect URI is checked", body: `{"redirect_uris":["https://app.example/cb","http://app.example/cb"]}`,
			status: 400, err: oauth.ErrInvalidRedirectURI},

		{rule: "issue #13: client_credentials is refused, not dropped",
			body: `{"redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","client_credentials"]}`, status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "OAuth 2.1: no implicit grant", body: `{"redirect_uris":["https://app.example/cb"],"grant_types":["implicit"]}`,
			status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "RFC 7591 §2.1: refresh_token needs authorization_code", body: `{"redirect_uris":["https://app.example/cb"],"grant_types":["refresh_token"]}`,
			status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "RFC 7591 §2.1: response_types code only", body: `{"redirect_uris":["https://app.example/cb"],"response_types":["code","token"]}`,
			status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "token_endpoint_auth_method: private_key_jwt is for configured clients",
			body: `{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "token_endpoint_auth_method: an unknown method",
			body: `{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"tls_client_auth"}`, status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "OIDC Registration §2: application_type web or native",
			body: `{"redirect_uris":["https://app.example/cb"],"application_type":"desktop"}`, status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "RFC 7591 §2: a logo_uri is a web URL", body: `{"redirect_uris":["https://app.example/cb"],"logo_uri":"javascript:alert(1)"}`,
			status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "client_name is bounded", body: `{"redirect_uris":["https://app.example/cb"],"client_name":"` + strings.Repeat("n", 201) + `"}`,
			status: 400, err: oauth.ErrInvalidClientMetadata},

		{rule: "RFC 7591 §3.1: the request is JSON", contentType: "application/x-www-form-urlencoded",
			body: "redirect_uris=https://app.example/cb", status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "RFC 7591 §3.2.2: malformed JSON", body: `{"redirect_uris":`, status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "RFC 7591 §3.2.2: redirect_uris of the wrong type", body: `{"redirect_uris":"https://app.example/cb"}`,
			status: 400, err: oauth.ErrInvalidClientMetadata},
		{rule: "the document is bounded (64 KiB)", body: `{"redirect_uris":["https://app.example/cb"],"client_uri":"` + strings.Repeat("a", 65<<10) + `"}`,
			status: 413, err: oauth.ErrInvalidClientMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			before := h.clientCount()
			r := httptest.NewRequest(http.MethodPost, PathRegister, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", cmp.Or(tt.contentType, "application/json"))
			rec := h.do(r)
			wantAnswer(t, rec, tt.status, tt.err)
			if tt.status != http.StatusCreated {
				if h.clientCount() != before {
					t.Error("a refused registration stored a client")
				}
				return
			}
			var sent, info oauth.ClientInformation
			_ = json.Unmarshal([]byte(tt.body), &sent.ClientMetadata)
			if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
				t.Fatal(err)
			}
			// RFC 7591 §3.2.1: the metadata as registered, defaults filled in.
			if info.ClientID == "" || info.ClientIDIssuedAt != hT0.Unix() || !slices.Equal(info.RedirectURIs, sent.RedirectURIs) ||
				info.TokenEndpointAuthMethod != tt.method || info.ApplicationType != tt.appType ||
				!slices.Equal(info.ResponseTypes, []string{"code"}) || !slices.Contains(info.GrantTypes, grantAuthorizationCode) {
				t.Errorf("answer %+v", info)
			}
			if (info.ClientSecret != "") != (tt.method != authNone) || (info.ClientSecret != "" && (info.ClientSecretExpiresAt == nil || *info.ClientSecretExpiresAt != 0)) {
				t.Errorf("client_secret %q expiring %v: want one, never expiring, for a confidential client only", info.ClientSecret, info.ClientSecretExpiresAt)
			}
			c, err := h.store.GetClient(t.Context(), info.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != storage.ClientKindDynamic || !c.ExpiresAt.Equal(hT0.Add(clientTTL)) || c.TokenEndpointAuthMethod != tt.method {
				t.Errorf("stored %+v", c)
			}
			// Storage keeps the secret's hash only.
			if info.ClientSecret != "" && (c.SecretHash != tokens.Hash(info.ClientSecret) || strings.Contains(string(c.Metadata), info.ClientSecret)) {
				t.Errorf("stored secret hash %q, metadata %s", c.SecretHash, c.Metadata)
			}
		})
	}
}

// clientCount counts the stored clients.
func (h *harness) clientCount() int {
	h.t.Helper()
	cs, err := h.store.ListClients(h.t.Context(), "", 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(cs)
}

// TestRegisteredClientConnects: a client registered at /register (a
// public one on loopback, as MCP clients register) completes the flow.
func TestRegisteredClientConnects(t *testing.T) {
	h := newHarness(t)
	r := httptest.NewRequest(http.MethodPost, PathRegister,
		strings.NewReader(`{"redirect_uris":["http://127.0.0.1/callback"],"token_endpoint_auth_method":"none","client_name":"Agent"}`))
	r.Header.Set("Content-Type", "application/json")
	rec := h.do(r)
	var info oauth.ClientInformation
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil || rec.Code != http.StatusCreated {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	q := authorizeQuery()
	q.Set("client_id", info.ClientID)
	q.Set("redirect_uri", "http://127.0.0.1:61000/callback")
	code := h.authorizeCode(&browser{}, q)
	resp := tokenResponse(t, h.do(formRequest(PathToken, form("grant_type", grantAuthorizationCode, "code", code,
		"code_verifier", flowVerifier, "redirect_uri", q.Get("redirect_uri"), "client_id", info.ClientID))))
	if c := h.accessClaims(resp.AccessToken, resSnippets); c.ClientID != info.ClientID {
		t.Errorf("token of client %s", c.ClientID)
	}
}

// TestRegisterMethodAndSwitch: registration takes POST only, and is
// not there at all when the operator turned it off.
func TestRegisterMethodAndSwitch(t *testing.T) {
	h := newHarness(t)
	wantAnswer(t, h.do(httptest.NewRequest(http.MethodGet, PathRegister, nil)), http.StatusMethodNotAllowed, oauth.ErrInvalidRequest)
	off := newHarness(t, func(o *Options) { o.DynamicRegistration = false })
	before := off.clientCount()
	r := httptest.NewRequest(http.MethodPost, PathRegister, strings.NewReader(`{"redirect_uris":["https://app.example/cb"]}`))
	r.Header.Set("Content-Type", "application/json")
	if rec := off.do(r); rec.Code != http.StatusNotFound || off.clientCount() != before {
		t.Errorf("registration turned off: %d, %d clients", rec.Code, off.clientCount())
	}
}
