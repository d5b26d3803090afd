package snippets_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const testKey = "k3y-that-must-never-leak-0123456789"

// startServer serves opts over httptest. DataDir defaults to a fresh
// temporary directory and Key to testKey.
func startServer(t *testing.T, opts snippets.Options) *httptest.Server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Key == "" && !opts.InsecureNoKey {
		opts.Key = testKey
	}
	srv, err := snippets.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		// Sessions first: httptest's Close waits for open GET streams.
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		ts.Close()
	})
	return ts
}

// headerTransport adds fixed headers to every request, the way a gateway
// adds its backend credential.
type headerTransport struct {
	header http.Header
	base   http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.header {
		r.Header[k] = v
	}
	return h.base.RoundTrip(r)
}

func keyHeader(key string) http.Header {
	return http.Header{http.CanonicalHeaderKey(snippets.DefaultKeyHeader): {key}}
}

func dial(ctx context.Context, ts *httptest.Server, h http.Header, opts *mcp.ClientSessionOptions) (*mcp.ClientSession, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "snippets-test", Version: "0"}, nil)
	return client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint:   ts.URL + snippets.MCPPath,
		HTTPClient: &http.Client{Transport: headerTransport{header: h, base: ts.Client().Transport}},
		MaxRetries: -1, // a stream the server ended stays ended; no backoff loops in tests
	}, opts)
}

// connect opens a session with the right key, closed at the end of the test.
func connect(t *testing.T, ts *httptest.Server, h http.Header) *mcp.ClientSession {
	t.Helper()
	if h == nil {
		h = keyHeader(testKey)
	}
	cs, err := dial(testContext(t), ts, h, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// call invokes a tool and returns its text and whether it was a tool error.
// A protocol error fails the test: every outcome here should be a result.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(testContext(t), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool(%s): %v", tool, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

// lockedBuffer lets the logger and the test share a buffer under -race.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newDebugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// httptestServe serves srv without registering its Close, for tests that
// stop and start servers themselves.
func httptestServe(t *testing.T, srv *snippets.Server) *httptest.Server {
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	return ts
}
