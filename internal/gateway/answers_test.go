package gateway

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

var update = flag.Bool("update", false, "rewrite golden files")

// roundTripFunc is a backend transport made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// timeoutError is what a transport reports when the backend is too slow.
type timeoutError struct{}

func (timeoutError) Error() string   { return "timeout awaiting response headers" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// answerBackend answers every message of a body with a result, as JSON.
func answerBackend(r *http.Request) (*http.Response, error) {
	be := &batchBackend{}
	rec := httptest.NewRecorder()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	be.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// answerCase is one request the gateway answers itself.
type answerCase struct {
	name    string
	backend func(*Backend)
	opts    func(*Options)
	// prime runs first, on the same gateway (to use up a limit, to bind a
	// task to another subject).
	prime *http.Request
	req   *http.Request
}

// TestGatewayAnswers pins every answer the gateway makes itself — status,
// headers and body, byte for byte — in testdata/answers.golden: MCP
// clients read these bodies (the JSON-RPC code, the message, the data) to
// decide what to do next, so a refactor must not change them. Run with
// -update after a deliberate change.
func TestGatewayAnswers(t *testing.T) {
	rpc := func(method, body string, hdr ...string) *http.Request {
		r := httptest.NewRequest(method, "https://gw.example/mcp", strings.NewReader(body))
		r.RemoteAddr = "192.0.2.1:4321"
		r.Header.Set("Authorization", "Bearer good")
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Add(hdr[i], hdr[i+1])
		}
		return r
	}
	ping := msg("7", "ping", "")
	failing := func(err error) func(*Options) {
		return func(o *Options) {
			o.Transport = roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, err })
		}
	}
	withPolicy := func(s *Backend) {
		p, err := policy.Compile(policy.Spec{Default: policy.Allow, Rules: []policy.RuleSpec{
			{Name: "no-secrets", Tools: []string{"secret_*"}, Effect: policy.Deny},
			{Name: "no-secret-prompts", Prompts: []string{"secret_*"}, Effect: policy.Deny},
			{Name: "no-secret-files", Resources: []string{"file:///secret/*"}, Effect: policy.Deny},
			{Name: "small", Tools: []string{"pay"}, When: "request.arguments.amount > 100.0", Effect: policy.Deny},
		}})
		if err != nil {
			t.Fatal(err)
		}
		s.Policy = p
	}
	oncePerMinute := func(s *Backend) {
		s.RateRules = []RateRule{{Limit: ratelimit.Limit{Name: "calls", Kind: ratelimit.TokenBucket, Rate: 1.0 / 60, Burst: 1}, Per: []string{"user"}}}
	}
	limited := func(o *Options) {
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		o.Limiter = ratelimit.NewMemory(func() time.Time { return now })
	}
	twoTimes := func(r *http.Request) *http.Request {
		r2 := r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		r.Body, r2.Body = io.NopCloser(bytes.NewReader(b)), io.NopCloser(bytes.NewReader(b))
		return r2
	}
	call := msg("7", "tools/call", `{"name":"echo","arguments":{}}`)
	callReq := rpc(http.MethodPost, call)
	getReq := rpc(http.MethodGet, "")
	cases := []answerCase{
		{name: "no token", req: func() *http.Request { r := rpc(http.MethodPost, ping); r.Header.Del("Authorization"); return r }()},
		{name: "address not allowed", backend: func(s *Backend) { s.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} }, req: rpc(http.MethodPost, ping)},
		{name: "foreign origin", req: rpc(http.MethodPost, ping, "Origin", "https://evil.example")},
		// A browser's request (Origin, here the gateway's own) gets the
		// CORS headers that let its page read the answer: WWW-Authenticate
		// above all. Requests without Origin get none.
		{name: "no token, from a browser", req: func() *http.Request {
			r := rpc(http.MethodPost, ping, "Origin", "https://gw.example")
			r.Header.Del("Authorization")
			return r
		}()},
		{name: "may not connect", backend: func(s *Backend) {
			p, err := policy.Compile(policy.Spec{Connect: policy.Who{Subjects: []string{"bob"}}})
			if err != nil {
				t.Fatal(err)
			}
			s.Policy = p
		}, req: rpc(http.MethodPost, ping)},
		{name: "two session headers", req: rpc(http.MethodPost, ping, "Mcp-Session-Id", "a", "Mcp-Session-Id", "b")},
		{name: "body too large", backend: func(s *Backend) { s.MaxBodyBytes = 16 }, req: rpc(http.MethodPost, ping)},
		{name: "not JSON", req: rpc(http.MethodPost, `{"jsonrpc":`)},
		{name: "not a request", req: rpc(http.MethodPost, `{"jsonrpc":"2.0","id":7}`)},
		{name: "header mismatch", req: rpc(http.MethodPost, ping, "Mcp-Method", "tools/list")},
		{name: "batch after 2025-03-26", req: rpc(http.MethodPost, batchOf(ping, msg("8", "ping", "")), "MCP-Protocol-Version", "2025-06-18")},
		{name: "batch with Mcp-Method", req: rpc(http.MethodPost, batchOf(ping, msg("8", "ping", "")), "Mcp-Method", "ping")},
		{name: "tool refused", backend: withPolicy, req: rpc(http.MethodPost, msg("7", "tools/call", `{"name":"secret_x","arguments":{}}`))},
		{name: "tool refused, from a browser", backend: withPolicy, req: rpc(http.MethodPost, msg("7", "tools/call", `{"name":"secret_x","arguments":{}}`), "Origin", "https://gw.example")},
		{name: "prompt refused", backend: withPolicy, req: rpc(http.MethodPost, msg("7", "prompts/get", `{"name":"secret_p"}`))},
		{name: "resource refused", backend: withPolicy, req: rpc(http.MethodPost, msg(`"r"`, "resources/read", `{"uri":"file:///secret/a<b>&c"}`))},
		{name: "unreadable arguments", backend: withPolicy, req: rpc(http.MethodPost, msg("7", "tools/call", `{"name":"pay","arguments":{"amount":1e999}}`))},
		{name: "batch all refused", backend: withPolicy, req: rpc(http.MethodPost, batchOf(
			msg("1", "tools/call", `{"name":"secret_a"}`), msg("", "tools/call", `{"name":"secret_b"}`), msg(`"x"`, "resources/read", `{"uri":"file:///secret/x"}`)))},
		{name: "batch partly refused", backend: withPolicy, opts: func(o *Options) { o.Transport = roundTripFunc(answerBackend) }, req: rpc(http.MethodPost, batchOf(
			msg("1", "tools/call", `{"name":"secret_a"}`), msg("2", "tools/call", `{"name":"echo"}`)))},
		{name: "batch partly refused, in-process backend", backend: func(s *Backend) { withPolicy(s); s.Upstream, s.Handler = nil, &batchBackend{} },
			req: rpc(http.MethodPost, batchOf(msg("1", "tools/call", `{"name":"secret_a"}`), msg("2", "tools/call", `{"name":"echo"}`)))},
		{name: "rate limited call", backend: oncePerMinute, opts: func(o *Options) { limited(o); o.Transport = roundTripFunc(answerBackend) }, prime: callReq, req: twoTimes(callReq)},
		{name: "rate limited stream", backend: oncePerMinute, opts: func(o *Options) { limited(o); o.Transport = roundTripFunc(answerBackend) }, prime: getReq, req: twoTimes(getReq)},
		{name: "task of another user", opts: func(o *Options) { o.Transport = roundTripFunc(answerBackend) },
			prime: func() *http.Request {
				r := rpc(http.MethodPost, msg("1", "tasks/get", `{"taskId":"t-1"}`))
				r.Header.Set("Authorization", "Bearer bob")
				return r
			}(), req: rpc(http.MethodPost, msg("7", "tasks/get", `{"taskId":"t-1"}`))},
		{name: "unknown session", req: rpc(http.MethodPost, ping, "Mcp-Session-Id", "nope")},
		{name: "backend unavailable", opts: failing(errors.New("connection refused")), req: rpc(http.MethodPost, ping)},
		{name: "backend too slow", opts: failing(timeoutError{}), req: rpc(http.MethodPost, ping)},
		{name: "no backend credential", backend: func(s *Backend) {
			s.Credential = credentialFunc(func(context.Context, *tokens.AccessClaims) (http.Header, error) { return nil, errors.New("idp down") })
		}, req: rpc(http.MethodPost, ping)},
		{name: "legacy stream opened with POST", backend: func(s *Backend) { s.Transport = TransportSSE }, req: rpc(http.MethodPost, ping)},
		{name: "legacy message with GET", backend: func(s *Backend) { s.Transport = TransportSSE },
			req: httptest.NewRequest(http.MethodGet, "https://gw.example/mcp/message?session=x", nil)},
		{name: "legacy message to an unknown handle", backend: func(s *Backend) { s.Transport = TransportSSE },
			req: func() *http.Request {
				r := rpc(http.MethodPost, ping)
				r.URL, _ = url.Parse("https://gw.example/mcp/message?session=nope")
				return r
			}()},
	}
	var out bytes.Buffer
	for _, tc := range cases {
		rt := answerRoute(t, tc)
		if tc.prime != nil {
			serveAnswer(rt, httptest.NewRecorder(), tc.prime)
		}
		rec := httptest.NewRecorder()
		serveAnswer(rt, rec, tc.req)
		writeAnswer(&out, tc.name, rec.Result())
	}
	golden := filepath.Join("testdata", "answers.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != string(want) {
		t.Errorf("the gateway's answers changed (run with -update if that is intended):\n%s", firstDifference(got, string(want)))
	}
}

func answerRoute(t *testing.T, tc answerCase) *route {
	t.Helper()
	up, _ := url.Parse("http://backend.test/mcp")
	s := Backend{Name: "t", Path: "/mcp", Resource: "https://gw.example/mcp", MetadataURL: "https://gw.example/.well-known/oauth-protected-resource/mcp",
		Upstream: up, Scopes: []string{"mcp"}}
	if tc.backend != nil {
		tc.backend(&s)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opt := Options{Issuer: "https://gw.example", Backends: []Backend{s}, Verifier: fakeVerifier{}, Store: st,
		Log: slog.New(slog.DiscardHandler), Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("no backend in this test") })}
	if tc.opts != nil {
		tc.opts(&opt)
	}
	g, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return g.routes[0]
}

func serveAnswer(rt *route, w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, legacyMessagePath) {
		rt.serveLegacyMessage(w, r)
		return
	}
	rt.ServeHTTP(w, r)
}

func writeAnswer(out *bytes.Buffer, name string, resp *http.Response) {
	fmt.Fprintf(out, "=== %s\n%d\n", name, resp.StatusCode)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(out, "%s: %s\n", k, v)
		}
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Fprintf(out, "\n%q\n\n", body)
}

// firstDifference shows where two texts part.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "(equal)"
}
