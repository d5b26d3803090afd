package config

import "strings"

// TLS makes Drawbridge serve HTTPS itself, for a deployment with no
// TLS-terminating proxy in front. Both files are PEM; the key must not be
// encrypted. They are read at startup (a missing or mismatched pair stops
// the server) and again whenever either file changes, so a renewed
// certificate (certbot, cert-manager, a Kubernetes Secret) is served without
// a restart. HTTP/2 is negotiated over TLS (ALPN h2) alongside HTTP/1.1.
type TLS struct {
	// CertFile holds the certificate chain, leaf first.
	CertFile string `yaml:"cert_file"`
	// KeyFile holds its private key (PKCS#1, PKCS#8 or SEC 1).
	KeyFile string `yaml:"key_file"`
}

// Enabled reports whether Drawbridge serves HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

func (v *validator) tls(c *Config) {
	t := c.TLS
	if !t.Enabled() {
		return
	}
	if t.CertFile == "" || t.KeyFile == "" {
		v.add("tls: needs both cert_file and key_file")
	}
	if c.H2C {
		v.add("tls: h2c is HTTP/2 without TLS; with tls set, HTTP/2 is negotiated over TLS, so remove h2c")
	}
	if !strings.HasPrefix(c.PublicURL, "https://") {
		v.add("tls: public_url %q is not https, so clients would never use the TLS Drawbridge serves", c.PublicURL)
	}
}
