package oidctest

import (
	"crypto/rand"
	"crypto/rsa"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// signingKey is an RS256 key; it serves as op.SigningKey for signing and as
// op.Key for the JWKS.
type signingKey struct {
	id   string
	priv *rsa.PrivateKey
}

var (
	_ op.SigningKey = signingKey{}
	_ op.Key        = publicKey{}
)

func newSigningKey() (signingKey, error) {
	// 2048 bits: the minimum RFC 7518, section 3.3 allows for RS256.
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, err
	}
	return signingKey{id: rand.Text(), priv: k}, nil
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.priv }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is the published half of a signingKey.
type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.priv.PublicKey }
