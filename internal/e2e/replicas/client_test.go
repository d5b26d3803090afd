package replicas

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// hit is one request through the balancer and the replica that answered.
type hit struct {
	method, path, replica string
	status                int
	// backendHTTP is the HTTP major version between balancer and
	// replica, when HAProxy says.
	backendHTTP string
}

// recorder notes which replica answered each request.
type recorder struct {
	mu   sync.Mutex
	hits []hit
}

func newRecorder() *recorder { return &recorder{} }

// client returns an HTTP client whose requests are recorded under names
// (the balancer's servedBy values mapped to replica names).
func (rec *recorder) client(names map[string]string) *http.Client {
	return &http.Client{Transport: &recording{base: http.DefaultTransport, rec: rec, names: names}}
}

func (rec *recorder) since(n int) []hit {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]hit(nil), rec.hits[n:]...)
}

func (rec *recorder) len() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.hits)
}

type recording struct {
	base  http.RoundTripper
	rec   *recorder
	names map[string]string
}

func (r *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	name := resp.Header.Get(servedBy)
	if n, ok := r.names[name]; ok {
		name = n
	}
	r.rec.mu.Lock()
	r.rec.hits = append(r.rec.hits, hit{method: req.Method, path: req.URL.Path, replica: name, status: resp.StatusCode,
		backendHTTP: resp.Header.Get(backendHTTP)})
	r.rec.mu.Unlock()
	return resp, nil
}

// replicasOf lists the distinct replicas among hits whose path has prefix.
func replicasOf(hits []hit, prefix string) []string {
	seen := map[string]bool{}
	for _, h := range hits {
		if strings.HasPrefix(h.path, prefix) && h.replica != "" {
			seen[h.replica] = true
		}
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func describe(hits []hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "  %s %s -> %s %d\n", h.method, h.path, h.replica, h.status)
	}
	return b.String()
}

// httpClient is a client recorded by the cluster's recorder.
func (c *cluster) httpClient() *http.Client {
	names := map[string]string{}
	if c.lb != nil {
		names = c.lb.names
	}
	return c.served.client(names)
}

// browser is a test browser whose requests are recorded.
func (c *cluster) browser() *browser.Browser {
	b := browser.New(c.public)
	b.Client.Transport = c.httpClient().Transport
	return b
}

// sdkOAuth is the Go SDK's authorization-code handler, registering
// dynamically and signing user in through a recorded browser.
func (c *cluster) sdkOAuth(t *testing.T, user string) *auth.AuthorizationCodeHandler {
	t.Helper()
	return gwtest.SDKOAuthHandler(t, c.browser(), user, "Drawbridge replicas test", c.httpClient())
}

// oauthClient is a hand-driven client of the cluster (gwtest.Client),
// registered through the balancer.
func (c *cluster) oauthClient(t *testing.T) *gwtest.Client {
	t.Helper()
	gw := &gwtest.Gateway{URL: c.public, MCP: c.public + "/mcp"}
	cl := gwtest.RegisterClient(t, gw, nil)
	cl.Browser = c.browser()
	return cl
}

// bearer is a transport that adds a token.
type bearer struct {
	base  http.RoundTripper
	token string
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// withToken returns a recorded client that sends token.
func (c *cluster) withToken(token string) *http.Client {
	return &http.Client{Transport: &bearer{base: c.httpClient().Transport, token: token}}
}

// rpc posts one JSON-RPC message to an MCP endpoint and returns the
// response and, for a request, its decoded result or error (read from
// JSON or from an SSE stream).
func rpc(t *testing.T, hc *http.Client, endpoint, session string, msg map[string]any) (*http.Response, map[string]any) {
	t.Helper()
	msg["jsonrpc"] = "2.0"
	body, _ := json.Marshal(msg)
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(strings.NewReader(string(raw)))
		raw = nil
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				raw = []byte(strings.TrimSpace(d))
			}
		}
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp, out
}

// initialize opens a legacy-era session and returns its id.
func initialize(t *testing.T, hc *http.Client, endpoint string) string {
	t.Helper()
	resp, out := rpc(t, hc, endpoint, "", map[string]any{"id": 1, "method": "initialize", "params": map[string]any{
		"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "raw", "version": "1"}}})
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d %v (session %q)", resp.StatusCode, out, sid)
	}
	if resp, _ := rpc(t, hc, endpoint, sid, map[string]any{"method": "notifications/initialized"}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized: %d", resp.StatusCode)
	}
	return sid
}

// kid is the key id in a JWT's header.
func kid(t *testing.T, jwt string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(h, &hdr)
	return hdr.Kid
}

// getJSON fetches u and decodes its JSON body.
func getJSON(t *testing.T, hc *http.Client, u string) (int, map[string]any) {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}
