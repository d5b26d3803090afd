package oidctest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

const certClientID = "cert-rp"

// assertion describes a client assertion a test signs by hand with go-jose,
// so that these tests check the provider, not Drawbridge's signer.
type assertion struct {
	key     crypto.Signer
	alg     jose.SignatureAlgorithm
	headers map[jose.HeaderKey]any // kid, x5t, x5t#S256, ...
	claims  map[string]any
}

func (a assertion) sign(t *testing.T) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range a.headers {
		opts.WithHeader(k, v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: a.alg, Key: a.key}, opts.WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(a.claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func thumbs(c *x509.Certificate) (x5t, x5tS256 string) {
	s1, s256 := sha1.Sum(c.Raw), sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(s1[:]), base64.RawURLEncoding.EncodeToString(s256[:])
}

// validAssertion is what Entra ID documents, plus kid: PS256 for RSA
// (ES256 for ECDSA), iss = sub = client ID, aud = token endpoint URL.
func validAssertion(cc *oidctest.ClientCertificate, clientID, tokenURL string) assertion {
	x5t, x5tS256 := thumbs(cc.Cert)
	alg := jose.PS256
	if _, ok := cc.Key.(*ecdsa.PrivateKey); ok {
		alg = jose.ES256
	}
	now := time.Now()
	return assertion{
		key: cc.Key, alg: alg,
		headers: map[jose.HeaderKey]any{"kid": x5tS256, "x5t": x5t, "x5t#S256": x5tS256},
		claims: map[string]any{
			"iss": clientID, "sub": clientID, "aud": tokenURL, "jti": rand.Text(),
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		},
	}
}

// redeem signs in alice and redeems the code, authenticating as clientID
// with a client_assertion (and a client_secret, when secret is set).
func redeem(t *testing.T, idp *oidctest.Provider, clientID, secret string, sign func(tokenURL string) string) (*oauth2.Token, error) {
	t.Helper()
	r := newRP(t, idp)
	r.config.ClientID, r.config.ClientSecret = clientID, secret
	r.config.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	q := mustLogin(t, idp, r.authURL(verifier), "alice")
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
	if sign != nil {
		opts = append(opts,
			oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", sign(r.provider.Endpoint().TokenURL)))
	}
	return r.config.Exchange(r.ctx, q.Get("code"), opts...)
}

func TestCertificateClient(t *testing.T) {
	t.Parallel()
	rsaCert := oidctest.NewClientCertificate(t, nil)
	other := oidctest.NewClientCertificate(t, nil) // registered nowhere
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert := oidctest.NewClientCertificate(t, ecKey)

	type edit func(a *assertion, tokenURL string)
	tests := []struct {
		name     string
		entra    bool
		ec       bool   // the client's certificate is the ECDSA one
		clientID string // sent as client_id; default the certificate client
		secret   string // also sent as client_secret
		edit     edit
		wantCode string // "" for success
		wantDesc string
	}{
		{name: "Entra's documented format plus kid"},
		{name: "RS256 with x5t only", edit: func(a *assertion, _ string) {
			a.alg = jose.RS256
			delete(a.headers, "kid")
			delete(a.headers, "x5t#S256")
		}},
		{name: "no pointer to the certificate (generic)", edit: func(a *assertion, _ string) { a.headers = nil }},
		{name: "ES256", ec: true},
		{name: "Entra-like: PS256 with x5t#S256", entra: true, edit: func(a *assertion, _ string) {
			delete(a.headers, "kid")
			delete(a.headers, "x5t")
		}},
		{name: "Entra-like: RS256 with x5t", entra: true, edit: func(a *assertion, _ string) {
			a.alg = jose.RS256
			a.headers = map[jose.HeaderKey]any{"x5t": a.headers["x5t"]}
		}},
		{name: "signed by another key", edit: func(a *assertion, _ string) { a.key = other.Key },
			wantCode: "invalid_client", wantDesc: "invalid signature"},
		{name: "Entra-like: signed by another key", entra: true, edit: func(a *assertion, _ string) { a.key = other.Key },
			wantCode: "invalid_client", wantDesc: "AADSTS700027: Client assertion contains an invalid signature"},
		{name: "another certificate's thumbprint", edit: func(a *assertion, _ string) {
			a.key = other.Key
			x5t, _ := thumbs(other.Cert)
			a.headers = map[jose.HeaderKey]any{"x5t": x5t}
		}, wantCode: "invalid_client", wantDesc: "not registered"},
		{name: "kid of another certificate", edit: func(a *assertion, _ string) {
			_, s256 := thumbs(other.Cert)
			a.headers = map[jose.HeaderKey]any{"kid": s256}
		}, wantCode: "invalid_client", wantDesc: "kid"},
		{name: "Entra-like: kid only", entra: true, edit: func(a *assertion, _ string) {
			a.headers = map[jose.HeaderKey]any{"kid": a.headers["kid"]}
		}, wantCode: "invalid_client", wantDesc: "names no certificate"},
		{name: "Entra-like: ES256", entra: true, ec: true, wantCode: "invalid_client", wantDesc: "RS256 and PS256"},
		{name: "aud is the issuer", edit: func(a *assertion, _ string) {
			a.claims["aud"] = strings.TrimSuffix(a.claims["aud"].(string), "/oauth/token")
		},
			wantCode: "invalid_grant", wantDesc: "Audience"},
		{name: "two audiences", edit: func(a *assertion, tokenURL string) { a.claims["aud"] = []string{tokenURL, "https://other.test"} },
			wantCode: "invalid_client", wantDesc: "aud"},
		{name: "expired", edit: func(a *assertion, _ string) {
			a.claims["iat"], a.claims["nbf"] = time.Now().Add(-8*time.Minute).Unix(), time.Now().Add(-8*time.Minute).Unix()
			a.claims["exp"] = time.Now().Add(-3 * time.Minute).Unix()
		}, wantCode: "invalid_grant", wantDesc: "expired"},
		{name: "valid for an hour", edit: func(a *assertion, _ string) { a.claims["exp"] = time.Now().Add(time.Hour).Unix() },
			wantCode: "invalid_client", wantDesc: "10 minutes"},
		{name: "not valid yet", edit: func(a *assertion, _ string) { a.claims["nbf"] = time.Now().Add(2 * time.Minute).Unix() },
			wantCode: "invalid_client", wantDesc: "not valid yet"},
		{name: "iss is not sub", edit: func(a *assertion, _ string) { a.claims["sub"] = "someone" },
			wantCode: "invalid_grant", wantDesc: "issuer and sub"},
		{name: "no jti", edit: func(a *assertion, _ string) { delete(a.claims, "jti") },
			wantCode: "invalid_client", wantDesc: "jti"},
		{name: "client_id names another client", clientID: clientID,
			wantCode: "invalid_client", wantDesc: "client_id"},
		{name: "secret client presenting an assertion", edit: func(a *assertion, _ string) {
			a.claims["iss"], a.claims["sub"] = clientID, clientID
		}, clientID: clientID, wantCode: "invalid_client", wantDesc: "no client with a certificate"},
	}
	idps := map[bool]*oidctest.Provider{false: start(t, oidctest.Options{}), true: start(t, oidctest.Options{Entra: true})}
	for _, idp := range idps {
		idp.AddCertificateClient(certClientID, rsaCert.Cert, redirectURI)
		idp.AddCertificateClient("ec-rp", ecCert.Cert, redirectURI)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			idp := idps[tt.entra]
			cc, id := rsaCert, certClientID
			if tt.ec {
				cc, id = ecCert, "ec-rp"
			}
			sent := id
			if tt.clientID != "" {
				sent = tt.clientID
			}
			tok, err := redeem(t, idp, sent, tt.secret, func(tokenURL string) string {
				a := validAssertion(cc, id, tokenURL)
				if tt.edit != nil {
					tt.edit(&a, tokenURL)
				}
				return a.sign(t)
			})
			checkTokenResult(t, tok, err, tt.wantCode, tt.wantDesc)
		})
	}
}

func checkTokenResult(t *testing.T, tok *oauth2.Token, err error, wantCode, wantDesc string) {
	t.Helper()
	if wantCode == "" {
		if err != nil {
			t.Fatalf("token request refused: %v", err)
		}
		if tok.AccessToken == "" || tok.Extra("id_token") == nil {
			t.Errorf("token response lacks tokens: %+v", tok)
		}
		return
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("token request: %v, want %s", err, wantCode)
	}
	if re.ErrorCode != wantCode || !strings.Contains(re.ErrorDescription, wantDesc) {
		t.Errorf("token error = %s %q, want %s containing %q", re.ErrorCode, re.ErrorDescription, wantCode, wantDesc)
	}
	if wantCode == "invalid_client" && re.Response.StatusCode != 401 {
		t.Errorf("status %d, want 401 for invalid_client", re.Response.StatusCode)
	}
}

func TestCertificateClientAssertionReplay(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	idp := start(t, oidctest.Options{Clients: []oidctest.Client{{ID: certClientID, Certificate: cc.Cert, RedirectURIs: []string{redirectURI}}}})
	var raw string
	sign := func(tokenURL string) string {
		if raw == "" {
			raw = validAssertion(cc, certClientID, tokenURL).sign(t)
		}
		return raw
	}
	tok, err := redeem(t, idp, certClientID, "", sign)
	checkTokenResult(t, tok, err, "", "")
	tok, err = redeem(t, idp, certClientID, "", sign) // a new code, the same assertion
	checkTokenResult(t, tok, err, "invalid_client", "replayed")
}

func TestCertificateClientRefusesSecrets(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	idp := start(t, oidctest.Options{})
	idp.AddCertificateClient(certClientID, cc.Cert, redirectURI)
	// No assertion: the secret-based path of the op library refuses a
	// private_key_jwt client whatever secret it sends.
	tok, err := redeem(t, idp, certClientID, "anything", nil)
	checkTokenResult(t, tok, err, "invalid_client", "private_key_jwt")
	// The token request was recorded with the assertion's value redacted.
	for _, r := range idp.RequestsTo("token") {
		if a := r.Params.Get("client_assertion"); a != "" && a != oidctest.Redacted {
			t.Errorf("client_assertion recorded in the clear")
		}
	}
}

func TestDiscoveryAdvertisesPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	for _, entra := range []bool{false, true} {
		idp := start(t, oidctest.Options{Entra: entra})
		r := newRP(t, idp)
		var meta struct {
			Methods []string `json:"token_endpoint_auth_methods_supported"`
			Algs    []string `json:"token_endpoint_auth_signing_alg_values_supported"`
		}
		if err := r.provider.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(meta.Methods, "private_key_jwt") {
			t.Errorf("entra=%t: token_endpoint_auth_methods_supported = %v", entra, meta.Methods)
		}
		// Entra ID's discovery document lists no signing algorithms.
		if want := !entra; (len(meta.Algs) > 0) != want || (want && !slices.Contains(meta.Algs, "PS256")) {
			t.Errorf("entra=%t: token_endpoint_auth_signing_alg_values_supported = %v", entra, meta.Algs)
		}
	}
}
