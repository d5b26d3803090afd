package config

import (
	"strings"
	"testing"
)

func TestIdentityClientCertificate(t *testing.T) {
	const base = `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
servers: [{name: snippets, path: /mcp, upstream: "http://127.0.0.1:7071/mcp"}]
identity:
`
	const entra = "  type: entra\n  entra:\n    tenant_id: 8eaef023-2b34-4da1-9baa-8bc8c9d6a490\n    client_id: app\n"
	const oidc = "  type: oidc\n  oidc:\n    issuer: https://idp.example.com\n    client_id: app\n"
	const cert = "    client_certificate: {cert_file: \"${CERT_DIR}/drawbridge.crt\", key_file: \"${CERT_DIR}/drawbridge.key\"}\n"
	vars := env(map[string]string{"CERT_DIR": "/run/secrets", "SECRET": "s3cret-s3cret-s3cret"})
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{name: "Entra with a certificate", yaml: entra + cert},
		{name: "Entra with a secret", yaml: entra + "    client_secret: ${SECRET}\n"},
		{name: "Entra with both", yaml: entra + cert + "    client_secret: ${SECRET}\n",
			wantErr: "identity.entra: client_secret and client_certificate are both set"},
		{name: "Entra with neither", yaml: entra, wantErr: "identity.entra.client_secret: required (or client_certificate)"},
		{name: "Entra certificate without a key file", yaml: entra + "    client_certificate: {cert_file: /x.crt}\n",
			wantErr: "identity.entra.client_certificate.key_file: required"},
		{name: "OIDC with a certificate", yaml: oidc + cert},
		{name: "OIDC public client", yaml: oidc},
		{name: "OIDC with both", yaml: oidc + cert + "    client_secret: ${SECRET}\n",
			wantErr: "identity.oidc: client_secret and client_certificate are both set"},
		{name: "OIDC certificate without files", yaml: oidc + "    client_certificate: {}\n",
			wantErr: "identity.oidc.client_certificate.cert_file: required"},
		{name: "unknown key", yaml: oidc + "    client_certificate: {cert_file: /a, key_file: /b, password: x}\n",
			wantErr: "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(base+tt.yaml), vars)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cc := c.Identity.Entra.ClientCertificate
			if c.Identity.Type == "oidc" {
				cc = c.Identity.OIDC.ClientCertificate
			}
			if strings.Contains(tt.yaml, "client_certificate") &&
				(cc == nil || cc.CertFile != "/run/secrets/drawbridge.crt" || cc.KeyFile != "/run/secrets/drawbridge.key") {
				t.Errorf("client_certificate = %+v, want expanded paths", cc)
			}
		})
	}
}
