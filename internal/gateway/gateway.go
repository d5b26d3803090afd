package gateway

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"go.opentelemetry.io/otel/trace"
)

// Backend describes one MCP server behind the gateway: the endpoint clients
// see (Path, Resource) and how to reach the backend (Upstream or Handler).
type Backend struct {
	Name string
	// Path is the public path of the MCP endpoint, such as /mcp.
	Path string
	// Resource is the endpoint's public URL: the token audience.
	Resource string
	// MetadataURL is where its protected resource metadata is served.
	MetadataURL string
	Title       string
	Upstream    *url.URL
	// Handler serves the server in-process instead of proxying to
	// Upstream (a stdio bridge, an OpenAPI server, a composed server). It
	// gets requests that passed every check, with the caller's claims in
	// the context (see Claims), and no client credentials; the sessions
	// it opens are bound to the caller as a proxied backend's are.
	Handler http.Handler
	// Scopes a token must carry.
	Scopes []string
	// RequireDPoP accepts only DPoP-bound tokens presented with a proof
	// (RFC 9449 §7.1); otherwise bearer tokens are accepted too. A bound
	// token always needs its proof.
	RequireDPoP bool
	// Headers are the backend's own credentials, added to every request.
	Headers map[string]string
	// ForwardIdentity adds X-Drawbridge-* identity headers.
	ForwardIdentity bool
	// Timeout bounds the wait for the backend's response headers.
	Timeout time.Duration
	// HTTP2 speaks only HTTP/2 to Upstream: with prior knowledge (h2c)
	// to an http:// URL, offering only h2 in ALPN to an https:// one.
	// Many streams then share one connection. Off, an http:// upstream
	// is spoken to in HTTP/1.1, a connection per request in flight, and
	// an https:// one in whichever of h2 and HTTP/1.1 it picks. Ignored
	// when Options.Transport is set.
	HTTP2 bool
	// MaxBodyBytes bounds a request body (413 beyond); 0 means
	// config.DefaultMaxRequestBytes.
	MaxBodyBytes int64
	// KeepAlive is the idle time after which an SSE stream gets a comment
	// line; 0 means config.DefaultKeepAlive, negative none.
	KeepAlive time.Duration
	// Transport is TransportSSE for the 2024-11-05 HTTP+SSE transport
	// (Upstream is then its SSE URL); anything else, such as
	// TransportStreamable, is Streamable HTTP.
	Transport string
	// Credential authenticates requests to the backend as the backend's
	// own (identity assertion, client credentials, ...); nil adds nothing
	// beyond Headers.
	Credential backendauth.Credential
	// Policy decides who may connect and call what; nil allows everyone
	// with a valid token.
	Policy *policy.Policy
	// Pins is the server's tool definition pinning: tools/list results
	// show only what it approves and tools/call is refused for the rest;
	// nil pins nothing.
	Pins *pinning.Pins
	// RateRules limit the server's requests (with Options.Limiter).
	RateRules []RateRule
	// AllowedNetworks, if set, are the only client addresses that may use
	// the server; DeniedNetworks may not.
	AllowedNetworks, DeniedNetworks []netip.Prefix
	// AllowedOrigins are browser origins besides the gateway's own that may
	// call the endpoint ("*" for any). Requests without Origin are not
	// browser requests and are not affected.
	AllowedOrigins []string
}

// Options configures the gateway.
type Options struct {
	Issuer   string
	Backends []Backend
	Verifier tokens.AccessVerifier
	// Revoked, when set, ends a response stream at the first event the
	// backend sends after the grant of the token that opened it was
	// revoked (tokens.RevocationList is one); nil leaves streams open.
	Revoked Revocations
	// Store keeps session bindings; Now is the clock.
	Store storage.Store
	Now   func() time.Time
	// SessionTTL is how long a session stays bound to its subject (0:
	// config.DefaultSessionTTL); after it the client gets 404 and starts a
	// new session.
	SessionTTL time.Duration
	// Audit records every request; nil records none. AuditArguments adds
	// tool arguments, with the values of RedactKeys replaced.
	Audit audit.Emitter
	// TracerProvider makes the authorization and backend spans; nil
	// records none.
	TracerProvider trace.TracerProvider
	// Debug logs metadata fetches and refusals with their reasons.
	Debug bool
	// Limiter counts rate limits; nil disables them.
	Limiter ratelimit.Limiter
	// Metrics counts backend errors and open streams; nil counts nothing.
	Metrics        *telemetry.Metrics
	AuditArguments bool
	RedactKeys     []string
	Log            *slog.Logger
	// Transport overrides the backend transport (tests); it must be safe
	// for concurrent use.
	Transport http.RoundTripper
}

// Gateway serves the MCP endpoints and their metadata.
type Gateway struct {
	opt      Options
	tracer   trace.Tracer
	traced   bool // spans are recorded (telemetry.Traced)
	routes   []*route
	sessions *sessions
	origin   string
	// dpop checks the proofs of DPoP-bound tokens, recording each
	// proof's jti in Store so that replicas share replay detection.
	dpop *dpop.Checker
}

type route struct {
	Backend
	gw *Gateway
	// headers are Headers by canonical name, in a fixed order.
	headers [][2]string
	// transport reaches Upstream; nil for an in-process backend.
	transport http.RoundTripper
	prm       []byte
	// publicHost and publicScheme are those of Resource, for the
	// X-Forwarded headers.
	publicHost, publicScheme string
}

// New builds the gateway.
func New(opt Options) (*Gateway, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SessionTTL == 0 {
		opt.SessionTTL = config.DefaultSessionTTL
	}
	if opt.Store == nil {
		return nil, fmt.Errorf("gateway: a store is required (session bindings)")
	}
	if opt.TracerProvider == nil {
		opt.TracerProvider = telemetry.Off
	}
	g := &Gateway{opt: opt, tracer: opt.TracerProvider.Tracer("drawbridge/gateway"), traced: telemetry.Traced(opt.TracerProvider), sessions: newSessions(opt.Store, opt.Now, opt.SessionTTL), origin: originOf(opt.Issuer),
		dpop: &dpop.Checker{Replay: opt.Store, Now: opt.Now}}
	for _, s := range opt.Backends {
		// The configuration sets these; the fallbacks are for callers
		// that leave them zero (tests).
		if s.MaxBodyBytes == 0 {
			s.MaxBodyBytes = config.DefaultMaxRequestBytes
		}
		if s.KeepAlive == 0 {
			s.KeepAlive = config.DefaultKeepAlive
		}
		if (s.Upstream == nil && s.Handler == nil) || s.Resource == "" || s.Path == "" {
			return nil, fmt.Errorf("gateway: server %q is incomplete", s.Name)
		}
		pub, err := url.Parse(s.Resource)
		if err != nil || pub.Host == "" {
			return nil, fmt.Errorf("gateway: server %q: the resource %q is not an absolute URL", s.Name, s.Resource)
		}
		rt := &route{Backend: s, gw: g, publicHost: pub.Host, publicScheme: pub.Scheme, headers: canonicalHeaders(s.Headers)}
		if s.Upstream != nil {
			rt.transport = rt.newTransport(opt.Transport)
		}
		prm, err := rt.metadataJSON(opt.Issuer)
		if err != nil {
			return nil, err
		}
		rt.prm = prm
		g.routes = append(g.routes, rt)
	}
	return g, nil
}

// canonicalHeaders lists configured headers by canonical name, sorted,
// so that every request sets them the same way (two names that are one
// header: the later in order wins, as with http.Header.Set).
func canonicalHeaders(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for name, v := range m {
		out = append(out, [2]string{http.CanonicalHeaderKey(name), v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// Routes mounts each MCP endpoint and its metadata on mux. The metadata is
// at the path-inserted well-known URL (RFC 9728 §3.1) and, when there is a
// single server, at the root well-known URL too, for clients that only look
// there.
func (g *Gateway) Routes(mux *http.ServeMux) {
	for _, rt := range g.routes {
		mux.Handle(rt.Path, rt)
		if rt.Transport == TransportSSE {
			mux.HandleFunc(rt.Path+legacyMessagePath, rt.serveLegacyMessage)
		}
		mux.Handle("/.well-known/oauth-protected-resource"+rt.Path, cors(http.HandlerFunc(rt.serveMetadata)))
	}
	if len(g.routes) == 1 {
		mux.Handle("/.well-known/oauth-protected-resource", cors(http.HandlerFunc(g.routes[0].serveMetadata)))
	}
}

// newTransport is the backend transport: pooled keep-alive connections, no
// transparent gzip (the forwarder asks for identity encoding), and a bound
// on the wait for response headers but none on streaming bodies.
//
// A connection's buffers are smaller than net/http's 4 KiB, because a
// connection that carries an idle stream holds them for as long as the
// stream is open: 2 KiB to write, which an MCP request's header fits even
// with a backend token in it, and 1 KiB to read, which an answer's header
// fits; a larger body is read and written past the buffer without
// copying.
//
// With http2 the transport speaks HTTP/2 only (see Backend.HTTP2).
func newTransport(headerTimeout time.Duration, http2 bool) *http.Transport {
	t := &http.Transport{
		ReadBufferSize:        1 << 10,
		WriteBufferSize:       2 << 10,
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		DisableCompression:    true,
	}
	if http2 {
		useHTTP2(t)
	}
	return t
}

// useHTTP2 makes t speak HTTP/2 only. Protocols is set explicitly (the
// custom dialer, without ForceAttemptHTTP2, would turn HTTP/2 off), and
// without HTTP/1 in it an http:// URL gets h2c with prior knowledge (RFC
// 9113 §3.3) and ALPN offers only h2. A TLS server that ignores ALPN
// would still be spoken to in HTTP/1.1, so the handshake fails unless
// the server picked h2 (requireH2).
//
// A connection carries as many streams as the backend's
// SETTINGS_MAX_CONCURRENT_STREAMS allows (Go's server: 250); past that a
// new connection is opened rather than the request waiting
// (StrictMaxConcurrentRequests off), because the streams that fill a
// connection are long-lived and idle, and a request queued behind them
// would wait for as long as they last. A connection that has said nothing
// for 30s is pinged, and closed with every stream on it (which then ends
// for its client) when the ping goes unanswered for 15s: one half-open
// connection would otherwise hold hundreds of streams silent.
// MaxIdleConns and MaxIdleConnsPerHost count HTTP/1 connections only.
func useHTTP2(t *http.Transport) {
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP2(true)
	t.Protocols.SetUnencryptedHTTP2(true)
	t.HTTP2 = &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second}
	t.TLSClientConfig = &tls.Config{VerifyConnection: requireH2}
}

// requireH2 refuses a TLS connection on which the server did not pick h2
// by ALPN (RFC 7301). It runs in the handshake, after the certificate is
// verified, when the protocol is known.
func requireH2(cs tls.ConnectionState) error {
	if cs.NegotiatedProtocol != "h2" {
		return fmt.Errorf("the backend did not negotiate HTTP/2 by ALPN (got %q), which backend_http2 needs", cs.NegotiatedProtocol)
	}
	return nil
}

func (rt *route) metadataJSON(issuer string) ([]byte, error) {
	return jsonMarshal(oauth.ProtectedResourceMetadata{
		Resource:               rt.Resource,
		AuthorizationServers:   []string{issuer},
		ScopesSupported:        rt.Scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           rt.Title,
		// RFC 9449 §5.2 (RFC 9728 §2).
		DPoPSigningAlgValuesSupported: dpop.AlgorithmNames(),
		DPoPBoundAccessTokensRequired: rt.RequireDPoP,
	})
}

func (rt *route) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if rt.gw.opt.Debug {
		rt.gw.opt.Log.Info("oauth debug", "step", "discovery: protected resource metadata", "server", rt.Name,
			"path", r.URL.Path, "user_agent", r.UserAgent())
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(rt.prm)
}

// cors answers preflights for metadata: any origin may read it, and
// MCP-Protocol-Version may be sent (RS7).
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "MCP-Protocol-Version, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
