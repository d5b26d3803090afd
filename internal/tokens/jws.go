package tokens

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// signingKey signs JWTs itself rather than through go-jose's JWT builder,
// which on every token marshals the claims, decodes them into a map and
// marshals them again, and builds the header anew: together about half as
// much again as the ECDSA signature. Verification stays with go-jose.
type signingKey struct {
	id  string
	key *ecdsa.PrivateKey

	// The protected header of each kind of token this key signs,
	// base64url-encoded once when the key is loaded. Each kind has its own
	// typ so that none can pass for another (RFC 8725 §3.11).
	access string // typ at+jwt: access tokens (RFC 9068 §2.1)
	plain  string // typ JWT: identity assertions for backends
	grant  string // typ oauth-id-jag+jwt: identity assertion grants
}

func newSigningKey(id string, key *ecdsa.PrivateKey) (*signingKey, error) {
	// ES256 is ECDSA with P-256 and SHA-256 (RFC 7518 §3.4); any other
	// curve would make signatures no verifier accepts.
	if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("tokens: signing key %s is not a P-256 key", id)
	}
	s := &signingKey{id: id, key: key}
	for _, h := range []struct {
		header *string
		typ    string
	}{{&s.access, "at+jwt"}, {&s.plain, "JWT"}, {&s.grant, TypeIDJAG}} {
		var err error
		if *h.header, err = protectedHeader(id, h.typ); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// protectedHeader is the base64url-encoded JOSE header (RFC 7515 §4) of a
// token of type typ signed by key kid. The key id comes from storage, so
// encoding/json writes it, escaped as JSON needs. The members are in the
// order go-jose wrote them, which sorts them.
func protectedHeader(kid, typ string) (string, error) {
	b, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{string(Algorithm), kid, typ})
	if err != nil {
		return "", fmt.Errorf("tokens: encoding a JOSE header: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// sign returns claims signed under header (one of the key's protected
// headers) in the JWS compact serialization (RFC 7515 §7.1):
// header.payload.signature, each part base64url without padding.
func (s *signingKey) sign(header string, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("tokens: encoding claims: %w", err)
	}
	// A JWT's claims set is a JSON object (RFC 7519 §7.2, step 10).
	if len(payload) == 0 || payload[0] != '{' {
		return "", errors.New("tokens: the claims are not a JSON object")
	}
	enc := base64.RawURLEncoding
	// The whole token goes in one buffer: the signing input first, then the
	// signature appended after it without growing the buffer.
	input := len(header) + 1 + enc.EncodedLen(len(payload))
	sigLen := 2 * p256Bytes
	buf := make([]byte, input, input+1+enc.EncodedLen(sigLen))
	copy(buf, header)
	buf[len(header)] = '.'
	enc.Encode(buf[len(header)+1:], payload)

	digest := sha256.Sum256(buf)
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("tokens: signing: %w", err)
	}
	// JWS wants R and S as fixed-width big-endian integers side by side,
	// not ASN.1 (RFC 7518 §3.4): a value with leading zero bytes must keep
	// them, or about one token in 128 would fail to verify.
	var sig [2 * p256Bytes]byte
	r.FillBytes(sig[:p256Bytes])
	sv.FillBytes(sig[p256Bytes:])
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig[:])
	return string(buf), nil
}

// p256Bytes is the size of P-256's order, and so of R and S.
const p256Bytes = 32
