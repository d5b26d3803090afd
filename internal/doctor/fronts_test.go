package doctor_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// front is a proxy in front of a gateway, the way a load balancer is:
// clients reach the gateway only through it, and public_url is its URL.
type front struct {
	srv *httptest.Server
	gw  *gwtest.Gateway
}

// startFront starts a gateway behind a reverse proxy built by wrap (nil:
// a plain one that streams); with cert, the proxy serves https with that
// certificate.
func startFront(t *testing.T, cert *tls.Certificate, wrap func(http.Handler) http.Handler) *front {
	t.Helper()
	f := &front{}
	var ready sync.WaitGroup
	ready.Add(1)
	var handler http.Handler
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ready.Wait()
		handler.ServeHTTP(w, r)
	}))
	scheme := "http"
	if cert != nil {
		f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
		f.srv.StartTLS()
		scheme = "https"
	} else {
		f.srv.Start()
	}
	t.Cleanup(f.srv.Close)
	f.gw = gwtest.Start(t, gwtest.Options{PublicURL: scheme + "://" + f.srv.Listener.Addr().String()})
	direct, _ := url.Parse(f.gw.Direct)
	var proxy http.Handler = &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(direct); pr.Out.Host = pr.In.Host },
		FlushInterval: -1,
	}
	if wrap != nil {
		proxy = wrap(proxy)
	}
	handler = proxy
	ready.Done()
	return f
}

// modify is a proxy that changes every answer on its way out.
func modify(change func(http.Header)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&headerRewriter{ResponseWriter: w, change: change}, r)
		})
	}
}

// headerRewriter changes the headers just before they are sent; it passes
// flushes on, so streams still stream.
type headerRewriter struct {
	http.ResponseWriter
	change func(http.Header)
	done   bool
}

func (h *headerRewriter) WriteHeader(code int) {
	if h.done {
		return
	}
	h.done = true
	h.change(h.Header())
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerRewriter) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.ResponseWriter.Write(b)
}

func (h *headerRewriter) Flush() {
	h.WriteHeader(http.StatusOK)
	h.ResponseWriter.(http.Flusher).Flush()
}

// selfSigned makes a certificate for 127.0.0.1 that is its own authority,
// valid from notBefore to notAfter, and a pool that trusts it.
func selfSigned(t *testing.T, notBefore, notAfter time.Time) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "doctor test"},
		NotBefore: notBefore, NotAfter: notAfter, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// startNginx runs nginx on a free loopback port in front of a gateway
// whose public_url is nginx's; location holds the lines of its one
// location block besides proxy_pass. It skips the test without nginx
// (DRAWBRIDGE_TEST_NGINX, else nginx on PATH or in /usr/sbin).
func startNginx(t *testing.T, location string) *gwtest.Gateway {
	t.Helper()
	bin := os.Getenv("DRAWBRIDGE_TEST_NGINX")
	if bin == "" {
		bin, _ = exec.LookPath("nginx")
	}
	if bin == "" {
		if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
			bin = "/usr/sbin/nginx"
		}
	}
	if bin == "" {
		t.Skip("nginx is not installed (set DRAWBRIDGE_TEST_NGINX, or run scripts/install-balancers)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	gw := gwtest.Start(t, gwtest.Options{PublicURL: "http://" + addr})
	dir := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
        location / {
            proxy_pass %[3]s;
            proxy_set_header Host $http_host;
%[4]s
        }
    }
}
`, dir, addr, gw.Direct, location)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", "stderr")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("nginx output:\n%s", out.String())
		}
	})
	waitHTTP(t, "http://"+addr+"/healthz", exited)
	return gw
}

// waitHTTP polls url until it answers 200, or fails when the process
// exits or half a minute passes.
func waitHTTP(t *testing.T, url string, exited <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatal("nginx exited")
		case <-ctx.Done():
			t.Fatalf("%s did not answer", url)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// diagnose runs the doctor with a stream delay long enough that a
// buffering proxy and an honest one cannot be mistaken for each other on
// a busy machine.
func diagnose(t *testing.T, u string, opt doctor.Options) *doctor.Report {
	t.Helper()
	if opt.StreamDelay == 0 {
		opt.StreamDelay = 3 * time.Second
	}
	rep, err := doctor.Run(context.Background(), u, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// expect checks every check's status: those named in want, and OK for
// the rest (skip for tls over http).
func expect(t *testing.T, rep *doctor.Report, want map[string]doctor.Status) {
	t.Helper()
	for _, c := range rep.Checks {
		w, ok := want[c.Name]
		if !ok {
			w = doctor.OK
			if c.Name == "tls" && strings.HasPrefix(rep.MCP, "http:") {
				w = doctor.Skip
			}
		}
		if c.Status != w {
			t.Errorf("%s: %s (%s; fix: %s), want %s", c.Name, c.Status, c.Seen, c.Fix, w)
		}
		if (c.Status == doctor.Problem || c.Status == doctor.Warn) && c.Fix == "" {
			t.Errorf("%s: %s without a fix", c.Name, c.Status)
		}
	}
	if len(rep.Checks) != len(doctor.Names) {
		t.Errorf("%d checks, want %d", len(rep.Checks), len(doctor.Names))
	}
	if t.Failed() {
		var b strings.Builder
		_ = rep.WriteText(&b)
		t.Log("\n" + b.String())
	}
}
