package oauthclient

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// minRSABits is the smallest RSA key RFC 7518, section 3.3 allows for RS256
// and PS256; Entra ID refuses smaller ones too.
const minRSABits = 2048

// Certificate is a client certificate: instead of sending a client secret,
// Drawbridge authenticates at the provider's token endpoint with a JWT it
// signs with Key (private_key_jwt: OIDC Core, section 9 and RFC 7523,
// section 2.2). The provider holds only Leaf, uploaded to the client
// registration, so no shared secret exists that could leak from either side.
type Certificate struct {
	// Leaf is the certificate registered at the provider. Its thumbprint
	// tells the provider which registered key verifies the assertion.
	Leaf *x509.Certificate
	// Key is Leaf's private key: an *rsa.PrivateKey of at least 2048 bits
	// (signing RS256 or PS256) or an *ecdsa.PrivateKey on P-256 (ES256).
	// Other crypto.Signer implementations are refused.
	Key crypto.Signer
}

// LoadCertificate reads a client certificate and its private key from PEM
// files. The certificate file's first CERTIFICATE block is the leaf (a chain
// after it is ignored: the provider knows the certificate itself, not a CA).
// The key may be PKCS#1 ("RSA PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") or
// PKCS#8 ("PRIVATE KEY"), unencrypted; both may be in one file, given twice.
// Errors name the files but never contain key material.
func LoadCertificate(certPEMFile, keyPEMFile string) (*Certificate, error) {
	certPEM, err := os.ReadFile(certPEMFile)
	if err != nil {
		return nil, fmt.Errorf("oauthclient: client certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPEMFile)
	if err != nil {
		return nil, fmt.Errorf("oauthclient: client certificate key: %w", err)
	}
	c, err := ParseCertificate(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w (files %s and %s)", err, certPEMFile, keyPEMFile)
	}
	return c, nil
}

// ParseCertificate is LoadCertificate for PEM data already in memory.
func ParseCertificate(certPEM, keyPEM []byte) (*Certificate, error) {
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	c := &Certificate{Leaf: leaf, Key: key}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("oauthclient: client certificate: %w", err)
	}
	return c, nil
}

func parseLeaf(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return nil, errors.New("oauthclient: client certificate: no PEM CERTIFICATE block found")
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("oauthclient: client certificate: %w", err)
		}
		return c, nil
	}
}

// parseKey returns the first private key in data. Parse errors are reported
// by block type only: the x509 errors do not echo input, but nothing here
// risks putting key bytes into a log either.
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return nil, errors.New("oauthclient: client certificate key: no PEM private key block found (RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY)")
		}
		var (
			key any
			err error
		)
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] == "4,ENCRYPTED":
			// A passphrase would have to live next to the file anyway;
			// protect the file (mode 0600, a secret store mount) instead.
			return nil, errors.New("oauthclient: client certificate key: the key is encrypted; store it unencrypted with restricted file permissions (openssl pkey -in KEY -out KEY.plain)")
		case b.Type == "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case b.Type == "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(b.Bytes)
		case b.Type == "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("oauthclient: client certificate key: %s block: %w", b.Type, err)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("oauthclient: client certificate key: unsupported key type %T", key)
		}
		return s, nil
	}
}

// Validate checks what the provider would otherwise reject with an opaque
// invalid_client at the first sign-in.
func (c *Certificate) Validate() error {
	if c.Leaf == nil || c.Key == nil {
		return errors.New("needs both the certificate and its private key")
	}
	switch k := c.Key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key has %d bits; at least %d are required", k.N.BitLen(), minRSABits)
		}
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("ECDSA key on %s; only P-256 (ES256) is supported", k.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("unsupported key type %T; use an RSA or ECDSA P-256 key", c.Key)
	}
	pub, ok := c.Leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(c.Key.Public()) {
		return errors.New("the private key does not belong to the certificate")
	}
	return nil
}

// Thumbprint is the certificate's SHA-1 thumbprint in upper-case hex, the
// form the Entra admin center shows under "Certificates & secrets", so that
// an operator can tell which uploaded certificate Drawbridge uses.
func (c *Certificate) Thumbprint() string {
	sum := sha1.Sum(c.Leaf.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// x5t is the "x5t" JWS header value: base64url SHA-1 thumbprint of the DER
// certificate (RFC 7515, section 4.1.7). SHA-1 only names the certificate
// here; nothing relies on its collision resistance.
func (c *Certificate) x5t() string {
	sum := sha1.Sum(c.Leaf.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// x5tS256 is the "x5t#S256" JWS header value: base64url SHA-256 thumbprint
// of the DER certificate (RFC 7515, section 4.1.8).
func (c *Certificate) x5tS256() string {
	sum := sha256.Sum256(c.Leaf.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
