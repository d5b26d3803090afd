package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// Identity headers sent to backends with forward_identity. Whatever a
// client sends under these names is removed first.
const (
	HeaderSubject  = "X-Drawbridge-Subject"
	HeaderEmail    = "X-Drawbridge-Email"
	HeaderName     = "X-Drawbridge-Name"
	HeaderGroups   = "X-Drawbridge-Groups"
	HeaderClientID = "X-Drawbridge-Client-Id"
	HeaderScope    = "X-Drawbridge-Scope"
)

// hopHeaders never leave the gateway toward a backend: the client's
// credentials (RS5) and anything claiming to be the gateway's own.
var strippedHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization"}

type claimsKey struct{}

// ServeHTTP authorizes the request and proxies it.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		preflight(w)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate, MCP-Protocol-Version")
	d := rt.authorize(r.Context(), r)
	if d.status != 0 {
		deny(w, d)
		return
	}
	ctx := context.WithValue(r.Context(), claimsKey{}, d.claims)
	rt.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// preflight answers CORS preflights for browser-based MCP clients. Tokens
// travel in the Authorization header, not cookies, so any origin is safe.
func preflight(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name")
	h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate, MCP-Protocol-Version")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

func (rt *route) newProxy(transport http.RoundTripper) *httputil.ReverseProxy {
	if transport == nil {
		transport = newTransport(rt.Timeout)
	}
	return &httputil.ReverseProxy{
		Rewrite:        rt.rewrite,
		Transport:      transport,
		FlushInterval:  -1, // flush every write: SSE events go out one by one
		BufferPool:     sharedBuffers,
		ModifyResponse: modifyResponse,
		ErrorHandler:   rt.proxyError,
	}
}

// rewrite builds the backend request. Rewrite (unlike Director) starts from
// a copy whose hop-by-hop headers are already gone and keeps the inbound
// request untouched.
func (rt *route) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(rt.Upstream)
	pr.Out.URL.Path, pr.Out.URL.RawPath = rt.Upstream.Path, rt.Upstream.RawPath
	pr.Out.URL.RawQuery = mergeQuery(rt.Upstream.RawQuery, pr.In.URL.RawQuery)
	pr.SetXForwarded()
	h := pr.Out.Header
	for _, name := range strippedHeaders {
		h.Del(name)
	}
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "x-drawbridge-") {
			h.Del(name)
		}
	}
	for name, v := range rt.Headers {
		h.Set(name, v)
	}
	if c, ok := pr.In.Context().Value(claimsKey{}).(*tokens.AccessClaims); ok && rt.ForwardIdentity {
		setIdentity(h, c)
	}
}

func mergeQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

func setIdentity(h http.Header, c *tokens.AccessClaims) {
	set := func(name, v string) {
		if v != "" && headerSafe(v) {
			h.Set(name, v)
		}
	}
	set(HeaderSubject, c.Subject)
	set(HeaderEmail, c.Email)
	set(HeaderName, c.Name)
	set(HeaderGroups, strings.Join(c.Groups, ","))
	set(HeaderClientID, c.ClientID)
	set(HeaderScope, c.Scope)
}

// headerSafe keeps values that are printable ASCII, so a claim cannot
// smuggle a header or confuse a backend's parser.
func headerSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return len(v) <= 4096
}

// modifyResponse keeps streams unbuffered by any proxy in front of us.
func modifyResponse(resp *http.Response) error {
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Header.Set("X-Accel-Buffering", "no")
		resp.Header.Set("Cache-Control", "no-cache")
	}
	return nil
}

// proxyError answers backend failures with a JSON-RPC error body, never an
// HTML page: 504 when the backend was too slow, 502 otherwise.
func (rt *route) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; nobody to answer
	}
	status, msg := http.StatusBadGateway, "the MCP server is unavailable"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		status, msg = http.StatusGatewayTimeout, "the MCP server did not answer in time"
	}
	rt.gw.opt.Log.Warn("backend request failed", "server", rt.Name, "status", status, "err", err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body, _ := jsonMarshal(map[string]any{
		"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": -32603, "message": msg},
	})
	_, _ = w.Write(body)
}
