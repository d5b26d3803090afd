package dpop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Algorithms are the proof signature algorithms accepted, in the order
// advertised (dpop_signing_alg_values_supported, RFC 9449 §5.1). All are
// asymmetric: "none" and the HMAC algorithms fail at parsing (§4.3 step 5).
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.PS256, jose.EdDSA}

// AlgorithmNames returns Algorithms as strings, for metadata and challenges.
func AlgorithmNames() []string {
	out := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		out[i] = string(a)
	}
	return out
}

// Defaults of Checker.
const (
	// DefaultMaxAge is how old a proof may be (RFC 9449 §4.3 step 11
	// leaves the window to the server; §11.1 asks for a short one).
	DefaultMaxAge = time.Minute
	// DefaultLeeway is how far in the future a proof's iat may be: the
	// client's clock may run a little ahead of ours.
	DefaultLeeway = 10 * time.Second
)

// maxProofSize bounds what is parsed at all; a proof with an RSA-4096 key
// is under 2 KiB.
const maxProofSize = 8192

// Replay records single-use values across replicas; storage.Store is one.
type Replay interface {
	UseOnce(ctx context.Context, key string, expiresAt, now time.Time) error
}

// Checker checks DPoP proofs (RFC 9449 §4.3).
type Checker struct {
	Replay Replay
	Now    func() time.Time
	MaxAge time.Duration // 0: DefaultMaxAge
	Leeway time.Duration // 0: DefaultLeeway
	// Nonces, when set, makes a server nonce required in every proof
	// (RFC 9449 §8).
	Nonces *Nonces
}

// Request is what a proof must match.
type Request struct {
	// Header are the values of the request's DPoP header field.
	Header []string
	Method string
	// URL is the public URL the request was sent to (the configured
	// public base, never the Host header).
	URL string
	// AccessToken is the token the request presents to a resource
	// server; the proof must hash it in ath (§4.3 step 12). Empty at the
	// token endpoint.
	AccessToken string
}

// Proof is a proof that passed every check.
type Proof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's key, the
	// value of cnf.jkt in a token bound to it (RFC 9449 §6.1).
	JKT      string
	ID       string
	IssuedAt time.Time
}

// claims of a proof (RFC 9449 §4.2).
type claims struct {
	ID     string           `json:"jti"`
	Method string           `json:"htm"`
	URL    string           `json:"htu"`
	Iat    *jwt.NumericDate `json:"iat"`
	Ath    string           `json:"ath,omitempty"`
	Nonce  string           `json:"nonce,omitempty"`
}

// Check runs the checks of RFC 9449 §4.3 and returns the proof. The
// proof's jti is recorded last, so a proof refused for another reason is
// not spent. A failure of the store is ErrUnavailable.
func (c *Checker) Check(ctx context.Context, req Request) (*Proof, error) {
	raw, err := single(req.Header)
	if err != nil {
		return nil, err
	}
	jwk, cl, err := parse(raw)
	if err != nil {
		return nil, err
	}
	jkt, err := Thumbprint(jwk)
	if err != nil {
		return nil, ErrKey
	}
	if err := c.checkClaims(cl, req); err != nil {
		return nil, err
	}
	p := &Proof{JKT: jkt, ID: cl.ID, IssuedAt: cl.Iat.Time()}
	return p, c.useOnce(ctx, p)
}

// single returns the one DPoP header value (§4.3 steps 1 and 2).
func single(h []string) (string, error) {
	switch {
	case len(h) == 0:
		return "", ErrMissing
	case len(h) > 1:
		return "", ErrMultiple
	}
	raw := strings.TrimSpace(h[0])
	if raw == "" {
		return "", ErrMissing
	}
	if len(raw) > maxProofSize || strings.Count(raw, ".") != 2 {
		return "", ErrMalformed
	}
	return raw, nil
}

// parse checks the header and the signature (§4.3 steps 3 to 7).
func parse(raw string) (*jose.JSONWebKey, *claims, error) {
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		return nil, nil, classify(raw)
	}
	if len(tok.Headers) != 1 {
		return nil, nil, ErrMalformed
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, "dpop+jwt") {
		return nil, nil, ErrType
	}
	jwk := h.JSONWebKey
	if jwk == nil || !jwk.Valid() || !jwk.IsPublic() || !fits(jwk.Key, jose.SignatureAlgorithm(h.Algorithm)) {
		return nil, nil, ErrKey
	}
	var cl claims
	if err := tok.Claims(jwk.Key, &cl); err != nil {
		return nil, nil, ErrSignature
	}
	return jwk, &cl, nil
}

// classify names why go-jose refused a proof, from its header alone, so
// that the client is told which rule it broke: an algorithm off the list,
// private key material in jwk, or plain malformation.
func classify(raw string) error {
	seg, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return ErrMalformed
	}
	var h struct {
		Alg string                     `json:"alg"`
		JWK map[string]json.RawMessage `json:"jwk"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ErrMalformed
	}
	if !allowed(h.Alg) {
		return ErrAlgorithm
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if _, ok := h.JWK[private]; ok {
			return ErrKey
		}
	}
	if h.JWK != nil {
		return ErrKey
	}
	return ErrMalformed
}

func allowed(alg string) bool {
	for _, a := range Algorithms {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// minRSABits: RFC 8725 §3.5 and NIST SP 800-131A (2048 bits at least).
const minRSABits = 2048

// fits reports whether key is a public key of a type alg signs with.
func fits(key any, alg jose.SignatureAlgorithm) bool {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		return (alg == jose.ES256 && k.Curve.Params().BitSize == 256) || (alg == jose.ES384 && k.Curve.Params().BitSize == 384)
	case *rsa.PublicKey:
		return (alg == jose.RS256 || alg == jose.PS256) && k.N.BitLen() >= minRSABits
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// maxIDLength bounds jti: it is kept in the store until the proof expires.
const maxIDLength = 256

// checkClaims runs the checks of the claims (§4.3 steps 3 and 8 to 12).
func (c *Checker) checkClaims(cl *claims, req Request) error {
	if cl.ID == "" || len(cl.ID) > maxIDLength || cl.Method == "" || cl.URL == "" || cl.Iat == nil {
		return ErrClaims
	}
	if cl.Method != req.Method {
		return ErrMethod
	}
	got, ok1 := NormalizeURL(cl.URL)
	want, ok2 := NormalizeURL(req.URL)
	if !ok1 || !ok2 || got != want {
		return ErrURL
	}
	now := c.now()
	if iat := cl.Iat.Time(); iat.Before(now.Add(-c.maxAge())) || iat.After(now.Add(c.leeway())) {
		return ErrTime
	}
	if req.AccessToken != "" && subtle.ConstantTimeCompare([]byte(cl.Ath), []byte(AccessTokenHash(req.AccessToken))) != 1 {
		return ErrAccessHash
	}
	if c.Nonces != nil && !c.Nonces.Valid(cl.Nonce) {
		return ErrNonce
	}
	return nil
}

// useOnce records the proof's jti for as long as the proof could be
// accepted anywhere (§4.3 step 11, §11.1), by key thumbprint so that no
// client can spend another's jti.
func (c *Checker) useOnce(ctx context.Context, p *Proof) error {
	sum := sha256.Sum256([]byte(p.JKT + " " + p.ID))
	key := "dpop " + hex.EncodeToString(sum[:])
	now := c.now()
	err := c.Replay.UseOnce(ctx, key, p.IssuedAt.Add(c.maxAge()+c.leeway()), now)
	switch {
	case errors.Is(err, storage.ErrAlreadyUsed):
		return ErrReplayed
	case err != nil:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

func (c *Checker) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Checker) maxAge() time.Duration {
	if c.MaxAge == 0 {
		return DefaultMaxAge
	}
	return c.MaxAge
}

func (c *Checker) leeway() time.Duration {
	if c.Leeway == 0 {
		return DefaultLeeway
	}
	return c.Leeway
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of a key in base64url,
// the form of cnf.jkt and dpop_jkt (RFC 9449 §6.1, §10).
func Thumbprint(k *jose.JSONWebKey) (string, error) {
	b, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// AccessTokenHash is the ath of a proof for token: base64url of its
// SHA-256 (RFC 9449 §4.2).
func AccessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Bound checks that the proof's key is the one a token is bound to
// (RFC 9449 §4.3 step 12, §7.1): jkt is the token's cnf.jkt.
func (p *Proof) Bound(jkt string) error {
	if jkt == "" || subtle.ConstantTimeCompare([]byte(p.JKT), []byte(jkt)) != 1 {
		return ErrKeyMismatch
	}
	return nil
}

// ValidThumbprint reports whether s has the form of a SHA-256 thumbprint
// in base64url (43 characters, no padding), as dpop_jkt must (§10).
func ValidThumbprint(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == sha256.Size && len(s) == 43
}
