package tokens

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func testSigningKey(t *testing.T, kid string) *signingKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSigningKey(kid, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHeaderEscapesKeyID: key ids come from storage, so one with characters
// JSON must escape still makes a header go-jose reads with the same id, and
// a signature it verifies.
func TestHeaderEscapesKeyID(t *testing.T) {
	for _, kid := range []string{
		`a"b`, `a\b`, `"}`, `","alg":"none`, "schlüssel-鍵", "<&>", "tab\tnewline\n\x01", "line\u2028separator",
	} {
		s := testSigningKey(t, kid)
		for _, h := range []struct{ header, typ string }{{s.access, "at+jwt"}, {s.plain, "JWT"}, {s.grant, TypeIDJAG}} {
			raw, err := s.sign(h.header, map[string]any{"sub": "alice"})
			if err != nil {
				t.Fatalf("kid %q: %v", kid, err)
			}
			b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
			if err != nil {
				t.Fatal(err)
			}
			var header map[string]string
			if err := json.Unmarshal(b, &header); err != nil {
				t.Fatalf("kid %q: header %s: %v", kid, b, err)
			}
			if want := map[string]string{"alg": "ES256", "kid": kid, "typ": h.typ}; !reflect.DeepEqual(header, want) {
				t.Errorf("header %s reads as %v, want %v", b, header, want)
			}
			tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatalf("kid %q: go-jose cannot parse %s: %v", kid, b, err)
			}
			if got := tok.Headers[0].KeyID; got != kid {
				t.Errorf("go-jose reads kid %q, want %q", got, kid)
			}
			var claims map[string]any
			if err := tok.Claims(&s.key.PublicKey, &claims); err != nil || claims["sub"] != "alice" {
				t.Errorf("kid %q: claims %v, %v", kid, claims, err)
			}
		}
	}
}

// TestSignatureKeepsLeadingZeros: about one signature in 128 has an R or S
// whose first byte is zero. It must still be 64 bytes (RFC 7518 §3.4) and
// verify; a signer that dropped the zero would pass most single tests.
func TestSignatureKeepsLeadingZeros(t *testing.T) {
	s := testSigningKey(t, "k1")
	// 3000 signatures without one leading zero: a chance near e^-23.
	for range 3000 {
		raw, err := s.sign(s.plain, map[string]any{"sub": "alice"})
		if err != nil {
			t.Fatal(err)
		}
		sig, err := base64.RawURLEncoding.DecodeString(raw[strings.LastIndexByte(raw, '.')+1:])
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != 64 {
			t.Fatalf("a %d-byte signature, want 64", len(sig))
		}
		if sig[0] != 0 && sig[32] != 0 {
			continue
		}
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		if err := tok.Claims(&s.key.PublicKey, &claims); err != nil {
			t.Fatalf("a signature with a leading zero (%x) does not verify: %v", sig, err)
		}
		return
	}
	t.Fatal("no R or S with a leading zero byte in 3000 signatures")
}

// TestSigningKeyNeedsP256: ES256 signs with P-256 only; a stored key on
// another curve is refused when it is loaded, not at the first token.
func TestSigningKeyNeedsP256(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newSigningKey("k1", priv); err == nil {
		t.Fatal("a P-384 key was accepted for ES256")
	}
}
