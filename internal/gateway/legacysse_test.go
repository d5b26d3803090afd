package gateway

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type bearer struct {
	token string
	base  http.RoundTripper
	seen  func(*http.Request)
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	if b.seen != nil {
		b.seen(r)
	}
	return b.base.RoundTrip(r)
}

type echoArgs struct {
	Text string `json:"text"`
}

// legacyBackend is a 2024-11-05 HTTP+SSE MCP server (the go-sdk's).
func legacyBackend() http.Handler {
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in echoArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "echo:" + in.Text}}}, nil, nil
	})
	return mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil)
}

// subjects records the identity header of every request that reaches h.
func subjects(h http.Handler, seen *[]string, mu *sync.Mutex) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*seen = append(*seen, r.Method+" "+r.Header.Get("X-Drawbridge-Subject"))
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// TestLegacySSEThroughGateway: a 2024-11-05 HTTP+SSE server works
// through the gateway, over either backend protocol.
func TestLegacySSEThroughGateway(t *testing.T) {
	for _, bp := range backendProtocols {
		t.Run(bp.name, func(t *testing.T) { legacySSEThroughGateway(t, bp.h2) })
	}
}

func legacySSEThroughGateway(t *testing.T, h2 bool) {
	var seen []string
	var mu sync.Mutex
	var protocols protos
	gw := newTestGateway(t, protocols.record(subjects(legacyBackend(), &seen, &mu)), func(s *Backend) {
		s.Transport = TransportSSE
		s.Path = "/legacy/sse"
		s.Resource = "http://self/legacy/sse"
		s.HTTP2 = h2
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var posted []string
	hc := &http.Client{Transport: bearer{token: "good", base: http.DefaultTransport, seen: func(r *http.Request) {
		if r.Method == http.MethodPost {
			posted = append(posted, r.URL.String())
		}
	}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).
		Connect(ctx, &mcp.SSEClientTransport{Endpoint: gw.URL + "/legacy/sse", HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("connect over legacy SSE through the gateway: %v", err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "echo:hi" {
		t.Fatalf("echo: %v %+v", err, res)
	}
	mu.Lock()
	for _, s := range seen {
		if !strings.HasSuffix(s, " alice") {
			t.Errorf("a backend request lacked the caller's identity: %q", s)
		}
	}
	mu.Unlock()
	// Messages went to the gateway's handle, not the backend's own URL.
	for _, p := range posted {
		u, _ := url.Parse(p)
		if !strings.HasPrefix(p, gw.URL+"/legacy/sse/message?session=") || u.Query().Get("sessionid") != "" {
			t.Errorf("client posted to %s", p)
		}
	}
	protocols.check(t, h2)
}

func TestLegacySSEHandleIsBoundToItsUser(t *testing.T) {
	gw := newTestGateway(t, legacyBackend(), func(s *Backend) {
		s.Transport, s.Path, s.Resource = TransportSSE, "/legacy/sse", "http://self/legacy/sse"
	})
	// Open the stream as alice and read the endpoint event.
	req, _ := http.NewRequest(http.MethodGet, gw.URL+"/legacy/sse", nil)
	req.Header.Set("Authorization", "Bearer good")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	event := string(buf[:n])
	i := strings.Index(event, "data: ")
	if !strings.Contains(event, "event: endpoint") || i < 0 {
		t.Fatalf("first event: %q", event)
	}
	endpoint := strings.TrimSpace(strings.SplitN(event[i+6:], "\n", 2)[0])
	if !strings.HasPrefix(endpoint, gw.URL+"/legacy/sse/message?session=") {
		t.Fatalf("endpoint not rewritten: %q", endpoint)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
	for token, want := range map[string]int{"bob": 404, "good": 202} {
		r, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Content-Type", "application/json")
		pr, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		pr.Body.Close()
		if pr.StatusCode != want {
			t.Errorf("POST as %s: %d, want %d", token, pr.StatusCode, want)
		}
	}
	// A made-up handle is unknown.
	r, _ := http.NewRequest(http.MethodPost, gw.URL+"/legacy/sse/message?session=nope", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer good")
	pr, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	pr.Body.Close()
	if pr.StatusCode != 404 {
		t.Errorf("made-up handle: %d", pr.StatusCode)
	}
}
