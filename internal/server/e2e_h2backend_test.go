package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// startH2CServer serves h over HTTP/1.1 and h2c until the test ends,
// recording the HTTP major version of every request, and returns its
// base URL and the versions seen so far.
func startH2CServer(t *testing.T, h http.Handler) (string, func() []int) {
	t.Helper()
	var mu sync.Mutex
	var protos []int
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.ProtoMajor)
		mu.Unlock()
		h.ServeHTTP(w, r)
	}), Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), func() []int {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(protos)
	}
}

// allHTTP2 fails the test unless requests reached the backend and all of
// them over HTTP/2: a gateway that fell back to HTTP/1.1 fails it.
func allHTTP2(t *testing.T, protos []int) {
	t.Helper()
	if len(protos) == 0 || slices.ContainsFunc(protos, func(p int) bool { return p != 2 }) {
		t.Fatalf("the backend got requests over HTTP/%v, want all over HTTP/2", protos)
	}
}

// TestBackendHTTP2EndToEnd: with backend_http2, MCP clients list and
// call tools through the gateway in both protocol eras, over HTTP/1.1
// and h2c, while every request reaches the snippets backend over h2c.
func TestBackendHTTP2EndToEnd(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		era := "sessions (2025-11-25 and before)"
		if stateless {
			era = "sessionless (2026-07-28)"
		}
		t.Run(era, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			gw := gwtest.Start(t, gwtest.Options{StatelessBackend: stateless, BackendHTTP2: true, ExtraYAML: "h2c: true\n"})
			tok := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
			for _, c := range []struct {
				name, snippet string
				rt            http.RoundTripper
			}{{"client HTTP/1.1", "h1-client", bearerTransport{token: tok}}, {"client h2c", "h2c-client", newH2CTransport(tok)}} {
				cs, err := mcp.NewClient(&mcp.Implementation{Name: "h2-backend-client", Version: "1"}, nil).
					Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.MCP, HTTPClient: &http.Client{Transport: c.rt}}, nil)
				if err != nil {
					t.Fatalf("%s: connect: %v", c.name, err)
				}
				if hasSession := cs.ID() != ""; hasSession == stateless {
					t.Fatalf("%s: session id %q in era %s", c.name, cs.ID(), era)
				}
				tools, err := cs.ListTools(ctx, nil)
				if err != nil || !slices.ContainsFunc(tools.Tools, func(tl *mcp.Tool) bool { return tl.Name == "save_snippet" }) {
					t.Fatalf("%s: tools/list: %v %v", c.name, err, tools)
				}
				gwtest.CallText(t, ctx, cs, "save_snippet", map[string]any{"snippetname": c.snippet, "snippet": "over h2c to the backend"})
				if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": c.snippet}); !strings.Contains(got, "over h2c to the backend") {
					t.Errorf("%s: get_snippet = %q", c.name, got)
				}
				if err := cs.Close(); err != nil {
					t.Errorf("%s: close: %v", c.name, err)
				}
			}
			gw.Backend.Mu.Lock()
			protos := slices.Clone(gw.Backend.Protos)
			gw.Backend.Mu.Unlock()
			allHTTP2(t, protos)
		})
	}
}

// TestBackendHTTP2StreamsAndCancels: through a gateway that speaks h2c to
// its backend, a client receives each SSE event as soon as the backend
// flushes it (the backend writes the second only once the client has the
// first), and a client that goes away cancels the backend's request.
func TestBackendHTTP2StreamsAndCancels(t *testing.T) {
	firstSeen, cancelled := make(chan struct{}), make(chan struct{})
	url, protos := startH2CServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":\"first\"}}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-firstSeen:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":\"second\"}}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(cancelled)
	}))
	gw := gwtest.Start(t, gwtest.Options{Upstream: url + "/mcp", BackendHTTP2: true})
	tok := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw.MCP, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+tok)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var got []string
	for len(got) < 2 {
		l, ok := <-lines
		if !ok {
			t.Fatalf("the stream ended after %q", got)
		}
		if strings.HasPrefix(l, "data: ") {
			got = append(got, l)
			if strings.Contains(l, `"first"`) {
				close(firstSeen)
			}
		}
	}
	if !strings.Contains(got[0], `"first"`) || !strings.Contains(got[1], `"second"`) {
		t.Fatalf("events = %q", got)
	}
	cancel() // the client goes away
	select {
	case <-cancelled:
	case <-time.After(20 * time.Second):
		t.Fatal("the client went away and the backend's request was never cancelled")
	}
	allHTTP2(t, protos())
}

// TestBackendHTTP2LegacySSE: a 2024-11-05 HTTP+SSE server (transport:
// sse) reached over h2c works through the gateway with the Go SDK's SSE
// client: the GET stream and the posted messages all travel over HTTP/2.
func TestBackendHTTP2LegacySSE(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in whoArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "legacy " + in.Text}}}, nil, nil
	})
	url, protos := startH2CServer(t, mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: legacy
    path: /legacy/sse
    upstream: %s/sse
    transport: sse
    scopes: [legacy]
    backend_http2: true
`, url)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := sdkOAuthHandler(t, browser.New(gw.URL), gwtest.User)
	// The SSE transport takes no OAuth handler: authorize through the
	// streamable path's 401 first, then reuse the token.
	_, _ = mcp.NewClient(&mcp.Implementation{Name: "x", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.URL + "/legacy/sse", OAuthHandler: h}, nil)
	tok, err := mustToken(ctx, h)
	if err != nil {
		t.Fatalf("no token: %v", err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "legacy-client", Version: "1"}, nil).
		Connect(ctx, &mcp.SSEClientTransport{Endpoint: gw.URL + "/legacy/sse", HTTPClient: &http.Client{Transport: bearerTransport{token: tok.AccessToken}}}, nil)
	if err != nil {
		t.Fatalf("connect over HTTP+SSE: %v", err)
	}
	defer cs.Close()
	if got := gwtest.CallText(t, ctx, cs, "echo", map[string]any{"text": "over h2c"}); got != "legacy over h2c" {
		t.Fatalf("echo = %q", got)
	}
	allHTTP2(t, protos())
}

// TestBackendHTTP2ComposeMembers: a composed server's members with
// backend_http2, one speaking Streamable HTTP and one the 2024-11-05
// HTTP+SSE transport, both over h2c: the client lists and calls both
// members' tools through the composed server, and every request reaches
// the members over HTTP/2.
func TestBackendHTTP2ComposeMembers(t *testing.T) {
	echo := func(name string) *mcp.Server {
		srv := mcp.NewServer(&mcp.Implementation{Name: name, Version: "1"}, nil)
		mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in whoArgs) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: name + " " + in.Text}}}, nil, nil
		})
		return srv
	}
	modern, legacy := echo("modern"), echo("legacy")
	modernURL, modernProtos := startH2CServer(t, mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return modern }, &mcp.StreamableHTTPOptions{Stateless: true}))
	legacyURL, legacyProtos := startH2CServer(t, mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return legacy }, nil))
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: all
    path: /all/mcp
    compose:
      - {name: modern, upstream: %q, prefix: modern_, backend_http2: true}
      - {name: legacy, upstream: %q, transport: sse, prefix: legacy_, backend_http2: true}
`, modernURL+"/mcp", legacyURL+"/sse")})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok := tokenFor(t, gw, gw.URL+"/all/mcp")
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "compose-h2", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.URL + "/all/mcp", HTTPClient: &http.Client{Transport: bearerTransport{token: tok}}}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 2 {
		t.Fatalf("tools/list: %v %v", err, tools)
	}
	for _, m := range []string{"modern", "legacy"} {
		if got := gwtest.CallText(t, ctx, cs, m+"_echo", map[string]any{"text": "over h2c"}); got != m+" over h2c" {
			t.Errorf("%s_echo = %q", m, got)
		}
	}
	allHTTP2(t, modernProtos())
	allHTTP2(t, legacyProtos())
}

// TestBackendHTTP2ToHTTP1Backend: a backend that does not speak h2c is an
// error the client sees (502) and the log names, never a silent fall
// back to HTTP/1.1.
func TestBackendHTTP2ToHTTP1Backend(t *testing.T) {
	var mu sync.Mutex
	reached := 0
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Go's HTTP/1 server hands the HTTP/2 connection preface to the
		// handler as a request "PRI * HTTP/2.0"; nothing else may come.
		if r.Method != "PRI" {
			mu.Lock()
			reached++
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}))
	defer be.Close()
	gw := gwtest.Start(t, gwtest.Options{Upstream: be.URL + "/mcp", BackendHTTP2: true})
	tok := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+tok); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %s, want 502", resp.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if reached != 0 {
		t.Errorf("%d requests reached the HTTP/1.1-only backend over HTTP/1.1", reached)
	}
	if !strings.Contains(gw.Logs.String(), "backend request failed") {
		t.Error("the failure is not in the log")
	}
}
