package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
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

// ServeHTTP runs one MCP request through the gateway's checks, in order:
// origin, bearer token and scopes, body size and header/body agreement,
// session ownership; then proxies it, and records what happened.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := rt.begin(w, r)
	defer rt.finish(x)
	if !rt.admit(x) {
		return
	}
	if rt.Transport == TransportSSE {
		rt.serveLegacyStream(x)
		return
	}
	x.reply = rt.replyFor(x)
	if rt.Handler != nil {
		rt.serveInProcess(x, r)
		return
	}
	if !rt.withCredential(x) {
		return
	}
	if !rt.sessionOwned(x) {
		return
	}
	rt.forward(x)
}

// sessionOwned checks that the session the request names, if any, was
// opened through this gateway by the caller (RS6), and notes it in x;
// otherwise it answers 404, as for a session that does not exist.
func (rt *route) sessionOwned(x *exchange) bool {
	sid := x.r.Header.Get("Mcp-Session-Id")
	if sid == "" {
		return true
	}
	if _, err := rt.gw.sessions.check(x.r.Context(), rt.Name, sid, x.claims); err != nil {
		x.reason = "session_not_found"
		rt.sessionError(x.w, err)
		return false
	}
	x.session = sid
	return true
}

// serveInProcess runs an in-process backend (a stdio bridge, an OpenAPI
// server, a composed server). Client credentials never reach it; it finds
// the caller through Claims. Its sessions are bound to the caller here,
// as a proxied backend's are (RS6), whether or not it binds them itself:
// a composed server, for one, keeps sessions of its own.
func (rt *route) serveInProcess(x *exchange, r *http.Request) {
	r = r.WithContext(withExchange(r.Context(), x))
	rt.stripClientHeaders(r.Header)
	if !rt.sessionOwned(x) {
		return
	}
	w := &sessionWriter{ResponseWriter: x.w, rt: rt, x: x, r: r}
	if x.reply != nil {
		rt.serveReply(w, r, x.reply)
		return
	}
	rt.Handler.ServeHTTP(w, r)
}

// forward proxies the request to the backend and answers on x.w.
func (rt *route) forward(x *exchange) {
	// Deferred: the forwarder panics with http.ErrAbortHandler when a
	// stream breaks mid-body, and a keep-alive timer left running would
	// write to a finished response.
	defer x.w.stopKeepAlive()
	if resp := rt.send(x); resp != nil {
		rt.relay(x, resp)
	}
}

// admit runs the checks every request passes before it may be proxied:
// origin, preflight, bearer token and scopes, and for POSTs the body. It
// answers the request itself (and records why) when one fails.
func (rt *route) admit(x *exchange) bool {
	w, r := x.w, x.r
	if !rt.networkAllowed(r) {
		x.reason = "network"
		writeRPCError(w, http.StatusForbidden, nil, &jsonrpc.Error{Code: jsonrpc.CodeForbidden, Message: "requests from this address are not allowed"})
		return false
	}
	if !rt.originAllowed(r.Header.Get("Origin")) {
		x.reason = "origin"
		writeRPCError(w, http.StatusForbidden, nil, &jsonrpc.Error{Code: jsonrpc.CodeForbidden, Message: "requests from this origin are not allowed"})
		return false
	}
	if r.Method == http.MethodOptions {
		x.preflight = true
		preflight(w, r)
		return false
	}
	setCORS(w, r)
	d := rt.tracedAuthorize(r)
	if d.status != 0 {
		x.reason, x.refused, x.detail = d.reason(), d.refused, d.challenge.ErrorDescription
		if rt.gw.opt.Debug {
			rt.gw.opt.Log.Info("oauth debug", "step", "resource: request refused", "server", rt.Name,
				"status", d.status, "reason", x.reason, "www_authenticate", d.challenge.String())
		}
		deny(w, d)
		return false
	}
	x.claims, x.scopes = d.claims, d.scopes
	if rt.gw.opt.Revoked != nil {
		x.cw.watchGrant(rt.gw.opt.Revoked, d.claims.GrantID)
	}
	if rt.Policy != nil && !rt.Policy.CanConnect(x.identity()) {
		x.reason, x.rule = "policy", "connect"
		writeRPCError(w, http.StatusForbidden, nil, &jsonrpc.Error{Code: jsonrpc.CodeForbidden, Message: "you may not use this server"})
		return false
	}
	if !rt.checkSessionHeader(x) {
		return false
	}
	if r.Method == http.MethodPost {
		return rt.checkBody(x) && rt.decide(x)
	}
	return rt.checkRequestRate(x)
}

// tracedAuthorize decides on the request's token, in a span of its own
// when traces are recorded (with tracing off, the span's attributes would
// be built on every request for nothing).
func (rt *route) tracedAuthorize(r *http.Request) decision {
	if !rt.gw.traced {
		return rt.authorize(r.Context(), r)
	}
	_, span := rt.gw.tracer.Start(r.Context(), "drawbridge.authorize",
		trace.WithAttributes(attribute.String("mcp.server", rt.Name)))
	d := rt.authorize(r.Context(), r)
	span.SetAttributes(attribute.Int("drawbridge.decision.status", d.status))
	span.End()
	return d
}

// checkSessionHeader: a request names at most one session, with a value
// MCP allows (visible ASCII, MCP Streamable HTTP "Session Management").
// Two values, or an empty one, could be read one way here and another way
// by the backend or a proxy before it, so they are refused.
func (rt *route) checkSessionHeader(x *exchange) bool {
	ids := x.r.Header.Values("Mcp-Session-Id")
	if len(ids) == 0 {
		return true
	}
	if len(ids) == 1 && ids[0] != "" && visibleASCII(ids[0]) {
		return true
	}
	x.reason = "bad_session_header"
	writeRPCError(x.w, http.StatusBadRequest, nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "Bad Request: send exactly one Mcp-Session-Id header with a non-empty value of visible ASCII characters"})
	return false
}

func visibleASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// networkAllowed applies the server's address lists to the client address
// (behind trusted proxies, from X-Forwarded-For).
func (rt *route) networkAllowed(r *http.Request) bool {
	if len(rt.AllowedNetworks)+len(rt.DeniedNetworks) == 0 {
		return true
	}
	a := clientaddr.From(r.Context())
	if !a.IsValid() {
		a, _ = netip.ParseAddr(remoteHost(r))
	}
	if clientaddr.Contains(rt.DeniedNetworks, a) {
		return false
	}
	return len(rt.AllowedNetworks) == 0 || clientaddr.Contains(rt.AllowedNetworks, a)
}

// withCredential gets the backend's own credential for this caller, for
// rewrite. It answers the request itself when there is none.
func (rt *route) withCredential(x *exchange) bool {
	if rt.Credential == nil {
		return true
	}
	h, err := rt.Credential.Headers(x.r.Context(), x.claims)
	if errors.Is(err, backendauth.ErrSignInAgain) {
		// The user's upstream session has ended and the grant with it: a
		// new sign-in fixes this, so the client gets a challenge, not a
		// backend error.
		x.reason = "upstream_session_ended"
		deny(x.w, decision{status: http.StatusUnauthorized, challenge: oauth.BearerChallenge{
			ResourceMetadata: rt.MetadataURL, Scope: rt.Scopes, Error: oauth.ErrInvalidToken,
			ErrorDescription: "the sign-in at the identity provider has ended; sign in again"}})
		return false
	}
	if err != nil {
		x.reason = "backend_credential"
		rt.gw.opt.Log.Error("backend credential unavailable", "server", rt.Name, "err", err)
		writeRPCError(x.w, http.StatusBadGateway, nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the gateway could not get a credential for the MCP server"})
		return false
	}
	x.cred = h
	return true
}

func (rt *route) sessionError(w http.ResponseWriter, err error) {
	if errors.Is(err, errSessionNotYours) {
		// 404 tells a client to start a new session (MCP Streamable HTTP
		// "Session Management"), and does not say whether the id exists.
		writeRPCError(w, http.StatusNotFound, nil, &jsonrpc.Error{Code: jsonrpc.CodeSessionNotFound, Message: "Session not found"})
		return
	}
	rt.gw.opt.Log.Error("checking session binding", "server", rt.Name, "err", err)
	writeRPCError(w, http.StatusServiceUnavailable, nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the gateway cannot check the session right now"})
}

// preflight answers CORS preflights for browser-based MCP clients from
// allowed origins. Tokens travel in the Authorization header, not cookies.
func preflight(w http.ResponseWriter, r *http.Request) {
	setCORS(w, r)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name, DPoP")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// setCORS echoes an (already allowed) origin; without credentials mode,
// browsers accept it for reading responses and headers. A request without
// Origin is not a browser's cross-origin one (browsers send Origin with
// every CORS request, and with every POST), so its answer carries no CORS
// headers: a browser would ignore them anyway without
// Access-Control-Allow-Origin, and every other client pays for parsing
// them.
func setCORS(w http.ResponseWriter, r *http.Request) {
	o := r.Header.Get("Origin")
	if o == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", o)
	h.Add("Vary", "Origin")
	h["Access-Control-Expose-Headers"] = exposeHeaders
}

// exposeHeaders is the one value of every MCP answer's
// Access-Control-Expose-Headers, shared: net/http only reads it, and the
// gateway never changes a header's values in place.
var exposeHeaders = []string{"Mcp-Session-Id, WWW-Authenticate, MCP-Protocol-Version"}

// newTransport wraps the backend transport: backend calls are client
// spans and carry the W3C traceparent.
func (rt *route) newTransport(transport http.RoundTripper) http.RoundTripper {
	if transport == nil {
		transport = newTransport(rt.Timeout, rt.HTTP2)
	}
	if telemetry.Traced(rt.gw.opt.TracerProvider) {
		transport = otelhttp.NewTransport(transport, otelhttp.WithTracerProvider(rt.gw.opt.TracerProvider),
			otelhttp.WithSpanNameFormatter(func(string, *http.Request) string { return "backend " + rt.Name }))
	}
	return transport
}

// withoutClientToken is the last line of defence for RS5: whatever was
// configured, fetched or sent along, no header or query parameter of the
// backend request carries the client's own access token.
func withoutClientToken(in, out *http.Request) {
	_, raw, ok := oauth.AccessToken(in)
	if !ok || len(raw) < 16 {
		return
	}
	for name, vs := range out.Header {
		for _, v := range vs {
			if strings.Contains(v, raw) {
				out.Header.Del(name)
				break
			}
		}
	}
	if q := out.URL.RawQuery; q != "" && strings.Contains(q, raw) {
		kept := out.URL.Query()
		for k, vs := range kept {
			for _, v := range vs {
				if strings.Contains(v, raw) {
					kept.Del(k)
					break
				}
			}
		}
		out.URL.RawQuery = kept.Encode()
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

func setIdentity(h *headerSetter, c *tokens.AccessClaims) {
	set := func(name, v string) {
		if v != "" && headerSafe(v) {
			h.set(name, v)
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

// errBindSession: the backend made a session the gateway could not record.
var errBindSession = errors.New("binding the new session")

// modifyResponse binds new sessions to their subject, forgets deleted
// ones, and keeps streams flowing through any proxy in front of us.
func (rt *route) modifyResponse(x *exchange, resp *http.Response) error {
	req := resp.Request
	claims := x.claims
	sid := resp.Header.Get("Mcp-Session-Id")
	existing := x.session != ""
	switch {
	case rt.Transport == TransportSSE:
	case sid != "" && !existing && claims != nil && resp.StatusCode < 300:
		if err := rt.gw.sessions.bind(req.Context(), rt.Name, sid, "", claims); err != nil {
			return fmt.Errorf("%w: %w", errBindSession, err)
		}
	case existing && req.Method == http.MethodDelete && resp.StatusCode < 300:
		rt.gw.sessions.end(req.Context(), rt.Name, x.session)
	}
	if x.reply != nil {
		if err := rt.rewriteReply(resp, x.reply); err != nil {
			return err
		}
	}
	isStream := isEventStream(resp.Header.Get("Content-Type"))
	if rt.Transport == TransportSSE && req.Method == http.MethodGet && isStream && claims != nil {
		rt.rewriteLegacyStream(resp, claims)
	}
	if isStream {
		rt.gw.opt.Metrics.StreamOpened(rt.Name)
		resp.Body = &onClose{ReadCloser: resp.Body, fn: func() { rt.gw.opt.Metrics.StreamClosed(rt.Name) }}
		resp.Header.Set("X-Accel-Buffering", "no")
		resp.Header.Set("Cache-Control", "no-cache")
		if rt.KeepAlive > 0 {
			x.w.startKeepAlive(rt.KeepAlive)
		}
	}
	return nil
}

// proxyError answers backend failures with a JSON-RPC error body, never an
// HTML page: 504 when the backend was too slow, 502 otherwise.
func (rt *route) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; nobody to answer
	}
	status, msg, kind := http.StatusBadGateway, "the MCP server is unavailable", "unavailable"
	var ne net.Error
	if errors.Is(err, errBindSession) {
		// The backend is fine; our store is not. The session the backend
		// made is never handed out, and the client may simply retry.
		rt.gw.opt.Log.Error("recording a new session", "server", rt.Name, "err", err)
		writeRPCError(w, http.StatusServiceUnavailable, nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the gateway cannot record the session right now; try again shortly"})
		return
	}
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		status, msg, kind = http.StatusGatewayTimeout, "the MCP server did not answer in time", "timeout"
	}
	rt.gw.opt.Metrics.BackendError(rt.Name, kind)
	rt.gw.opt.Log.Warn("backend request failed", "server", rt.Name, "status", status, "err", err)
	writeRPCError(w, status, nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: msg})
}

// onClose runs fn once when the body is closed.
type onClose struct {
	io.ReadCloser
	once sync.Once
	fn   func()
}

func (o *onClose) Close() error {
	o.once.Do(o.fn)
	return o.ReadCloser.Close()
}
