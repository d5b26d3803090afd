package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// h2cTransport speaks only HTTP/2 with prior knowledge, adds a bearer
// token and counts the responses that really came over HTTP/2.
type h2cTransport struct {
	base  *http.Transport
	token string
	h2    atomic.Int64
}

func newH2CTransport(token string) *h2cTransport {
	t := &h2cTransport{base: &http.Transport{Protocols: new(http.Protocols)}, token: token}
	t.base.Protocols.SetUnencryptedHTTP2(true)
	return t
}

func (t *h2cTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.ProtoMajor == 2 {
		t.h2.Add(1)
	}
	return resp, err
}

// TestH2C: with h2c on, an MCP client that speaks HTTP/2 without TLS (as a
// front proxy would) gets the whole session — streamed responses included
// — over HTTP/2; with it off (the default) such a client is refused.
func TestH2C(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "h2c: true\n"})
	tok := gwtest.RegisterClient(t, gw, nil).Tokens(gwtest.User)["access_token"].(string)
	tr := newH2CTransport(tok)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "h2c-client", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.MCP, HTTPClient: &http.Client{Transport: tr}}, nil)
	if err != nil {
		t.Fatalf("connect over h2c: %v", err)
	}
	defer cs.Close()
	gwtest.CallText(t, ctx, cs, "save_snippet", map[string]any{"snippetname": "h2c", "snippet": "over HTTP/2"})
	if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": "h2c"}); !strings.Contains(got, "over HTTP/2") {
		t.Errorf("get_snippet over h2c = %q", got)
	}
	if tr.h2.Load() < 2 {
		t.Errorf("only %d responses came over HTTP/2", tr.h2.Load())
	}

	off := gwtest.Start(t, gwtest.Options{})
	offTok := gwtest.RegisterClient(t, off, nil).Tokens(gwtest.User)["access_token"].(string)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, off.MCP, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if resp, err := (&http.Client{Transport: newH2CTransport(offTok)}).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("with h2c off, an HTTP/2 prior-knowledge request got %s", resp.Status)
	}
}
