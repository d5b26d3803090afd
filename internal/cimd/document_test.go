package cimd

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

const testClientID = "https://app.example.com/oauth/client-metadata.json"

// docJSON is the MCP specification's example document with edits applied:
// a nil value deletes the member.
func docJSON(t testing.TB, edits map[string]any) []byte {
	t.Helper()
	m := map[string]any{
		"client_id":                  testClientID,
		"client_name":                "Example MCP Client",
		"client_uri":                 "https://app.example.com",
		"logo_uri":                   "https://app.example.com/logo.png",
		"redirect_uris":              []string{"http://127.0.0.1:3000/callback", "http://localhost:3000/callback"},
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "none",
	}
	for k, v := range edits {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var publicJWKS = json.RawMessage(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"1"}]}`)

func TestParseDocumentValid(t *testing.T) {
	d, err := ParseDocument(testClientID, docJSON(t, nil), oauth.RedirectPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if d.ClientID != testClientID || d.ClientName != "Example MCP Client" || d.TokenEndpointAuthMethod != "none" {
		t.Errorf("unexpected document %+v", d)
	}
	if !d.OnlyLoopbackRedirects || d.ApplicationType != oauth.AppTypeNative {
		t.Errorf("loopback-only client: OnlyLoopbackRedirects=%v ApplicationType=%q", d.OnlyLoopbackRedirects, d.ApplicationType)
	}
	if string(d.Raw) != string(docJSON(t, nil)) {
		t.Error("Raw is not the document as served")
	}
}

func TestParseDocumentDefaults(t *testing.T) {
	body := docJSON(t, map[string]any{
		"grant_types": nil, "response_types": nil, "token_endpoint_auth_method": nil,
		"redirect_uris": []string{"https://app.example.com/cb", "http://127.0.0.1/cb"},
	})
	d, err := ParseDocument(testClientID, body, oauth.RedirectPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.GrantTypes, []string{"authorization_code"}) || !slices.Equal(d.ResponseTypes, []string{"code"}) {
		t.Errorf("grant_types %v, response_types %v; want the RFC 7591 defaults", d.GrantTypes, d.ResponseTypes)
	}
	if d.TokenEndpointAuthMethod != "none" {
		t.Errorf("token_endpoint_auth_method defaulted to %q, want none", d.TokenEndpointAuthMethod)
	}
	if d.OnlyLoopbackRedirects || d.ApplicationType != oauth.AppTypeWeb {
		t.Errorf("web client: OnlyLoopbackRedirects=%v ApplicationType=%q", d.OnlyLoopbackRedirects, d.ApplicationType)
	}
}

func TestParseDocument(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		policy oauth.RedirectPolicy
		ok     bool
	}{
		{"private_key_jwt with jwks_uri", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://app.example.com/jwks.json"}), oauth.RedirectPolicy{}, true},
		{"private_key_jwt with jwks", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": publicJWKS}), oauth.RedirectPolicy{}, true},
		{"client_credentials with private_key_jwt", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": publicJWKS, "grant_types": []string{"client_credentials"}, "response_types": nil}), oauth.RedirectPolicy{}, true},
		{"refresh_token", docJSON(t, map[string]any{"grant_types": []string{"authorization_code", "refresh_token"}}), oauth.RedirectPolicy{}, true},
		{"private-use scheme, allowed", docJSON(t, map[string]any{"redirect_uris": []string{"com.example.app:/callback"}}), oauth.RedirectPolicy{AllowPrivateUseSchemes: true}, true},
		{"extension members", docJSON(t, map[string]any{"software_statement_ext": map[string]any{"x": 1}, "client_name#fr": "Client"}), oauth.RedirectPolicy{}, true},
		{"scope", docJSON(t, map[string]any{"scope": "mcp:read mcp:write"}), oauth.RedirectPolicy{}, true},
		{"https and loopback, no application_type", docJSON(t, map[string]any{"redirect_uris": []string{"https://app.example.com/cb", "http://127.0.0.1:33418/"}}), oauth.RedirectPolicy{}, true},
		{"https and private-use, no application_type", docJSON(t, map[string]any{"redirect_uris": []string{"https://app.example.com/cb", "com.example.app:/cb"}}), oauth.RedirectPolicy{AllowPrivateUseSchemes: true}, true},
		{"native with https", docJSON(t, map[string]any{"application_type": "native", "redirect_uris": []string{"https://app.example.com/cb", "http://[::1]/cb"}}), oauth.RedirectPolicy{}, true},
		{"explicit application_type", docJSON(t, map[string]any{"application_type": "web", "redirect_uris": []string{"https://app.example.com/cb"}}), oauth.RedirectPolicy{}, true},
		{"null optional member", []byte(`{"client_id":"` + testClientID + `","client_name":"C","redirect_uris":["https://a.example/cb"],"logo_uri":null,"jwks":null}`), oauth.RedirectPolicy{}, true},
		{"escaped member name", []byte(`{"client\u005fid":"` + testClientID + `","client_name":"C","redirect_uris":["https://a.example/cb"]}`), oauth.RedirectPolicy{}, true},

		// §4.1: client_id must equal the URL.
		{"client_id missing", docJSON(t, map[string]any{"client_id": nil}), oauth.RedirectPolicy{}, false},
		{"client_id mismatch", docJSON(t, map[string]any{"client_id": "https://evil.example.com/oauth/client-metadata.json"}), oauth.RedirectPolicy{}, false},
		{"client_id differs in case", docJSON(t, map[string]any{"client_id": strings.Replace(testClientID, "app", "APP", 1)}), oauth.RedirectPolicy{}, false},
		{"client_id with trailing slash", docJSON(t, map[string]any{"client_id": testClientID + "/"}), oauth.RedirectPolicy{}, false},
		{"client_id not a string", docJSON(t, map[string]any{"client_id": []string{testClientID}}), oauth.RedirectPolicy{}, false},
		{"client_id duplicated", []byte(`{"client_id":"https://evil.example/x","client_id":"` + testClientID + `","client_name":"C","redirect_uris":["https://a.example/cb"]}`), oauth.RedirectPolicy{}, false},
		{"client_id duplicated through an escape", []byte(`{"client_id":"` + testClientID + `","client\u005fid":"https://evil.example/x","client_name":"C","redirect_uris":["https://a.example/cb"]}`), oauth.RedirectPolicy{}, false},
		{"client_id in another case only", []byte(`{"CLIENT_ID":"` + testClientID + `","client_name":"C","redirect_uris":["https://a.example/cb"]}`), oauth.RedirectPolicy{}, false},

		// MCP: client_name and redirect_uris are required.
		{"client_name missing", docJSON(t, map[string]any{"client_name": nil}), oauth.RedirectPolicy{}, false},
		{"client_name blank", docJSON(t, map[string]any{"client_name": "   "}), oauth.RedirectPolicy{}, false},
		{"client_name too long", docJSON(t, map[string]any{"client_name": strings.Repeat("n", 201)}), oauth.RedirectPolicy{}, false},
		{"client_name with a control character", docJSON(t, map[string]any{"client_name": "Good\nClient"}), oauth.RedirectPolicy{}, false},
		{"client_name with a bidi override", docJSON(t, map[string]any{"client_name": "Good\u202eClient"}), oauth.RedirectPolicy{}, false},
		{"redirect_uris missing", docJSON(t, map[string]any{"redirect_uris": nil}), oauth.RedirectPolicy{}, false},
		{"redirect_uris empty", docJSON(t, map[string]any{"redirect_uris": []string{}}), oauth.RedirectPolicy{}, false},
		{"redirect_uris a string", docJSON(t, map[string]any{"redirect_uris": "https://app.example.com/cb"}), oauth.RedirectPolicy{}, false},
		{"too many redirect_uris", docJSON(t, map[string]any{"redirect_uris": slices.Repeat([]string{"https://a.example/cb"}, 21)}), oauth.RedirectPolicy{}, false},

		// Redirect URIs follow the registration rules.
		{"http redirect to a remote host", docJSON(t, map[string]any{"redirect_uris": []string{"http://app.example.com/cb"}}), oauth.RedirectPolicy{}, false},
		{"redirect with fragment", docJSON(t, map[string]any{"redirect_uris": []string{"https://app.example.com/cb#x"}}), oauth.RedirectPolicy{}, false},
		{"redirect with wildcard", docJSON(t, map[string]any{"redirect_uris": []string{"https://*.example.com/cb"}}), oauth.RedirectPolicy{}, false},
		{"javascript redirect", docJSON(t, map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}), oauth.RedirectPolicy{AllowPrivateUseSchemes: true}, false},
		{"relative redirect", docJSON(t, map[string]any{"redirect_uris": []string{"/cb"}}), oauth.RedirectPolicy{}, false},
		{"redirect host with a CSP directive", docJSON(t, map[string]any{"redirect_uris": []string{"https://evil.example;script-src/cb"}}), oauth.RedirectPolicy{}, false},
		{"redirect host with a comma", docJSON(t, map[string]any{"redirect_uris": []string{"https://a.example,b/cb"}}), oauth.RedirectPolicy{}, false},
		{"redirect host percent-encoded", docJSON(t, map[string]any{"redirect_uris": []string{"https://%61pp.example/cb"}}), oauth.RedirectPolicy{}, false},
		{"redirect host in Unicode", docJSON(t, map[string]any{"redirect_uris": []string{"https://аpp.example/cb"}}), oauth.RedirectPolicy{}, false},
		{"empty redirect", docJSON(t, map[string]any{"redirect_uris": []string{""}}), oauth.RedirectPolicy{}, false},
		{"private-use scheme, not allowed", docJSON(t, map[string]any{"redirect_uris": []string{"com.example.app:/callback"}}), oauth.RedirectPolicy{}, false},
		{"private-use scheme for a web app", docJSON(t, map[string]any{"application_type": "web", "redirect_uris": []string{"com.example.app:/callback"}}), oauth.RedirectPolicy{AllowPrivateUseSchemes: true}, false},
		{"web with loopback", docJSON(t, map[string]any{"application_type": "web", "redirect_uris": []string{"https://app.example.com/cb", "http://127.0.0.1/cb"}}), oauth.RedirectPolicy{}, false},
		{"unknown application_type", docJSON(t, map[string]any{"application_type": "desktop"}), oauth.RedirectPolicy{}, false},

		// §4.1: no shared secrets.
		{"client_secret_basic", docJSON(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic"}), oauth.RedirectPolicy{}, false},
		{"client_secret_post", docJSON(t, map[string]any{"token_endpoint_auth_method": "client_secret_post"}), oauth.RedirectPolicy{}, false},
		{"client_secret_jwt", docJSON(t, map[string]any{"token_endpoint_auth_method": "client_secret_jwt"}), oauth.RedirectPolicy{}, false},
		{"unknown auth method", docJSON(t, map[string]any{"token_endpoint_auth_method": "tls_client_auth"}), oauth.RedirectPolicy{}, false},
		{"client_secret member", docJSON(t, map[string]any{"client_secret": "s3cret"}), oauth.RedirectPolicy{}, false},
		{"empty client_secret member", docJSON(t, map[string]any{"client_secret": ""}), oauth.RedirectPolicy{}, false},
		{"client_secret_expires_at member", docJSON(t, map[string]any{"client_secret_expires_at": 0}), oauth.RedirectPolicy{}, false},
		{"client_secret in another case", docJSON(t, map[string]any{"Client_Secret": "s3cret"}), oauth.RedirectPolicy{}, false},

		// §6.2 keys.
		{"private_key_jwt without keys", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt"}), oauth.RedirectPolicy{}, false},
		{"jwks and jwks_uri", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": publicJWKS, "jwks_uri": "https://app.example.com/jwks.json"}), oauth.RedirectPolicy{}, false},
		{"http jwks_uri", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://app.example.com/jwks.json"}), oauth.RedirectPolicy{}, false},
		{"jwks not a set", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": []int{1}}), oauth.RedirectPolicy{}, false},
		{"jwks without keys", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": map[string]any{"keys": []any{}}}), oauth.RedirectPolicy{}, false},
		{"jwks with a symmetric key", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": json.RawMessage(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)}), oauth.RedirectPolicy{}, false},
		{"jwks with a private key", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": json.RawMessage(`{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]}`)}), oauth.RedirectPolicy{}, false},
		{"jwks key without kty", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": json.RawMessage(`{"keys":[{"crv":"P-256"}]}`)}), oauth.RedirectPolicy{}, false},

		// RFC 7591 §2.1: grant and response types agree; OAuth 2.1 grants only.
		{"implicit grant", docJSON(t, map[string]any{"grant_types": []string{"implicit"}, "response_types": []string{"token"}}), oauth.RedirectPolicy{}, false},
		{"password grant", docJSON(t, map[string]any{"grant_types": []string{"authorization_code", "password"}}), oauth.RedirectPolicy{}, false},
		{"token response type", docJSON(t, map[string]any{"response_types": []string{"code", "token"}}), oauth.RedirectPolicy{}, false},
		{"code without authorization_code", docJSON(t, map[string]any{"grant_types": []string{"refresh_token"}}), oauth.RedirectPolicy{}, false},
		{"authorization_code without code", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": publicJWKS, "grant_types": []string{"authorization_code", "client_credentials"}, "response_types": []string{}}), oauth.RedirectPolicy{}, true},
		{"code response without the grant", docJSON(t, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": publicJWKS, "grant_types": []string{"client_credentials"}, "response_types": []string{"code"}}), oauth.RedirectPolicy{}, false},
		{"client_credentials for a public client", docJSON(t, map[string]any{"grant_types": []string{"client_credentials"}, "response_types": nil}), oauth.RedirectPolicy{}, false},

		// Other members.
		{"bad scope", docJSON(t, map[string]any{"scope": "a\\b"}), oauth.RedirectPolicy{}, false},
		{"javascript client_uri", docJSON(t, map[string]any{"client_uri": "javascript:alert(1)"}), oauth.RedirectPolicy{}, false},
		{"logo_uri without host", docJSON(t, map[string]any{"logo_uri": "https:///logo.png"}), oauth.RedirectPolicy{}, false},
		{"tos_uri with user info", docJSON(t, map[string]any{"tos_uri": "https://u:p@app.example.com/tos"}), oauth.RedirectPolicy{}, false},
		{"too many contacts", docJSON(t, map[string]any{"contacts": slices.Repeat([]string{"a@example.com"}, 11)}), oauth.RedirectPolicy{}, false},
		{"empty contact", docJSON(t, map[string]any{"contacts": []string{""}}), oauth.RedirectPolicy{}, false},

		// Not a JSON object.
		{"empty body", []byte(``), oauth.RedirectPolicy{}, false},
		{"array", []byte(`[]`), oauth.RedirectPolicy{}, false},
		{"string", []byte(`"https://app.example.com"`), oauth.RedirectPolicy{}, false},
		{"truncated", docJSON(t, nil)[:40], oauth.RedirectPolicy{}, false},
		{"trailing data", append(docJSON(t, nil), []byte(`{}`)...), oauth.RedirectPolicy{}, false},
		{"invalid UTF-8", []byte("{\"client_id\":\"" + testClientID + "\",\"client_name\":\"\xff\",\"redirect_uris\":[\"https://a.example/cb\"]}"), oauth.RedirectPolicy{}, false},
		{"HTML", []byte(`<html><body>Not found</body></html>`), oauth.RedirectPolicy{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDocument(testClientID, tt.body, tt.policy)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseDocument = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Kind != KindInvalidDocument {
					t.Fatalf("error %v is not a KindInvalidDocument *Error", err)
				}
				return
			}
			if d.ClientID != testClientID {
				t.Fatalf("ClientID = %q", d.ClientID)
			}
		})
	}
}

// TestDocumentErrorsDoNotEchoContent: descriptions go on error pages, so
// nothing the document says may appear in them.
func TestDocumentErrorsDoNotEchoContent(t *testing.T) {
	const marker = "<marker>"
	for _, edits := range []map[string]any{
		{"client_id": "https://app.example.com/" + marker},
		{"redirect_uris": []string{"http://" + marker + ".example.com/cb"}},
		{"redirect_uris": []string{"https://app.example.com/cb#" + marker}},
		{"token_endpoint_auth_method": marker},
		{"grant_types": []string{marker}},
		{"response_types": []string{marker}},
		{"scope": marker + "\\"},
		{"client_uri": "javascript:" + marker},
		{"application_type": marker},
		{marker: 1, "client_name": nil},
	} {
		_, err := ParseDocument(testClientID, docJSON(t, edits), oauth.RedirectPolicy{})
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%v: accepted or wrong error type: %v", edits, err)
		}
		if strings.Contains(e.Description, "marker") {
			t.Errorf("%v: description quotes the document: %q", edits, e.Description)
		}
	}
	body := []byte(`{"client_id":"` + testClientID + `","` + marker + `":1,"` + marker + `":2}`)
	if _, err := ParseDocument(testClientID, body, oauth.RedirectPolicy{}); err == nil || strings.Contains(err.(*Error).Description, "marker") {
		t.Errorf("duplicate member: %v", err)
	}
}

func FuzzDocument(f *testing.F) {
	f.Add(testClientID, string(docJSON(f, nil)))
	f.Add(testClientID, string(docJSON(f, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": publicJWKS})))
	f.Add(testClientID, string(docJSON(f, map[string]any{"client_secret": "x"})))
	f.Add(testClientID, `{"client_id":"`+testClientID+`","client_name":"C","redirect_uris":["com.example.app:/cb"],"grant_types":["authorization_code","refresh_token"]}`)
	f.Add("https://a.example/c", `{"client_id":"https://a.example/c","client_id":"https://b.example/c"}`)
	f.Add("https://a.example/c", `{"CLIENT_ID":"https://a.example/c","client_name":"x","redirect_uris":["https://a.example/cb"]}`)
	f.Fuzz(func(t *testing.T, clientID, body string) {
		policy := oauth.RedirectPolicy{AllowPrivateUseSchemes: true}
		d, err := ParseDocument(clientID, []byte(body), policy)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalidDocument || e.Description == "" {
				t.Fatalf("error %#v is not a described KindInvalidDocument *Error", err)
			}
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &m) != nil {
			t.Fatalf("accepted a body encoding/json cannot read as an object: %q", body)
		}
		var id string
		if json.Unmarshal(m["client_id"], &id) != nil || id != clientID || d.ClientID != clientID {
			t.Fatalf("accepted client_id %q for URL %q", id, clientID)
		}
		for k := range m {
			if strings.EqualFold(k, "client_secret") || strings.EqualFold(k, "client_secret_expires_at") {
				t.Fatalf("accepted a document with %s", k)
			}
		}
		if strings.TrimSpace(d.ClientName) == "" || len(d.RedirectURIs) == 0 {
			t.Fatal("accepted a document without client_name or redirect_uris")
		}
		var declared string
		_ = json.Unmarshal(m["application_type"], &declared)
		loopback := true
		for _, u := range d.RedirectURIs {
			appType := declared
			if appType == "" {
				appType = oauth.InferApplicationType([]string{u})
			}
			if oauth.ValidateRedirectURI(u, appType, policy) != nil {
				t.Fatalf("accepted redirect URI %q", u)
			}
			if p, err := url.Parse(u); err != nil || !oauth.IsLoopbackHost(p.Hostname()) || (p.Scheme != "http" && p.Scheme != "https") {
				loopback = false
			}
		}
		if loopback != d.OnlyLoopbackRedirects {
			t.Fatalf("OnlyLoopbackRedirects = %v for %q", d.OnlyLoopbackRedirects, d.RedirectURIs)
		}
		if d.TokenEndpointAuthMethod != AuthMethodNone && d.TokenEndpointAuthMethod != AuthMethodPrivateKeyJWT {
			t.Fatalf("accepted token_endpoint_auth_method %q", d.TokenEndpointAuthMethod)
		}
		if len(d.GrantTypes) == 0 || len(d.ResponseTypes) == 0 && slices.Contains(d.GrantTypes, "authorization_code") {
			t.Fatalf("defaults not applied: %v %v", d.GrantTypes, d.ResponseTypes)
		}
	})
}
