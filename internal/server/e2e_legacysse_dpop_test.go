package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// dpopTransport presents a DPoP-bound token with a fresh proof of key for
// every request (RFC 9449 §7), htu the request's URL, and remembers the
// message POSTs it made so that a test can replay one.
type dpopTransport struct {
	t     *testing.T
	key   *dpoptest.Client
	token string

	mu    sync.Mutex
	posts []sentMessage
}

type sentMessage struct {
	url, proof string
	body       []byte
}

func (d *dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	proof := d.key.Proof(d.t, r.Method, r.URL.String(), dpoptest.Options{Token: d.token})
	r.Header.Set("Authorization", "DPoP "+d.token)
	r.Header.Set("DPoP", proof)
	if r.Method == http.MethodPost && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		d.mu.Lock()
		d.posts = append(d.posts, sentMessage{url: r.URL.String(), proof: proof, body: body})
		d.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (d *dpopTransport) lastPost() sentMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.posts[len(d.posts)-1]
}

// TestDPoPLegacySSEServer: a DPoP-bound token on a 2024-11-05 HTTP+SSE
// server. The Go SDK's SSE client opens the stream (GET) and posts its
// messages to the endpoint the stream names, each request with its own
// proof, and its tool call works. A message sent with the bound token as
// Bearer, or with a proof already used, is refused before the backend
// sees it, with the RFC 9449 §7.1 error and challenge.
func TestDPoPLegacySSEServer(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "echoes"}, func(ctx context.Context, req *mcp.CallToolRequest, in whoArgs) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "legacy " + in.Text}}}, nil, nil
	})
	var mu sync.Mutex
	var requests int        // what reached the backend
	var backendSaw []string // the Authorization and DPoP headers it got
	handler := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		backendSaw = append(backendSaw, r.Header.Values("Authorization")...)
		backendSaw = append(backendSaw, r.Header.Values("DPoP")...)
		mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	defer be.Close()
	extra := fmt.Sprintf(`  - name: legacy
    path: /legacy/sse
    upstream: %s/sse
    transport: sse
    scopes: [legacy]
`, be.URL) + dpopMachine
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra, Env: map[string]string{"JOB_SECRET": "job-secret-0123456789abcdef"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	key := dpoptest.New(t)
	legacy := gw.URL + "/legacy/sse"
	cc := url.Values{"grant_type": {"client_credentials"}, "resource": {legacy}}
	st, tok, _ := dpopPost(t, gw.URL+"/token", cc, [2]string{"dpop-job", "job-secret-0123456789abcdef"}, "",
		key.Proof(t, http.MethodPost, gw.URL+"/token", dpoptest.Options{}))
	if st != http.StatusOK || tok["token_type"] != "DPoP" {
		t.Fatalf("DPoP token for the legacy server: %d %v", st, tok)
	}
	at := tok["access_token"].(string)

	tr := &dpopTransport{t: t, key: key, token: at}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "legacy-dpop", Version: "1"}, nil).
		Connect(ctx, &mcp.SSEClientTransport{Endpoint: legacy, HTTPClient: &http.Client{Transport: tr}}, nil)
	if err != nil {
		t.Fatalf("connect over HTTP+SSE with DPoP: %v", err)
	}
	defer cs.Close()
	if got := gwtest.CallText(t, ctx, cs, "echo", map[string]any{"text": "bound"}); got != "legacy bound" {
		t.Fatalf("echo = %q", got)
	}

	sent := tr.lastPost()
	if !strings.HasPrefix(sent.url, legacy+"/message?") {
		t.Fatalf("the client posted its messages to %s; want the gateway's message path", sent.url)
	}
	mu.Lock()
	seen := requests
	mu.Unlock()
	post := func(authz, proof string) (int, map[string]any, *http.Response) {
		req, _ := http.NewRequest(http.MethodPost, sent.url, bytes.NewReader(sent.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authz)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, gwtest.DecodeBody(t, resp), resp
	}
	for _, c := range []struct {
		what, authz, proof, scheme, code string
	}{
		{"the bound token as Bearer", "Bearer " + at, "", "Bearer", "invalid_token"},
		{"a replayed proof", "DPoP " + at, sent.proof, "DPoP", "invalid_dpop_proof"},
		{"a proof for the stream's URL", "DPoP " + at, key.Proof(t, http.MethodPost, legacy, dpoptest.Options{Token: at}), "DPoP", "invalid_dpop_proof"},
		{"no proof", "DPoP " + at, "", "DPoP", "invalid_dpop_proof"},
	} {
		st, body, resp := post(c.authz, c.proof)
		wantErr(t, "message, "+c.what, st, body, http.StatusUnauthorized, c.code)
		if ch := strings.Join(resp.Header.Values("WWW-Authenticate"), "\n"); !strings.Contains(ch, c.scheme+" ") || !strings.Contains(ch, `error="`+c.code+`"`) {
			t.Errorf("message, %s: challenges %q, want %s with error %s", c.what, ch, c.scheme, c.code)
		}
	}
	// And the stream itself, opened with the bound token as Bearer.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, legacy, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+at)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the stream opened with the bound token as Bearer: %d, want 401", resp.StatusCode)
	}

	mu.Lock()
	defer mu.Unlock()
	if requests != seen {
		t.Errorf("%d refused requests reached the backend", requests-seen)
	}
	for _, v := range backendSaw {
		if strings.Contains(v, at) || strings.HasPrefix(v, "ey") {
			t.Error("the client's token or proof reached the legacy backend")
		}
	}
}
