package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ClientCertificate is a self-signed certificate for a relying party that
// authenticates with private_key_jwt (AddCertificateClient), with its key,
// also written as PEM files for tests that configure a relying party from
// files.
type ClientCertificate struct {
	Cert     *x509.Certificate
	Key      crypto.Signer
	CertPEM  []byte
	KeyPEM   []byte // PKCS#8 ("PRIVATE KEY")
	CertFile string
	KeyFile  string // mode 0600, as a private key file should be
}

// NewClientCertificate makes a self-signed certificate for key, or for a
// new RSA 2048 key when key is nil, valid from an hour ago for a day, and
// writes it and the key to a new directory under t.TempDir().
func NewClientCertificate(t testing.TB, key crypto.Signer) *ClientCertificate {
	t.Helper()
	if key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "drawbridge test client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &ClientCertificate{
		Cert:    cert,
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}
	dir, err := os.MkdirTemp(t.TempDir(), "cert")
	if err != nil {
		t.Fatal(err)
	}
	c.CertFile, c.KeyFile = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(c.CertFile, c.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.KeyFile, c.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// AssertNoKeyMaterial fails t if any line of the certificates' private key
// PEM made it into err: errors may name key files, never their contents.
func AssertNoKeyMaterial(t testing.TB, err error, ccs ...*ClientCertificate) {
	t.Helper()
	for _, cc := range ccs {
		for _, line := range strings.Split(string(cc.KeyPEM), "\n") {
			if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(err.Error(), line) {
				t.Errorf("error contains key material: %v", err)
				return
			}
		}
	}
}
