package tokens_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// compact splits a compact JWS (RFC 7515 §7.1) and decodes its parts:
// the header and payload as JSON objects (numbers kept as written), the
// signature as bytes.
func compact(t *testing.T, raw string) (header, payload map[string]any, sig []byte) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("%d parts in %q, want 3", len(parts), raw)
	}
	header = decodeJSONPart(t, parts[0])
	payload = decodeJSONPart(t, parts[1])
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	return header, payload, sig
}

func decodeJSONPart(t *testing.T, part string) map[string]any {
	t.Helper()
	// Strict: the encoding is unpadded base64url with no stray bits
	// (RFC 7515 §2, Base64url Encoding).
	b, err := base64.RawURLEncoding.Strict().DecodeString(part)
	if err != nil {
		t.Fatalf("decoding %q: %v", part, err)
	}
	return decodeJSON(t, b)
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

// goJosePayload is the payload go-jose's JWT builder makes of claims, which
// is what Drawbridge signed before it had its own signer: the claims its
// tokens carry must not have changed with it.
func goJosePayload(t *testing.T, claims any) map[string]any {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSONPart(t, strings.Split(raw, ".")[1])
}

// identityClaims has the shape of the backend identity assertions signed
// with Keys.Sign: go-jose's standard claims and some of Drawbridge's.
type identityClaims struct {
	jwt.Claims
	Email  string   `json:"email,omitempty"`
	Groups []string `json:"groups,omitempty"`
	Scope  string   `json:"scope,omitempty"`
}

// TestSignedTokens: each kind of token Drawbridge signs is a compact ES256
// JWS whose header names the current key and the token's type and nothing
// else, whose signature is the 64-byte R || S of RFC 7518 §3.4, that
// go-jose verifies with the current public key, and whose claims are those
// go-jose's own builder would have written.
func TestSignedTokens(t *testing.T) {
	f := newFixture(t)
	access := f.claims()
	access.ID = "j1"
	access.AuthTime = f.now.Add(-time.Minute)
	identity := identityClaims{
		Claims: jwt.Claims{Issuer: issuer, Subject: "alice", Audience: jwt.Audience{"https://backend.example"},
			IssuedAt: jwt.NewNumericDate(f.now), NotBefore: jwt.NewNumericDate(f.now),
			Expiry: jwt.NewNumericDate(f.now.Add(5 * time.Minute)), ID: "j2"},
		// Characters encoding/json writes escaped: they must still decode
		// to the same claims.
		Email: "a<b>&\"c\"@exämple.com", Groups: []string{"eng", "ops\u2028"}, Scope: "a b",
	}
	grant := map[string]any{"iss": issuer, "sub": "alice", "aud": "https://as.example", "client_id": "c1",
		"iat": f.now.Unix(), "exp": f.now.Add(time.Minute).Unix(), "jti": "j3", "groups": []string{"eng"}}

	tests := []struct {
		name string
		typ  string
		sign func() (string, error)
		want map[string]any // the payload, numbers as json.Number
	}{
		{"Mint", "at+jwt", func() (string, error) { return f.keys.Mint(access) }, map[string]any{
			"iss": issuer, "sub": "alice", "aud": resource, "client_id": "c1", "scope": "a b", "gid": "g1",
			"jti": "j1", "email": "a@example.com", "groups": []any{"eng"},
			"iat": json.Number("1800000000"), "nbf": json.Number("1800000000"),
			"exp": json.Number("1800003600"), "auth_time": json.Number("1799999940"),
		}},
		{"Sign", "JWT", func() (string, error) { return f.keys.Sign(identity) }, goJosePayload(t, identity)},
		{"SignGrant", tokens.TypeIDJAG, func() (string, error) { return f.keys.SignGrant(grant) }, goJosePayload(t, grant)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := tt.sign()
			if err != nil {
				t.Fatal(err)
			}
			header, payload, sig := compact(t, raw)
			wantHeader := map[string]any{"alg": "ES256", "kid": f.keys.Current(), "typ": tt.typ}
			if !reflect.DeepEqual(header, wantHeader) {
				t.Errorf("header = %v, want %v", header, wantHeader)
			}
			if !reflect.DeepEqual(payload, tt.want) {
				t.Errorf("payload = %v, want %v", payload, tt.want)
			}
			if len(sig) != 64 {
				t.Errorf("signature is %d bytes, want 64", len(sig))
			}

			tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatalf("go-jose cannot parse the token: %v", err)
			}
			if len(tok.Headers) != 1 || tok.Headers[0].KeyID != f.keys.Current() ||
				tok.Headers[0].ExtraHeaders[jose.HeaderType] != tt.typ {
				t.Errorf("go-jose reads the header as %+v", tok.Headers)
			}
			pub, _ := f.keys.PublicKey(f.keys.Current())
			var got map[string]any
			if err := tok.Claims(pub, &got); err != nil {
				t.Fatalf("go-jose does not verify the signature: %v", err)
			}
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err := tok.Claims(&other.PublicKey, &got); err == nil {
				t.Error("go-jose verified the signature with another key")
			}
		})
	}
}

// TestSignRefusesNonObjectClaims: a JWT's claims set is a JSON object
// (RFC 7519 §7.2, step 10); anything else is an error, not a token.
func TestSignRefusesNonObjectClaims(t *testing.T) {
	f := newFixture(t)
	for _, claims := range []any{nil, "claims", 42, []string{"a"}, (*identityClaims)(nil),
		struct{ C chan int }{make(chan int)}} {
		if raw, err := f.keys.Sign(claims); err == nil {
			t.Errorf("Sign(%#v) = %q, want an error", claims, raw)
		}
		if raw, err := f.keys.SignGrant(claims); err == nil {
			t.Errorf("SignGrant(%#v) = %q, want an error", claims, raw)
		}
	}
}

// flip returns raw with one bit of the decoded part i (0 header, 1 payload,
// 2 signature) flipped at byte pos; pos < 0 counts from the end.
func flip(t *testing.T, raw string, i, pos int) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	if pos < 0 {
		pos += len(b)
	}
	b[pos] ^= 0x01
	parts[i] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// TestTamperedTokensFail: the signature covers every byte of the header
// and the payload, and every byte of R and S counts, for the package's
// verifier and for go-jose alike.
func TestTamperedTokensFail(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	raw, err := f.keys.Mint(f.claims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.verifier.Verify(ctx, raw, resource); err != nil {
		t.Fatalf("the untampered token: %v", err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	// A byte flipped inside a string value leaves the payload valid JSON,
	// so only the signature can catch it.
	subject := bytes.Index(payload, []byte(`"alice"`)) + 1
	if subject == 0 {
		t.Fatalf("no subject in %s", payload)
	}

	pub, _ := f.keys.PublicKey(f.keys.Current())
	for _, tc := range []struct {
		name      string
		part, pos int
	}{
		{"payload first byte", 1, 0},
		{"payload subject", 1, subject},
		{"payload last byte", 1, -1},
		{"r first byte", 2, 0},
		{"r last byte", 2, 31},
		{"s first byte", 2, 32},
		{"s last byte", 2, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := flip(t, raw, tc.part, tc.pos)
			if _, err := f.verifier.Verify(ctx, bad, resource); err == nil {
				t.Error("the package's verifier accepted it")
			}
			tok, err := jwt.ParseSigned(bad, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				return // not even parsed: refused
			}
			var m map[string]any
			if err := tok.Claims(pub, &m); err == nil {
				t.Error("go-jose verified it")
			}
		})
	}
}

// TestOtherKeysSignatureFails: after a rotation, a token of the new key
// that names the old key in its header is refused: each key verifies only
// what it signed.
func TestOtherKeysSignatureFails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	oldKID := f.keys.Current()
	old, _ := f.keys.Mint(f.claims())
	f.now = f.now.Add(time.Second)
	if _, err := f.keys.Generate(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, _ := f.keys.Mint(f.claims())
	for _, raw := range []string{old, fresh} {
		if _, err := f.verifier.Verify(ctx, raw, resource); err != nil {
			t.Fatalf("a genuine token: %v", err)
		}
	}
	o, n := strings.Split(old, "."), strings.Split(fresh, ".")
	swapped := o[0] + "." + n[1] + "." + n[2]
	if _, err := f.verifier.Verify(ctx, swapped, resource); !errors.Is(err, tokens.ErrBadSignature) {
		t.Errorf("the new key's token under the old key's id: %v, want ErrBadSignature", err)
	}
	tok, err := jwt.ParseSigned(swapped, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	oldPub, _ := f.keys.PublicKey(oldKID)
	var m map[string]any
	if err := tok.Claims(oldPub, &m); err == nil {
		t.Error("go-jose verified the new key's signature with the old key")
	}
}

// BenchmarkMint is the cost of one access token at the token endpoint,
// a fresh jti each time as in production.
func BenchmarkMint(b *testing.B) {
	f := newFixture(b)
	c := f.claims()
	c.AuthTime = f.now.Add(-time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.keys.Mint(c); err != nil {
			b.Fatal(err)
		}
	}
}
