package doctor_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
)

// intercept is a proxy that answers one path itself and forwards the rest.
func intercept(path string, h http.HandlerFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == path {
				h(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// A broken or hostile server in front of the gateway cannot crash the
// doctor, make it wait without end, read without limit or write escape
// sequences to the terminal: each misbehaviour is a problem in the report.
func TestHostileServer(t *testing.T) {
	t.Parallel()
	const prm = "/.well-known/oauth-protected-resource/mcp"
	for _, tt := range []struct {
		name, path string
		h          http.HandlerFunc
		want       map[string]doctor.Status
		seen       string
	}{
		{"the MCP endpoint never answers", "/mcp", func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server notice the doctor hang up.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		},
			skipAfter("challenge", doctor.Problem), "no answer in time"},
		{"the MCP endpoint redirects to itself", "/mcp", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/mcp", http.StatusTemporaryRedirect)
		}, map[string]doctor.Status{"challenge": doctor.Problem, "scopes": doctor.Skip}, `redirecting to "/mcp"`},
		{"an unterminated challenge", "/mcp", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="http://x`)
			w.WriteHeader(http.StatusUnauthorized)
		}, map[string]doctor.Status{"challenge": doctor.Problem, "scopes": doctor.Skip}, "unterminated quoted-string"},
		{"a metadata document of 10 MB", prm, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(bytes.Repeat([]byte(" "), 10<<20))
		}, afterPRM(), "more than 256 KiB"},
		{"a member named twice", prm, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"resource": "a", "resource": "b", "authorization_servers": []}`))
		}, afterPRM(), "not valid JSON"},
		{"escape sequences", prm, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"resource": "\u001b]0;pwned\u0007\u001b[2J", "authorization_servers": ["\u202ehttps://x"]}`))
		}, map[string]doctor.Status{"resource_metadata": doctor.Problem, "public_url": doctor.OK, "well_known": doctor.Warn,
			"authorization_server": doctor.Skip, "issuer": doctor.Skip, "registration": doctor.Skip, "cors": doctor.Problem}, `\x1b]0;pwned\a`},
		{"a stream line without end", doctor.StreamPath, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 0; i < 1000 && r.Context().Err() == nil; i++ {
				_, _ = w.Write(bytes.Repeat([]byte("a"), 1<<10))
				w.(http.Flusher).Flush()
			}
		}, map[string]doctor.Status{"sse": doctor.Problem}, "too long"},
		{"a stream that never sends an event", doctor.StreamPath, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, map[string]doctor.Status{"sse": doctor.Problem}, "no event of the test stream arrived"},
		{"a stream of other events", doctor.StreamPath, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write([]byte("data: {\"seq\": 7}\n\n"))
		}, map[string]doctor.Status{"sse": doctor.Problem}, "is not the test stream's"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFront(t, nil, intercept(tt.path, tt.h))
			rep := diagnose(t, f.gw.MCP, doctor.Options{Timeout: time.Second, StreamDelay: time.Second})
			expect(t, rep, tt.want)
			var text bytes.Buffer
			if err := rep.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), tt.seen) {
				t.Errorf("the report does not say %q:\n%s", tt.seen, text.String())
			}
			if bytes.ContainsAny(text.Bytes(), "\x1b\x07\u202e") {
				t.Errorf("control characters reach the terminal:\n%q", text.String())
			}
		})
	}
}

// skipAfter: the named check has status s, and every check after it is
// skipped, because the deployment cannot be reached.
func skipAfter(name string, s doctor.Status) map[string]doctor.Status {
	want := map[string]doctor.Status{}
	after := false
	for _, n := range doctor.Names {
		switch {
		case n == name:
			want[n], after = s, true
		case after:
			want[n] = doctor.Skip
		}
	}
	return want
}

// afterPRM: what follows an unreadable protected resource metadata
// document: the checks that need it are skipped.
func afterPRM() map[string]doctor.Status {
	return map[string]doctor.Status{"resource_metadata": doctor.Problem, "well_known": doctor.Skip, "scopes": doctor.Skip,
		"authorization_server": doctor.Skip, "issuer": doctor.Skip, "registration": doctor.Skip, "cors": doctor.Skip}
}

// serveJSON answers like a well-behaved metadata endpoint (CORS included)
// with a document built from the base URL the request came to.
func serveJSON(status int, doc func(base string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Headers", "*")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, doc("http://"+r.Host))
	}
}

// Metadata that parses but says the wrong thing: each is reported by the
// check it belongs to, and only there.
func TestWrongMetadata(t *testing.T) {
	t.Parallel()
	asDoc := func(issuerSuffix, pkce string) func(string) string {
		return func(base string) string {
			return `{"issuer": "` + base + issuerSuffix + `", "authorization_endpoint": "` + base + `/authorize", "token_endpoint": "` +
				base + `/token", "registration_endpoint": "` + base + `/register", "response_types_supported": ["code"], ` +
				`"code_challenge_methods_supported": ["` + pkce + `"]}`
		}
	}
	for _, tt := range []struct {
		name, path string
		h          http.HandlerFunc
		want       map[string]doctor.Status
		seen       string
	}{
		{"an issuer with a trailing slash", "/.well-known/oauth-authorization-server", serveJSON(http.StatusOK, asDoc("/", "S256")),
			map[string]doctor.Status{"issuer": doctor.Problem}, "differ only by a trailing slash"},
		{"no PKCE S256", "/.well-known/oauth-authorization-server", serveJSON(http.StatusOK, asDoc("", "plain")),
			map[string]doctor.Status{"authorization_server": doctor.Problem}, "does not list S256"},
		{"another resource", "/.well-known/oauth-protected-resource/mcp", serveJSON(http.StatusOK, func(base string) string {
			return `{"resource": "` + base + `/other", "authorization_servers": ["` + base + `"], "scopes_supported": ["snippets"]}`
		}), map[string]doctor.Status{"resource_metadata": doctor.Problem, "well_known": doctor.Warn}, "not the MCP URL"},
		{"registration wants credentials", "/register", serveJSON(http.StatusUnauthorized, func(string) string { return `{"error": "invalid_token"}` }),
			map[string]doctor.Status{"registration": doctor.Problem}, "it wants credentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFront(t, nil, intercept(tt.path, tt.h))
			rep := diagnose(t, f.gw.MCP, doctor.Options{StreamDelay: time.Second})
			expect(t, rep, tt.want)
			var text bytes.Buffer
			_ = rep.WriteText(&text)
			if !strings.Contains(text.String(), tt.seen) {
				t.Errorf("the report does not say %q:\n%s", tt.seen, text.String())
			}
		})
	}
}
