package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// certCheckEvery bounds how often the certificate files are looked at:
// at most once a second, on a TLS handshake, by two stat calls.
const certCheckEvery = time.Second

// certReloader serves the certificate in a pair of PEM files and loads it
// again when either file changes (a renewal by certbot or cert-manager, a
// Kubernetes Secret update), with no restart and no signal. A pair that
// fails to load (half written: a new certificate with the old key) leaves
// the previous certificate in use until the files change again.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]os.FileInfo // of the files when last loaded or tried
	checked time.Time
}

func newCertReloader(certFile, keyFile string, log *slog.Logger, now func() time.Time) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile, log: log, now: now}
	stamp, err := c.stat()
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading %s and %s: %w", certFile, keyFile, err)
	}
	c.cert, c.stamp, c.checked = &cert, stamp, now()
	return c, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= certCheckEvery || now.Before(c.checked) {
		c.checked = now
		c.reload()
	}
	return c.cert, nil
}

// reload loads the pair if either file differs from when it was last
// loaded or tried: another file (renamed over it, or a symlink switched),
// another size, or another modification time.
func (c *certReloader) reload() {
	stamp, err := c.stat()
	if err != nil {
		c.log.Warn("tls: cannot check the certificate files; serving the loaded certificate", "err", err)
		return
	}
	if same(stamp[0], c.stamp[0]) && same(stamp[1], c.stamp[1]) {
		return
	}
	c.stamp = stamp
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.log.Warn("tls: the changed certificate files do not load; serving the previous certificate", "err", err)
		return
	}
	c.cert = &cert
	if cert.Leaf != nil {
		c.log.Info("tls: certificate reloaded", "subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter)
	}
}

func (c *certReloader) stat() ([2]os.FileInfo, error) {
	var out [2]os.FileInfo
	for i, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f) // follows symlinks, as Kubernetes mounts use
		if err != nil {
			return out, err
		}
		out[i] = fi
	}
	return out, nil
}

func same(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// serve runs hs on ln, with TLS when it is configured. HTTP/2 is then
// offered through ALPN next to HTTP/1.1 (net/http adds "h2").
func (sv serving) serve(hs *http.Server, ln net.Listener) error {
	if sv.certs == nil {
		return hs.Serve(ln)
	}
	hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: sv.certs.GetCertificate}
	return hs.ServeTLS(ln, "", "")
}
