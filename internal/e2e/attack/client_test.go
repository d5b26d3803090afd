package attack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// attacker holds a key pair whose public half it publishes in its own
// client ID metadata document.
type attacker struct {
	key  *ecdsa.PrivateKey
	jwks json.RawMessage
}

func newAttacker(t *testing.T) *attacker {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "a1", Algorithm: "ES256", Use: "sig"}}})
	return &attacker{key: key, jwks: jwks}
}

// assertion is a private_key_jwt client assertion (RFC 7523) for id, signed
// with the attacker's key: valid in every respect.
func (a *attacker) assertion(t *testing.T, gw *gwtest.Gateway, id string) string {
	t.Helper()
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: a.key}, (&jose.SignerOptions{}).WithHeader("kid", "a1").WithType("JWT"))
	now := time.Now()
	raw, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: id, Subject: id, Audience: jwt.Audience{gw.URL + "/token"},
		Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: rand.Text()}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestClientCredentialsRefusedToMetadataDocuments (issue #13): anyone can
// publish a client ID metadata document declaring the client_credentials
// grant and its own keys. Such a client must get no token, for any server
// or scope: machine clients are configured by the operator, nothing else.
func TestClientCredentialsRefusedToMetadataDocuments(t *testing.T) {
	gw, docs := gwtest.StartWithDocuments(t, gwtest.Options{})
	a := newAttacker(t)
	id := docs.Publish("/machine.json", map[string]any{
		"client_name": "Totally legitimate job", "grant_types": []string{"client_credentials"},
		"redirect_uris":              []string{gwtest.Redirect}, // required of every document
		"token_endpoint_auth_method": "private_key_jwt", "jwks": a.jwks,
	})
	for name, extra := range map[string]url.Values{
		"default resource":      {},
		"the MCP server":        {"resource": {gw.MCP}, "scope": {"snippets"}},
		"every scope it claims": {"resource": {gw.MCP}, "scope": {"snippets admin"}},
	} {
		form := assertionForm(a.assertion(t, gw, id))
		for k, v := range extra {
			form[k] = v
		}
		status, body := gwtest.PostToken(t, gw, form, "", "")
		if status != 400 || body["error"] != "unauthorized_client" {
			t.Errorf("%s: %d %v, want 400 unauthorized_client", name, status, body)
		}
		if tok, ok := body["access_token"].(string); ok {
			gwtest.MCPCall(t, gw.MCP, "Bearer "+tok) // what the attacker does next
		}
	}
	gw.Backend.Mu.Lock()
	defer gw.Backend.Mu.Unlock()
	if gw.Backend.Requests != 0 {
		t.Errorf("the attacker reached the backend: %d requests", gw.Backend.Requests)
	}
}

// TestMetadataDocumentListingClientCredentials: a document that lists
// client_credentials next to authorization_code stays usable for the
// authorization code flow (a document is published for every authorization
// server, and the grant is this one's to refuse), and gets no machine token.
func TestMetadataDocumentListingClientCredentials(t *testing.T) {
	gw, docs := gwtest.StartWithDocuments(t, gwtest.Options{})
	a := newAttacker(t)
	id := docs.Publish("/both.json", map[string]any{
		"client_name": "Both grants", "redirect_uris": []string{gwtest.Redirect},
		"grant_types":                []string{"authorization_code", "client_credentials"},
		"token_endpoint_auth_method": "private_key_jwt", "jwks": a.jwks,
	})
	c := &gwtest.Client{GW: gw, ID: id, Redirect: gwtest.Redirect, Browser: browser.New(gw.URL)}
	if status, body := gwtest.PostToken(t, gw, assertionForm(a.assertion(t, gw, id)), "", ""); status != 400 || body["error"] != "unauthorized_client" {
		t.Fatalf("client_credentials: %d %v, want 400 unauthorized_client", status, body)
	}
	// The code flow, with the user's consent, still works.
	v := gwtest.NewVerifier()
	form := assertionForm(a.assertion(t, gw, id))
	form.Set("grant_type", "authorization_code")
	form.Set("code", signInCode(t, c, v))
	form.Set("code_verifier", v)
	form.Set("redirect_uri", c.Redirect)
	status, body := gwtest.PostToken(t, gw, form, "", "")
	if status != 200 || body["scope"] != "snippets" {
		t.Fatalf("authorization code: %d %v", status, body)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+body["access_token"].(string)); resp.StatusCode != 200 {
		t.Fatalf("the user's token at the MCP server: %d", resp.StatusCode)
	}
}

// signInCode runs the browser part for c, a client built by hand (whose
// Code method needs the t that RegisterClient sets).
func signInCode(t *testing.T, c *gwtest.Client, verifier string) string {
	t.Helper()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(verifier, nil), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("authorization: %v", err)
	}
	return p.Callback.Query().Get("code")
}

// TestClientCredentialsRefusedThroughRegistration: the same attack through
// dynamic registration (RFC 7591). Registering the grant is refused as
// invalid client metadata (§3.2.2), and a registered client asking for it
// anyway is an unauthorized client.
func TestClientCredentialsRefusedThroughRegistration(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	for name, md := range map[string]map[string]any{
		"only client_credentials": {"grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "client_secret_basic"},
		"with the code grant":     {"grant_types": []string{"authorization_code", "client_credentials"}, "token_endpoint_auth_method": "client_secret_basic"},
	} {
		md["redirect_uris"] = []string{gwtest.Redirect}
		status, body := gwtest.PostJSON(t, gw.URL+"/register", md)
		if status != 400 || body["error"] != "invalid_client_metadata" || body["client_id"] != nil {
			t.Errorf("%s: %d %v, want 400 invalid_client_metadata", name, status, body)
		}
	}
	c := gwtest.RegisterClient(t, gw, map[string]any{"token_endpoint_auth_method": "client_secret_basic"})
	status, body := c.Token(url.Values{"grant_type": {"client_credentials"}, "resource": {gw.MCP}})
	if status != 400 || body["error"] != "unauthorized_client" {
		t.Fatalf("a registered confidential client: %d %v, want 400 unauthorized_client", status, body)
	}
}

func assertionForm(a string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
}
