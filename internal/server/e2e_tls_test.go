package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// testCA issues certificates for 127.0.0.1 that clients trusting Pool
// accept.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	Pool *x509.CertPool
	next int64
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Drawbridge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, Pool: pool, next: 100}
}

// issue writes a new leaf certificate and its key to certFile and
// keyFile (each replaced by a rename, as renewal tools do) and returns its
// serial number.
func (ca *testCA) issue(t *testing.T, certFile, keyFile string) *big.Int {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca.next++
	serial := big.NewInt(ca.next)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	replaceFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	replaceFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return serial
}

func replaceFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// startTLS runs a gateway serving HTTPS on a free port, with public_url
// the https URL clients use.
func startTLS(t *testing.T, certFile, keyFile string) *gwtest.Gateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return gwtest.Start(t, gwtest.Options{Listen: addr, PublicURL: "https://" + addr,
		ExtraYAML: "tls: {cert_file: \"" + certFile + "\", key_file: \"" + keyFile + "\"}\n"})
}

// tlsClient trusts ca, offers HTTP/2 and counts the responses that came
// over it; fresh connections per request when fresh is set.
type tlsClient struct {
	*http.Client
	h2 atomic.Int64
}

func newTLSClient(ca *testCA, fresh bool) *tlsClient {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}, ForceAttemptHTTP2: true, DisableKeepAlives: fresh}
	c := &tlsClient{}
	c.Client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := tr.RoundTrip(r)
		if err == nil && resp.ProtoMajor == 2 {
			c.h2.Add(1)
		}
		return resp, err
	})}
	return c
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTLS: Drawbridge serves HTTPS itself. An MCP client signs in
// (discovery, registration, browser sign-in with __Host- cookies, token)
// and uses its session entirely over HTTPS and HTTP/2.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca := newTestCA(t)
	ca.issue(t, certFile, keyFile)
	gw := startTLS(t, certFile, keyFile)
	if !strings.HasPrefix(gw.URL, "https://") {
		t.Fatalf("public URL %s", gw.URL)
	}
	// Plain HTTP on the TLS port is refused.
	if resp, err := http.Get("http://" + strings.TrimPrefix(gw.URL, "https://") + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP answered on the TLS listener")
		}
	}
	hc := newTLSClient(ca, false)
	br := browser.New(gw.URL)
	br.Client.Transport = hc.Transport
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := sdkOAuthHandlerWith(t, br, gwtest.User, hc.Client)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "tls-client", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.MCP, OAuthHandler: h, HTTPClient: hc.Client}, nil)
	if err != nil {
		t.Fatalf("connect over HTTPS: %v", err)
	}
	defer cs.Close()
	gwtest.CallText(t, ctx, cs, "save_snippet", map[string]any{"snippetname": "tls", "snippet": "over TLS"})
	if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": "tls"}); !strings.Contains(got, "over TLS") {
		t.Errorf("get_snippet = %q", got)
	}
	if hc.h2.Load() < 4 {
		t.Errorf("only %d responses came over HTTP/2", hc.h2.Load())
	}
	cookies := br.Client.Jar.Cookies(mustURL(t, gw.URL+"/"))
	if len(cookies) == 0 || !strings.HasPrefix(cookies[0].Name, "__Host-") {
		t.Errorf("browser cookies over HTTPS: %v, want a __Host- cookie", cookies)
	}
}

// TestTLSReload: a renewed certificate is served on new connections
// without a restart; a broken pair leaves the previous one in service.
func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca := newTestCA(t)
	first := ca.issue(t, certFile, keyFile)
	gw := startTLS(t, certFile, keyFile)
	hc := newTLSClient(ca, true)
	if got := servedSerial(t, hc, gw.URL); got.Cmp(first) != 0 {
		t.Fatalf("serving serial %v, want %v", got, first)
	}

	second := ca.issue(t, certFile, keyFile)
	waitForSerial(t, hc, gw, second)

	// A certificate without its key (a renewal half done) is not loaded.
	replaceFile(t, certFile, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"))
	waitForLog(t, hc, gw, "do not load")
	if got := servedSerial(t, hc, gw.URL); got.Cmp(second) != 0 {
		t.Fatalf("after a broken renewal: serving serial %v, want the previous %v", got, second)
	}
	// The next good pair is.
	third := ca.issue(t, certFile, keyFile)
	waitForSerial(t, hc, gw, third)
}

func servedSerial(t *testing.T, hc *tlsClient, base string) *big.Int {
	t.Helper()
	resp, err := hc.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.ProtoMajor != 2 {
		t.Fatalf("healthz over HTTPS: %d, TLS %v, HTTP/%d", resp.StatusCode, resp.TLS != nil, resp.ProtoMajor)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber
}

// waitForSerial polls (files are checked at most once a second) until new
// connections get the certificate with serial want.
func waitForSerial(t *testing.T, hc *tlsClient, gw *gwtest.Gateway, want *big.Int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for servedSerial(t, hc, gw.URL).Cmp(want) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the renewed certificate (serial %v) was never served", want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForLog makes handshakes (each makes the server look at the files,
// at most once a second) until the gateway has logged s.
func waitForLog(t *testing.T, hc *tlsClient, gw *gwtest.Gateway, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(gw.Logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q", s)
		}
		servedSerial(t, hc, gw.URL)
		time.Sleep(100 * time.Millisecond)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTLSConfigErrors: a half-configured pair, h2c with TLS, an http
// public URL, and unreadable files are refused at startup.
func TestTLSConfigErrors(t *testing.T) {
	base := "public_url: %s\nencryption_keys: [{id: k, key: \"" + tokens.GenerateKey() + "\"}]\n" +
		"identity: {type: local, local: {users: [{username: a, password_hash: \"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\"}]}}\n" +
		"servers: [{name: s, path: /mcp, upstream: \"http://127.0.0.1:1/mcp\"}]\n%s"
	for _, tc := range []struct{ public, extra, want string }{
		{"https://127.0.0.1:8443", "tls: {cert_file: /x.crt}\n", "needs both"},
		{"https://127.0.0.1:8443", "h2c: true\ntls: {cert_file: /x.crt, key_file: /x.key}\n", "h2c"},
		{"http://127.0.0.1:8443", "tls: {cert_file: /x.crt, key_file: /x.key}\n", "not https"},
	} {
		_, err := config.Parse([]byte(fmt.Sprintf(base, tc.public, tc.extra)), func(string) (string, bool) { return "", false })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.extra, err, tc.want)
		}
	}
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(base, "https://127.0.0.1:8443",
		"storage: {sqlite: {path: \""+dir+"/db\"}}\ntls: {cert_file: \""+dir+"/missing.crt\", key_file: \""+dir+"/missing.key\"}\n")),
		func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(context.Background(), cfg, server.Options{}); err == nil || !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("server.New with missing certificate files: %v", err)
	}
}
