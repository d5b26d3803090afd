package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

const machineClients = `
clients:
  - id: nightly-job
    secret: "${JOB_SECRET}"
    grant_types: [client_credentials]
  - id: signed-job
    token_endpoint_auth_method: private_key_jwt
    jwks: '${JOB_JWKS}'
    grant_types: [client_credentials]
  - id: narrow-job
    secret: "${JOB_SECRET}"
    grant_types: [client_credentials]
    scopes: []
`

type machineSetup struct {
	gw  *gwtest.Gateway
	key *ecdsa.PrivateKey
}

func startMachine(t *testing.T) *machineSetup {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: machineClients, Env: map[string]string{"JOB_SECRET": "job-secret-0123456789abcdef", "JOB_JWKS": string(jwks)}})
	return &machineSetup{gw: gw, key: key}
}

func (m *machineSetup) assertion(t *testing.T, mod func(*jwt.Claims)) string {
	t.Helper()
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: m.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1").WithType("JWT"))
	now := time.Now()
	c := jwt.Claims{Issuer: "signed-job", Subject: "signed-job", Audience: jwt.Audience{m.gw.URL + "/token"},
		Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: rand.Text()}
	if mod != nil {
		mod(&c)
	}
	raw, err := jwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func assertionForm(a string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
}

func TestClientCredentials(t *testing.T) {
	m := startMachine(t)
	gw := m.gw
	t.Run("client_secret_basic", func(t *testing.T) {
		status, body := gwtest.PostToken(t, gw, url.Values{"grant_type": {"client_credentials"}}, "nightly-job", "job-secret-0123456789abcdef")
		if status != 200 || body["refresh_token"] != nil || body["scope"] != "snippets" {
			t.Fatalf("%d %v", status, body)
		}
		resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+body["access_token"].(string))
		if resp.StatusCode != 200 {
			t.Fatalf("machine token at the MCP server: %d", resp.StatusCode)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		status, body := gwtest.PostToken(t, gw, url.Values{"grant_type": {"client_credentials"}}, "nightly-job", "nope-nope-nope-nope")
		if status != 401 || body["error"] != "invalid_client" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("scope outside the client's allowance", func(t *testing.T) {
		status, body := gwtest.PostToken(t, gw, url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, "nightly-job", "job-secret-0123456789abcdef")
		if status != 400 || body["error"] != "invalid_scope" {
			t.Fatalf("%d %v", status, body)
		}
		status, body = gwtest.PostToken(t, gw, url.Values{"grant_type": {"client_credentials"}}, "narrow-job", "job-secret-0123456789abcdef")
		if status != 200 || body["scope"] != nil {
			t.Fatalf("narrow client: %d %v", status, body)
		}
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+body["access_token"].(string)); resp.StatusCode != 403 {
			t.Fatalf("a token without the server's scope: %d", resp.StatusCode)
		}
	})
	t.Run("interactive client may not use it", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		if status, body := c.Token(url.Values{"grant_type": {"client_credentials"}}); status != 400 || body["error"] != "unauthorized_client" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("private_key_jwt", func(t *testing.T) {
		a := m.assertion(t, nil)
		status, body := gwtest.PostToken(t, gw, assertionForm(a), "", "")
		if status != 200 {
			t.Fatalf("%d %v", status, body)
		}
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+body["access_token"].(string)); resp.StatusCode != 200 {
			t.Fatalf("at the MCP server: %d", resp.StatusCode)
		}
		// The same assertion again is a replay.
		if status, body = gwtest.PostToken(t, gw, assertionForm(a), "", ""); status != 401 || body["error"] != "invalid_client" {
			t.Fatalf("replayed assertion: %d %v", status, body)
		}
	})
	t.Run("private_key_jwt rejections", func(t *testing.T) {
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: other}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		forged, _ := jwt.Signed(s).Claims(jwt.Claims{Issuer: "signed-job", Subject: "signed-job", Audience: jwt.Audience{gw.URL + "/token"},
			Expiry: jwt.NewNumericDate(time.Now().Add(time.Minute)), ID: "x"}).Serialize()
		cases := map[string]string{
			"wrong key":      forged,
			"wrong aud":      m.assertion(t, func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://elsewhere.example/token"} }),
			"expired":        m.assertion(t, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Hour)) }),
			"too long":       m.assertion(t, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(time.Hour)) }),
			"no jti":         m.assertion(t, func(c *jwt.Claims) { c.ID = "" }),
			"iss is not sub": m.assertion(t, func(c *jwt.Claims) { c.Issuer = "nightly-job" }),
			"not a JWT":      "abc.def.ghi",
		}
		for name, a := range cases {
			if status, body := gwtest.PostToken(t, gw, assertionForm(a), "", ""); status != 401 || body["error"] != "invalid_client" {
				t.Errorf("%s: %d %v", name, status, body)
			}
		}
		// A secret client cannot switch to an assertion, nor the other way round.
		if status, _ := gwtest.PostToken(t, gw, url.Values{"grant_type": {"client_credentials"}}, "signed-job", "whatever-whatever"); status != 401 {
			t.Errorf("signed client with a secret: %d", status)
		}
	})
	t.Run("advertised", func(t *testing.T) {
		resp, err := http.Get(gw.URL + "/.well-known/oauth-authorization-server")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		md := gwtest.DecodeBody(t, resp)
		b, _ := json.Marshal(md)
		if !strings.Contains(string(b), `"client_credentials"`) || !strings.Contains(string(b), `"private_key_jwt"`) {
			t.Errorf("metadata: %s", b)
		}
	})
}
