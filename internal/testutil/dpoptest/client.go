package dpoptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Client holds a DPoP key.
type Client struct {
	Key crypto.Signer
	Alg jose.SignatureAlgorithm
	// Now is the client's clock (time.Now when nil).
	Now func() time.Time
}

// New returns a client with a fresh P-256 key (ES256).
func New(t testing.TB) *Client {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Key: k, Alg: jose.ES256}
}

// JKT is the RFC 7638 thumbprint of the client's public key.
func (c *Client) JKT(t testing.TB) string {
	t.Helper()
	jwk := jose.JSONWebKey{Key: c.Key.Public()}
	b, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Options change a proof: each field left zero gets the right value.
type Options struct {
	Typ      string // "dpop+jwt"
	JTI      string // random
	IssuedAt time.Time
	Token    string // hashed into ath when set
	Ath      string // overrides the hash of Token
	Nonce    string
	// JWK replaces the public key put in the header (private key
	// material, another key).
	JWK *jose.JSONWebKey
	// Omit drops claims by name ("jti", "htm", "htu", "iat").
	Omit []string
}

// Proof signs a proof for method and url.
func (c *Client) Proof(t testing.TB, method, url string, o Options) string {
	t.Helper()
	jwk := o.JWK
	if jwk == nil {
		jwk = &jose.JSONWebKey{Key: c.Key.Public(), Algorithm: string(c.Alg)}
	}
	typ := o.Typ
	if typ == "" {
		typ = "dpop+jwt"
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: c.Alg, Key: c.Key},
		(&jose.SignerOptions{EmbedJWK: false}).WithType(jose.ContentType(typ)).WithHeader("jwk", jwk))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(c.claims(method, url, o)).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (c *Client) claims(method, url string, o Options) map[string]any {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	iat := o.IssuedAt
	if iat.IsZero() {
		iat = now
	}
	jti := o.JTI
	if jti == "" {
		jti = rand.Text()
	}
	cl := map[string]any{"jti": jti, "htm": method, "htu": url, "iat": iat.Unix()}
	if ath := o.Ath; ath != "" {
		cl["ath"] = ath
	} else if o.Token != "" {
		sum := sha256.Sum256([]byte(o.Token))
		cl["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if o.Nonce != "" {
		cl["nonce"] = o.Nonce
	}
	for _, k := range o.Omit {
		delete(cl, k)
	}
	return cl
}
