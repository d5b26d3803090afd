package oauthclient_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

func writeFile(t *testing.T, name string, data ...[]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	var all []byte
	for _, d := range data {
		all = append(all, d...)
	}
	if err := os.WriteFile(p, all, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemBlock(typ string, der []byte, headers map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
}

func TestLoadCertificate(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaCC := oidctest.NewClientCertificate(t, rsaKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCC := oidctest.NewClientCertificate(t, ecKey)
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ca := oidctest.NewClientCertificate(t, nil) // stands for a CA certificate after the leaf

	tests := []struct {
		name           string
		certPEM        [][]byte
		keyPEM         [][]byte
		sameFile       bool // cert and key in one file
		wantLeaf       *x509.Certificate
		wantErr        string
		wantErrNotFile bool // error from reading, naming one file
	}{
		{name: "RSA, PKCS#8", certPEM: [][]byte{rsaCC.CertPEM}, keyPEM: [][]byte{rsaCC.KeyPEM}, wantLeaf: rsaCC.Cert},
		{name: "RSA, PKCS#1", certPEM: [][]byte{rsaCC.CertPEM}, keyPEM: [][]byte{pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil)}, wantLeaf: rsaCC.Cert},
		{name: "ECDSA, SEC 1", certPEM: [][]byte{ecCC.CertPEM}, keyPEM: [][]byte{pemBlock("EC PRIVATE KEY", ecDER, nil)}, wantLeaf: ecCC.Cert},
		{name: "ECDSA, PKCS#8", certPEM: [][]byte{ecCC.CertPEM}, keyPEM: [][]byte{ecCC.KeyPEM}, wantLeaf: ecCC.Cert},
		{name: "one file with a chain, the key last", sameFile: true,
			certPEM: [][]byte{rsaCC.CertPEM, ca.CertPEM, rsaCC.KeyPEM}, wantLeaf: rsaCC.Cert},
		{name: "EC parameters before the key", certPEM: [][]byte{ecCC.CertPEM},
			keyPEM: [][]byte{pemBlock("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}, nil), pemBlock("EC PRIVATE KEY", ecDER, nil)}, wantLeaf: ecCC.Cert},
		{name: "no certificate", certPEM: [][]byte{rsaCC.KeyPEM}, keyPEM: [][]byte{rsaCC.KeyPEM}, wantErr: "no PEM CERTIFICATE block"},
		{name: "no key", certPEM: [][]byte{rsaCC.CertPEM}, keyPEM: [][]byte{rsaCC.CertPEM}, wantErr: "no PEM private key block"},
		{name: "not PEM", certPEM: [][]byte{[]byte("hello")}, keyPEM: [][]byte{rsaCC.KeyPEM}, wantErr: "no PEM CERTIFICATE block"},
		{name: "key of another certificate", certPEM: [][]byte{rsaCC.CertPEM}, keyPEM: [][]byte{ca.KeyPEM}, wantErr: "does not belong to the certificate"},
		{name: "encrypted PKCS#8", certPEM: [][]byte{rsaCC.CertPEM}, keyPEM: [][]byte{pemBlock("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}, nil)}, wantErr: "encrypted"},
		{name: "legacy encrypted PEM", certPEM: [][]byte{rsaCC.CertPEM},
			keyPEM:  [][]byte{pemBlock("RSA PRIVATE KEY", []byte{1, 2, 3}, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"})},
			wantErr: "encrypted"},
		{name: "corrupt key", certPEM: [][]byte{rsaCC.CertPEM}, keyPEM: [][]byte{pemBlock("PRIVATE KEY", []byte{1, 2, 3}, nil)}, wantErr: "PRIVATE KEY block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			certFile := writeFile(t, "c.pem", tt.certPEM...)
			keyFile := certFile
			if !tt.sameFile {
				keyFile = writeFile(t, "k.pem", tt.keyPEM...)
			}
			c, err := oauthclient.LoadCertificate(certFile, keyFile)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), certFile) || !strings.Contains(err.Error(), keyFile) {
					t.Errorf("error does not name the files: %v", err)
				}
				oidctest.AssertNoKeyMaterial(t, err, rsaCC, ecCC, ca)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.Leaf.Equal(tt.wantLeaf) {
				t.Errorf("leaf = %s, want %s", c.Leaf.Subject, tt.wantLeaf.Subject)
			}
			sum := sha1.Sum(tt.wantLeaf.Raw)
			if got := c.Thumbprint(); got != strings.ToUpper(hex.EncodeToString(sum[:])) {
				t.Errorf("Thumbprint = %s", got)
			}
		})
	}
}

func TestLoadCertificateRefusesWeakOrUnsupportedKeys(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		cc   *oidctest.ClientCertificate
		want string
	}{
		"RSA 1024":  {oidctest.NewClientCertificate(t, small), "at least 2048"},
		"ECDSA 384": {oidctest.NewClientCertificate(t, p384), "only P-256"},
		"Ed25519":   {oidctest.NewClientCertificate(t, edKey), "unsupported key type"},
	} {
		_, err := oauthclient.LoadCertificate(tc.cc.CertFile, tc.cc.KeyFile)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", name, err, tc.want)
		}
	}
}

func TestLoadCertificateMissingFile(t *testing.T) {
	t.Parallel()
	cc := oidctest.NewClientCertificate(t, nil)
	missing := filepath.Join(t.TempDir(), "nope.key")
	_, err := oauthclient.LoadCertificate(cc.CertFile, missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("error = %v, want one naming %s", err, missing)
	}
}
