package doctor_test

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// A correct deployment, asked about by its MCP URL or by its bare origin:
// every check passes.
func TestCorrectDeployment(t *testing.T) {
	t.Parallel()
	gw := gwtest.Start(t, gwtest.Options{})
	for _, u := range []string{gw.MCP, gw.URL, gw.URL + "/"} {
		rep := diagnose(t, u, doctor.Options{})
		expect(t, rep, nil)
		if rep.Problems != 0 || rep.Warnings != 0 || rep.MCP != gw.MCP {
			t.Errorf("%s: %d problems, %d warnings, MCP URL %s", u, rep.Problems, rep.Warnings, rep.MCP)
		}
	}
}

// With the origin of a browser-based client that the server allows, the
// MCP endpoint's CORS is checked too; with one it does not allow, that is
// the problem.
func TestBrowserOrigin(t *testing.T) {
	t.Parallel()
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "    allowed_origins: [\"http://localhost:6274\"]\n"})
	expect(t, diagnose(t, gw.MCP, doctor.Options{Origin: "http://localhost:6274"}), nil)
	rep := diagnose(t, gw.MCP, doctor.Options{Origin: "https://app.example.com"})
	expect(t, rep, map[string]doctor.Status{"cors": doctor.Problem})
	if c := rep.Check("cors"); !strings.Contains(c.Seen, "the MCP endpoint") || !strings.Contains(c.Fix, "allowed_origins") {
		t.Errorf("cors: %+v", c)
	}
}

// public_url left at another address than the one clients use (here, the
// gateway is reached directly while it advertises https://gateway.invalid):
// that, and nothing else, is reported, because the doctor goes on at the
// address it reached.
func TestWrongPublicURL(t *testing.T) {
	t.Parallel()
	gw := gwtest.Start(t, gwtest.Options{PublicURL: "https://gateway.invalid"})
	rep := diagnose(t, gw.Direct+"/mcp", doctor.Options{})
	expect(t, rep, map[string]doctor.Status{"public_url": doctor.Problem})
	if c := rep.Check("public_url"); !strings.Contains(c.Seen, "https://gateway.invalid") || !strings.Contains(c.Fix, "public_url: "+gw.Direct) {
		t.Errorf("public_url: %+v", c)
	}
}

// A proxy that strips CORS headers and refuses preflights.
func TestMissingCORS(t *testing.T) {
	t.Parallel()
	f := startFront(t, nil, func(next http.Handler) http.Handler {
		strip := modify(func(h http.Header) {
			for k := range h {
				if strings.HasPrefix(k, "Access-Control-") {
					h.Del(k)
				}
			}
		})(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			strip.ServeHTTP(w, r)
		})
	})
	rep := diagnose(t, f.gw.MCP, doctor.Options{})
	expect(t, rep, map[string]doctor.Status{"cors": doctor.Problem})
	c := rep.Check("cors")
	for _, what := range []string{"protected resource metadata", "authorization server metadata", "token endpoint", "registration endpoint"} {
		if !strings.Contains(c.Seen, what) {
			t.Errorf("cors does not name %s: %s", what, c.Seen)
		}
	}
}

// A proxy whose clock is 10 minutes ahead (it rewrites Date), and a
// Drawbridge whose own clock is 10 minutes behind: each is the clock
// problem, and the report tells which clock is off.
func TestClockOff(t *testing.T) {
	t.Parallel()
	f := startFront(t, nil, modify(func(h http.Header) {
		h.Set("Date", time.Now().Add(10*time.Minute).UTC().Format(http.TimeFormat))
	}))
	rep := diagnose(t, f.gw.MCP, doctor.Options{})
	expect(t, rep, map[string]doctor.Status{"clock": doctor.Problem})
	if c := rep.Check("clock"); !strings.Contains(c.Seen, "the Date header is 10m0s ahead of") ||
		!strings.Contains(c.Seen, "Drawbridge's own clock (from the test stream) agrees") {
		t.Errorf("clock: %+v", c)
	}

	gw := gwtest.Start(t, gwtest.Options{})
	gw.Clock.Advance(-10 * time.Minute)
	rep = diagnose(t, gw.MCP, doctor.Options{})
	expect(t, rep, map[string]doctor.Status{"clock": doctor.Problem})
	if c := rep.Check("clock"); !strings.Contains(c.Seen, "Drawbridge's own clock (from the test stream) is 10m0s behind") {
		t.Errorf("clock: %+v", c)
	}
}

// An expired certificate on the TLS front, from an authority the doctor
// is told to trust: the expiry is the one problem, and the other checks
// still run.
func TestExpiredCertificate(t *testing.T) {
	t.Parallel()
	cert, roots := selfSigned(t, time.Now().Add(-72*time.Hour), time.Now().Add(-24*time.Hour))
	f := startFront(t, cert, nil)
	rep := diagnose(t, f.gw.MCP, doctor.Options{RootCAs: roots})
	expect(t, rep, map[string]doctor.Status{"tls": doctor.Problem})
	if c := rep.Check("tls"); !strings.Contains(c.Seen, "the certificate expired on") || strings.Contains(c.Seen, "authority") {
		t.Errorf("tls: %+v", c)
	}

	// Without the authority, that is reported too.
	rep = diagnose(t, f.gw.MCP, doctor.Options{})
	if c := rep.Check("tls"); c.Status != doctor.Problem || !strings.Contains(c.Seen, "does not chain to an authority") {
		t.Errorf("tls without the root: %+v", c)
	}

	// A good certificate from the same kind of authority passes, and one
	// about to expire draws a warning.
	cert, roots = selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
	expect(t, diagnose(t, startFront(t, cert, nil).gw.MCP, doctor.Options{RootCAs: roots}), nil)
	cert, roots = selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(3*24*time.Hour))
	expect(t, diagnose(t, startFront(t, cert, nil).gw.MCP, doctor.Options{RootCAs: roots}), map[string]doctor.Status{"tls": doctor.Warn})
}

// nginx in front. With the documented configuration events stream
// through. With nginx's defaults (proxy_buffering on, HTTP/1.0 to the
// upstream) they do too, because nginx honours the X-Accel-Buffering: no
// that Drawbridge sends on every stream, the test stream included. Told
// to ignore that header, nginx holds the stream until it ends: that is
// the problem reported.
func TestNginxBuffering(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, location string
		want           doctor.Status
	}{
		{"documented", `proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; proxy_request_buffering off;
            proxy_cache off; gzip off; proxy_read_timeout 1h;`, doctor.OK},
		{"defaults", "proxy_buffering on;", doctor.OK},
		{"X-Accel-Buffering ignored", "proxy_buffering on; proxy_ignore_headers X-Accel-Buffering;", doctor.Problem},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gw := startNginx(t, tt.location)
			rep := diagnose(t, gw.MCP, doctor.Options{})
			expect(t, rep, map[string]doctor.Status{"sse": tt.want})
			if c := rep.Check("sse"); tt.want == doctor.Problem && !strings.Contains(c.Fix, "proxy_buffering off") {
				t.Errorf("sse: %+v", c)
			}
		})
	}
}

// A certificate for other names than the one clients use.
func TestCertificateName(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/mcp"
	rep := diagnose(t, u, doctor.Options{RootCAs: roots})
	if c := rep.Check("tls"); c.Status != doctor.Problem || !strings.Contains(c.Seen, "not localhost") || strings.Contains(c.Seen, "expired") {
		t.Errorf("tls: %+v", c)
	}
}

// Nothing listens: that is said once, and the rest is skipped.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rep := diagnose(t, "http://"+addr+"/mcp", doctor.Options{})
	want := map[string]doctor.Status{"tls": doctor.Skip, "challenge": doctor.Problem}
	for _, n := range doctor.Names[3:] {
		want[n] = doctor.Skip
	}
	expect(t, rep, want)
	rep = diagnose(t, "https://"+addr+"/mcp", doctor.Options{})
	want["tls"], want["challenge"] = doctor.Problem, doctor.Skip
	expect(t, rep, want)
	if c := rep.Check("sse"); c.Seen != "the deployment cannot be reached" {
		t.Errorf("sse: %+v", c)
	}
}

// With several MCP servers, Drawbridge serves no root metadata: a bare
// origin cannot name an endpoint, and the root location is a warning for
// each endpoint. A server without scopes draws the scopes warning.
func TestSeveralServers(t *testing.T) {
	t.Parallel()
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "  - {name: other, path: /other, upstream: \"http://127.0.0.1:9/mcp\"}\n"})
	rep := diagnose(t, gw.URL, doctor.Options{})
	want := map[string]doctor.Status{"url": doctor.Problem}
	for _, n := range doctor.Names[1:] {
		want[n] = doctor.Skip
	}
	expect(t, rep, want)
	if c := rep.Check("url"); !strings.Contains(c.Fix, gw.URL+"/mcp") {
		t.Errorf("url: %+v", c)
	}
	rep = diagnose(t, gw.URL+"/other", doctor.Options{})
	expect(t, rep, map[string]doctor.Status{"well_known": doctor.Warn, "scopes": doctor.Warn})
	if c := rep.Check("scopes"); !strings.Contains(c.Seen, "neither the challenge nor scopes_supported names a scope") {
		t.Errorf("scopes: %+v", c)
	}
}

// Each run spends one of the registrations an address may make per hour
// (the empty one, which is refused), so two runs fit in a quota of two.
func TestOneRegistrationPerRun(t *testing.T) {
	t.Parallel()
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "registration: {per_address_per_hour: 2}\n"})
	for range 2 {
		expect(t, diagnose(t, gw.MCP, doctor.Options{StreamDelay: time.Second}), nil)
	}
	rep := diagnose(t, gw.MCP, doctor.Options{StreamDelay: time.Second})
	if c := rep.Check("registration"); c.Status != doctor.Warn || !strings.Contains(c.Seen, "429") {
		t.Errorf("a third run: %+v", c)
	}
}
