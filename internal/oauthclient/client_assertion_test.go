package oauthclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

const (
	testClientID = "6f1c7a52-0000-4000-8000-0000000c11e7"
	testTokenURL = "https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/oauth2/v2.0/token"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestClientAssertionFormat parses what the signer produces, the way a
// provider would, and checks header and claims against Entra ID's
// documented certificate credential format and RFC 7523, section 3.
func TestClientAssertionFormat(t *testing.T) {
	t.Parallel()
	rsaCC := oidctest.NewClientCertificate(t, nil)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCC := oidctest.NewClientCertificate(t, ecKey)
	tests := []struct {
		name    string
		cc      *oidctest.ClientCertificate
		entra   bool
		algs    []string // the provider's token_endpoint_auth_signing_alg_values_supported
		wantAlg jose.SignatureAlgorithm
		// Entra gets exactly its documented header; others get kid and x5t too.
		wantKidX5t bool
	}{
		{name: "Entra ID", cc: rsaCC, entra: true, wantAlg: jose.PS256},
		{name: "Entra ID ignores a provider list", cc: rsaCC, entra: true, algs: []string{"RS256"}, wantAlg: jose.PS256},
		{name: "generic RSA, no list", cc: rsaCC, wantAlg: jose.RS256, wantKidX5t: true},
		{name: "generic RSA, RS256 listed", cc: rsaCC, algs: []string{"ES256", "PS256", "RS256"}, wantAlg: jose.RS256, wantKidX5t: true},
		{name: "generic RSA, PS256 only", cc: rsaCC, algs: []string{"PS256", "ES256"}, wantAlg: jose.PS256, wantKidX5t: true},
		{name: "generic ECDSA", cc: ecCC, algs: []string{"RS256", "ES256"}, wantAlg: jose.ES256, wantKidX5t: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cert := &Certificate{Leaf: tt.cc.Cert, Key: tt.cc.Key}
			if err := cert.Validate(); err != nil {
				t.Fatal(err)
			}
			a, err := NewClientAssertion(cert, testClientID, testTokenURL, tt.entra, []string{"client_secret_post", "private_key_jwt"}, tt.algs)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			raw, err := a.sign(now)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{tt.wantAlg})
			if err != nil {
				t.Fatalf("parse (want alg %s): %v", tt.wantAlg, err)
			}

			// Header.
			h := tok.Headers[0]
			s1, s256 := sha1.Sum(tt.cc.Cert.Raw), sha256.Sum256(tt.cc.Cert.Raw)
			x5t, x5tS256 := base64.RawURLEncoding.EncodeToString(s1[:]), base64.RawURLEncoding.EncodeToString(s256[:])
			want := map[string]any{"typ": "JWT", "x5t#S256": x5tS256}
			if tt.wantKidX5t {
				want["x5t"] = x5t
			}
			if len(h.ExtraHeaders) != len(want) {
				t.Errorf("header parameters besides alg and kid = %v, want %v", h.ExtraHeaders, want)
			}
			for k, v := range want {
				if h.ExtraHeaders[jose.HeaderKey(k)] != v {
					t.Errorf("header %s = %v, want %v", k, h.ExtraHeaders[jose.HeaderKey(k)], v)
				}
			}
			if wantKid := map[bool]string{true: x5tS256}[tt.wantKidX5t]; h.KeyID != wantKid {
				t.Errorf("kid = %q, want %q", h.KeyID, wantKid)
			}
			// Nothing else, in particular no x5c: the provider has the
			// certificate already, and Entra ID's format has none.
			wantKeys := len(want) + 1 // alg
			if tt.wantKidX5t {
				wantKeys++ // kid
			}
			if n := len(rawHeader(t, raw)); n != wantKeys {
				t.Errorf("header has %d parameters, want %d: %v", n, wantKeys, rawHeader(t, raw))
			}

			// Signature, with the certificate's public key only.
			var claims jwt.Claims
			var all map[string]any
			if err := tok.Claims(tt.cc.Cert.PublicKey, &claims, &all); err != nil {
				t.Fatalf("signature does not verify with the certificate's key: %v", err)
			}
			other := oidctest.NewClientCertificate(t, nil)
			if err := tok.Claims(other.Cert.PublicKey, &claims); err == nil {
				t.Error("signature verifies with an unrelated key")
			}

			// Claims.
			if claims.Issuer != testClientID || claims.Subject != testClientID {
				t.Errorf("iss = %q, sub = %q, want the client ID", claims.Issuer, claims.Subject)
			}
			if aud, ok := all["aud"].(string); !ok || aud != testTokenURL {
				t.Errorf("aud = %#v, want the token endpoint URL as a single string", all["aud"])
			}
			if !guidRE.MatchString(claims.ID) {
				t.Errorf("jti = %q, want a GUID", claims.ID)
			}
			if got := claims.IssuedAt.Time(); got.Unix() != now.Unix() || claims.NotBefore.Time().Unix() != now.Unix() {
				t.Errorf("iat = %v, nbf = %v, want now (%v)", got, claims.NotBefore.Time(), now)
			}
			life := claims.Expiry.Time().Sub(claims.NotBefore.Time())
			if life <= 0 || life > 10*time.Minute {
				t.Errorf("lifetime %v, want at most 10 minutes", life)
			}
			if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: testClientID, Subject: testClientID, AnyAudience: jwt.Audience{testTokenURL}, Time: now}, 0); err != nil {
				t.Errorf("claims invalid at issue time: %v", err)
			}
			if err := claims.ValidateWithLeeway(jwt.Expected{Time: now.Add(life + time.Second)}, 0); err == nil {
				t.Error("still valid after exp")
			}
			if len(all) != 7 {
				t.Errorf("claims = %v, want exactly iss, sub, aud, jti, iat, nbf, exp", all)
			}

			// Every assertion is new.
			again, err := a.sign(now)
			if err != nil {
				t.Fatal(err)
			}
			var c2 jwt.Claims
			if t2, err := jwt.ParseSigned(again, []jose.SignatureAlgorithm{tt.wantAlg}); err != nil || t2.Claims(tt.cc.Cert.PublicKey, &c2) != nil || c2.ID == claims.ID {
				t.Errorf("second assertion reuses jti %q (%v)", claims.ID, err)
			}
		})
	}
}

func TestClientAssertionProviderMismatch(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	cert := &Certificate{Leaf: cc.Cert, Key: cc.Key}
	tests := []struct {
		name      string
		entra     bool
		methods   []string
		algs      []string
		wantError string
	}{
		{name: "no private_key_jwt", methods: []string{"client_secret_basic", "client_secret_post"}, wantError: "does not accept private_key_jwt"},
		{name: "Entra without private_key_jwt", entra: true, methods: []string{"client_secret_post"}, wantError: "does not accept private_key_jwt"},
		{name: "only ECDSA algorithms", methods: []string{"private_key_jwt"}, algs: []string{"ES256", "ES384"}, wantError: "none of which"},
		{name: "methods not listed", algs: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClientAssertion(cert, testClientID, testTokenURL, tt.entra, tt.methods, tt.algs)
			if tt.wantError == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Errorf("error = %v, want %q", err, tt.wantError)
			}
		})
	}
}

func TestClientAssertionIsJSONCompact(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	a, err := NewClientAssertion(&Certificate{Leaf: cc.Cert, Key: cc.Key}, testClientID, testTokenURL, true, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := a.sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Log checks elsewhere look for this prefix ({"alg": in base64url).
	if !strings.HasPrefix(raw, "eyJhbGciOi") {
		t.Errorf("assertion starts %.12s", raw)
	}
	// Exactly Microsoft's documented header for Entra ID.
	if m := rawHeader(t, raw); len(m) != 3 || m["alg"] != "PS256" || m["typ"] != "JWT" || m["x5t#S256"] == nil {
		t.Errorf("Entra header = %v, want alg PS256, typ JWT, x5t#S256", m)
	}
}

// rawHeader decodes a compact JWS's protected header as sent.
func rawHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(hdr, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
