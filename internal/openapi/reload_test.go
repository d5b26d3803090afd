package openapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// docV1 has one operation; docV2 adds one and rewrites the first's
// description.
const (
	docV1 = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: getA
      summary: Get A
      responses: {"200": {description: ok}}
`
	docV2 = `openapi: 3.0.3
info: {title: t, version: "2"}
paths:
  /a:
    get:
      operationId: getA
      summary: Get A, the second edition
      responses: {"200": {description: ok}}
  /b:
    post:
      operationId: postB
      responses: {"200": {description: ok}}
`
)

// docServer serves whatever document it was last given, as a URL spec.
type docServer struct {
	mu       sync.Mutex
	status   int
	body     string
	location string
	srv      *httptest.Server
}

func newDocServer(t *testing.T, body string) *docServer {
	d := &docServer{status: http.StatusOK, body: body}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.location != "" {
			w.Header().Set("Location", d.location)
		}
		w.WriteHeader(d.status)
		_, _ = w.Write([]byte(d.body))
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *docServer) set(status int, body string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.status, d.body = status, body
}

func (d *docServer) source() Source {
	return Source{Spec: d.srv.URL + "/openapi.yaml?key=doc-secret", MaxBytes: 4 << 10, HTTPClient: &http.Client{Timeout: 5 * time.Second}}
}

// connect is an SDK client of s, in the 2025-11-25 era (a session) or the
// 2026-07-28 one.
func connect(t *testing.T, s http.Handler, version string) *mcp.ClientSession {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: srv.URL}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func listed(t *testing.T, cs *mcp.ClientSession) string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tl := range res.Tools {
		out = append(out, tl.Name+": "+tl.Description)
	}
	return strings.Join(out, "; ")
}

func toolNames(tools []*Tool) []string {
	var out []string
	for _, t := range tools {
		out = append(out, t.Def.Name)
	}
	return out
}

// TestServerReloadSwaps: after a reload, the next tools/list of a client
// already connected, in either era, shows the new document's tools.
func TestServerReloadSwaps(t *testing.T) {
	d := newDocServer(t, docV1)
	s, set, err := NewServer(context.Background(), ServerOptions{Name: "api", Source: d.source(), Client: testClient(t, "http://127.0.0.1:1")})
	if err != nil || !slices.Equal(toolNames(set.Tools), []string{"getA"}) {
		t.Fatalf("NewServer: %v %v", set, err)
	}
	legacy, modern := connect(t, s, "2025-11-25"), connect(t, s, "")
	for _, cs := range []*mcp.ClientSession{legacy, modern} {
		if got := listed(t, cs); got != "getA: Get A" {
			t.Fatalf("before: %q", got)
		}
	}
	d.set(http.StatusOK, docV2)
	set, changed, err := s.Reload(context.Background())
	if err != nil || !changed || !slices.Equal(toolNames(set.Tools), []string{"getA", "postB"}) || !slices.Equal(toolNames(s.Tools()), []string{"getA", "postB"}) {
		t.Fatalf("Reload: %v %v %v; serving %v", set, changed, err, toolNames(s.Tools()))
	}
	// The same document again: nothing to tell clients.
	if _, changed, err := s.Reload(context.Background()); err != nil || changed {
		t.Errorf("Reload of the same document: changed %v, %v", changed, err)
	}
	for _, cs := range []*mcp.ClientSession{legacy, modern} {
		if got := listed(t, cs); got != "getA: Get A, the second edition; postB: POST /b" {
			t.Errorf("after: %q", got)
		}
	}
}

// TestServerFailedReloadKeepsTools: a document that is gone, too large,
// not OpenAPI 3, or no longer has an operation the filter names changes
// nothing, and the error never carries the URL's query. A reloaded
// document is as hostile as the first: one that now redirects elsewhere
// is not followed, one that now has an external $ref (to a local file)
// is refused.
func TestServerFailedReloadKeepsTools(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte(docV2))
	}))
	t.Cleanup(other.Close)
	secret := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(secret, []byte("type: object\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDocServer(t, docV1)
	s, _, err := NewServer(context.Background(), ServerOptions{Name: "api", Source: d.source(),
		Filter: opfilter.Filter{Include: []string{"getA"}}, Client: testClient(t, "http://127.0.0.1:1")})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, s, "2025-11-25")
	base := d.srv.URL + "/openapi.yaml"
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"gone", http.StatusNotFound, "", "openapi document " + base + ": HTTP 404"},
		{"too large", http.StatusOK, docV1 + "# " + strings.Repeat("x", 5<<10), "openapi document " + base + ": larger than the configured limit"},
		{"not YAML", http.StatusOK, "openapi: [3", "openapi document " + base + ": "},
		{"Swagger 2", http.StatusOK, "swagger: \"2.0\"\ninfo: {title: t, version: \"1\"}\npaths: {}\n", "openapi document " + base + `: version "" is not OpenAPI 3`},
		{"include names nothing", http.StatusOK, strings.Replace(docV2, "getA", "getAlpha", 1), `"getA" matches no operation of the document`},
		{"redirect", http.StatusFound, "", "openapi document " + base + ": HTTP 302"},
		{"external $ref", http.StatusOK, strings.Replace(docV1, "responses: {\"200\": {description: ok}}",
			"responses: {\"200\": {description: ok, content: {application/json: {schema: {$ref: \"file://"+secret+"\"}}}}}", 1),
			"openapi document " + base + ": encountered disallowed external reference"},
	} {
		d.set(c.status, c.body)
		d.mu.Lock()
		d.location = ""
		if c.status == http.StatusFound {
			d.location = other.URL + "/openapi.yaml"
		}
		d.mu.Unlock()
		set, changed, err := s.Reload(context.Background())
		if set != nil || changed || err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "doc-secret") {
			t.Errorf("%s: Reload = %v, %v; want an error with %q", c.name, set, err, c.want)
		}
		if got := listed(t, cs); got != "getA: Get A" {
			t.Errorf("%s: serving %q after a failed reload", c.name, got)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect was followed: %d fetches elsewhere", n)
	}
}

// TestServerReloadDuringCalls: a call in flight when the document
// changes finishes on the tool set it started with, even if the new one
// no longer has its tool; the next call sees the new set. Lists, calls
// and reloads running together are race-free (go test -race).
func TestServerReloadDuringCalls(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			started <- struct{}{}
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	d := newDocServer(t, docV2)
	s, _, err := NewServer(context.Background(), ServerOptions{Name: "api", Source: d.source(), Client: testClient(t, a.srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	cs := connect(t, s, "")
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "getA"})
		if err != nil {
			res = &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}
		}
		done <- res
	}()
	<-started
	// The new document drops getA while its call is in flight.
	d.set(http.StatusOK, strings.Replace(strings.Replace(docV2, "/a:", "/c:", 1), "getA", "getC", 1))
	if _, _, err := s.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(release)
	if res := <-done; res.IsError || jsonOf(t, res.StructuredContent) != `{"ok":true}` {
		t.Errorf("the call in flight: %s", jsonOf(t, res))
	}
	if res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "getA"}); err == nil && !res.IsError {
		t.Errorf("getA after it was dropped: %s", jsonOf(t, res))
	}

	// Lists, calls and reloads at once, between two documents.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 10 {
				if i == 0 {
					d.set(http.StatusOK, docV1)
					_, _, _ = s.Reload(context.Background())
					d.set(http.StatusOK, docV2)
					_, _, _ = s.Reload(context.Background())
					continue
				}
				_, _ = cs.ListTools(context.Background(), nil)
				_, _ = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "postB"})
				_ = toolNames(s.Tools())
			}
		})
	}
	wg.Wait()
}
