package oauthclient

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

const (
	// ClientAssertionType is the client_assertion_type of a JWT client
	// assertion (RFC 7523, section 2.2).
	ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// assertionLifetime is short because an assertion is used once, at
	// once; Entra ID asks for exp at most 5 to 10 minutes after nbf, and an
	// intercepted assertion is worth less the sooner it expires.
	assertionLifetime = 5 * time.Minute
)

// ClientAssertion makes the JWTs Drawbridge authenticates with at one token
// endpoint (private_key_jwt, OIDC Core, section 9). For a sign-in provider it
// is built when the discovery document is read, because the audience and,
// for generic providers, the algorithm come from it.
type ClientAssertion struct {
	signer   jose.Signer
	alg      jose.SignatureAlgorithm
	clientID string
	audience string
}

// NewClientAssertion prepares the signer. methods and algs are the
// provider's token_endpoint_auth_methods_supported and
// token_endpoint_auth_signing_alg_values_supported (nil when absent); a
// provider that lists them without what the certificate needs is reported
// now, with the reason, instead of failing every sign-in with invalid_client.
//
// The header follows the certificate credentials format Entra ID documents
// (learn.microsoft.com/entra/identity-platform/certificate-credentials):
// toward Entra exactly alg PS256, typ JWT and x5t#S256, as MSAL sends it.
// Other providers find the key in different ways, so they get every
// standard pointer to the certificate: kid (set to the SHA-256 thumbprint),
// x5t and x5t#S256.
func NewClientAssertion(c *Certificate, clientID, tokenURL string, entra bool, methods, algs []string) (*ClientAssertion, error) {
	if methods != nil && !slices.Contains(methods, "private_key_jwt") {
		return nil, fmt.Errorf("the provider does not accept private_key_jwt client authentication (token_endpoint_auth_methods_supported: %v); configure a client secret instead of a certificate", methods)
	}
	alg, err := assertionAlgorithm(c.Key, entra, algs)
	if err != nil {
		return nil, err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("x5t#S256", c.x5tS256())
	key := jose.SigningKey{Algorithm: alg, Key: c.Key}
	if !entra {
		opts = opts.WithHeader("x5t", c.x5t())
		key.Key = jose.JSONWebKey{Key: c.Key, KeyID: c.x5tS256()}
	}
	signer, err := jose.NewSigner(key, opts)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	return &ClientAssertion{signer: signer, alg: alg, clientID: clientID, audience: tokenURL}, nil
}

// assertionAlgorithm picks the JWS algorithm. Entra ID gets PS256, the
// algorithm its documentation names for x5t#S256 (its discovery document
// lists no algorithms). Other providers get RS256 for RSA keys, the
// algorithm every OpenID provider implements, unless they list algorithms
// without it; ECDSA P-256 keys can only make ES256.
func assertionAlgorithm(key crypto.Signer, entra bool, supported []string) (jose.SignatureAlgorithm, error) {
	var prefs []jose.SignatureAlgorithm
	switch key.(type) {
	case *rsa.PrivateKey:
		if entra {
			return jose.PS256, nil
		}
		prefs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256}
	case *ecdsa.PrivateKey:
		prefs = []jose.SignatureAlgorithm{jose.ES256}
	default: // refused by Certificate.validate already
		return "", fmt.Errorf("client certificate: unsupported key type %T", key)
	}
	if len(supported) == 0 {
		return prefs[0], nil
	}
	for _, a := range prefs {
		if slices.Contains(supported, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("the provider accepts client assertions signed with %v (token_endpoint_auth_signing_alg_values_supported), none of which the certificate's key can make (%v)", supported, prefs)
}

// sign returns a fresh assertion: iss and sub are the client ID, aud the
// token endpoint URL (what Entra ID requires, and what OIDC Core, section 9
// recommends), a random jti so that the provider can refuse a replay, and
// nbf = iat = now.
func (a *ClientAssertion) sign(now time.Time) (string, error) {
	jti, err := newGUID()
	if err != nil {
		return "", err
	}
	claims := jwt.Claims{
		Issuer:    a.clientID,
		Subject:   a.clientID,
		Audience:  jwt.Audience{a.audience}, // one value: serialized as a string
		ID:        jti,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(assertionLifetime)),
	}
	return jwt.Signed(a.signer).Claims(claims).Serialize()
}

// AuthCodeOptions are the token request parameters that authenticate
// Drawbridge (RFC 7523, section 2.2), for oauth2.Config.Exchange. client_id
// is sent by the oauth2 package itself.
func (a *ClientAssertion) AuthCodeOptions(now time.Time) ([]oauth2.AuthCodeOption, error) {
	raw, err := a.sign(now)
	if err != nil {
		return nil, fmt.Errorf("signing the client assertion: %w", err)
	}
	return []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("client_assertion_type", ClientAssertionType),
		oauth2.SetAuthURLParam("client_assertion", raw),
	}, nil
}

// newGUID returns a random (version 4) UUID: Entra ID documents jti as a
// GUID, and any provider accepts one as a unique string.
func newGUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
