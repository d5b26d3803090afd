package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// routes are what an in-process backend that fans out to backends of its
// own (a composed server) said about where a request went: the member
// and the member's own name for what the client named. The audit record
// carries them.
type routes struct {
	mu   sync.Mutex
	list []routedTo
}

type routedTo struct{ backend, name string }

func (r *routes) add(backend, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, routedTo{backend, name})
}

// only is the one route recorded; ok is false for none or several (a
// batch, whose messages cannot be told apart by their routes).
func (r *routes) only() (routedTo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.list) != 1 {
		return routedTo{}, false
	}
	return r.list[0], true
}

// NoteRouted records, for the request ctx belongs to, that an in-process
// backend sent it on to backend under backend's own name for it: the
// request's audit record carries both (backend, backend_name). Outside a
// request the gateway admitted it does nothing. Safe for concurrent use.
func NoteRouted(ctx context.Context, backend, name string) {
	if x := exchangeOf(ctx); x != nil {
		x.routes.add(backend, name)
	}
}

// Detach returns a context for work an in-process backend does on its
// own after or beside a request (closing its sessions elsewhere, fetching
// a list again): it is never cancelled, keeps ctx's values, and keeps the
// caller (Claims), but not the request: nothing done with it is recorded
// as the request's.
func Detach(ctx context.Context) context.Context {
	return withExchange(context.WithoutCancel(ctx), &exchange{claims: Claims(ctx)})
}

// SetIdentity replaces the X-Drawbridge-* identity headers in h with
// those of c (forward_identity); with c nil it only removes them. For an
// in-process backend's own requests to its backends.
func SetIdentity(h http.Header, c *tokens.AccessClaims) {
	for name := range h {
		if strings.HasPrefix(normalizeName(name), identityPrefix) {
			delete(h, name)
		}
	}
	if c != nil {
		setIdentity(&headerSetter{h: h}, c)
	}
}

// NewBackendTransport is the transport the gateway proxies with (pooled
// connections, no transparent gzip, headerTimeout on the wait for
// response headers, none on streaming bodies; HTTP/2 only with http2, as
// Backend.HTTP2), for an in-process backend's own requests to its
// backends.
func NewBackendTransport(headerTimeout time.Duration, http2 bool) *http.Transport {
	return newTransport(headerTimeout, http2)
}

// WithCaller is ctx carrying c as the caller Claims returns, outside any
// request: for tests of in-process backends, which otherwise see a caller
// only in requests the gateway admitted.
func WithCaller(ctx context.Context, c *tokens.AccessClaims) context.Context {
	return withExchange(ctx, &exchange{claims: c})
}

// sessionWriter binds the sessions an in-process backend opens to the
// caller, and forgets those it ends, as modifyResponse does for a proxied
// backend: when the backend's header goes out.
type sessionWriter struct {
	http.ResponseWriter
	rt      *route
	x       *exchange
	r       *http.Request
	decided bool
}

func (w *sessionWriter) WriteHeader(code int) {
	if !w.decided && code >= 200 {
		w.decided = true
		if !w.bind(code) {
			return
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

// bind records a new session (or forgets an ended one) before the answer
// that names it goes out. A session that cannot be recorded is never
// handed out: the client gets 503 instead, and may retry.
func (w *sessionWriter) bind(code int) bool {
	sid, x := w.Header().Get("Mcp-Session-Id"), w.x
	switch {
	case sid != "" && x.session == "" && x.claims != nil && code < 300:
		if err := w.rt.gw.sessions.bind(w.r.Context(), w.rt.Name, sid, "", x.claims); err != nil {
			w.rt.gw.opt.Log.Error("recording a new session", "server", w.rt.Name, "err", err)
			w.Header().Del("Mcp-Session-Id")
			writeRPCError(w.ResponseWriter, http.StatusServiceUnavailable, nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the gateway cannot record the session right now; try again shortly"})
			w.ResponseWriter = discard{w.ResponseWriter.Header()}
			return false
		}
	case x.session != "" && w.r.Method == http.MethodDelete && code < 300:
		w.rt.gw.sessions.end(w.r.Context(), w.rt.Name, x.session)
	}
	return true
}

func (w *sessionWriter) Write(b []byte) (int, error) {
	if !w.decided {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *sessionWriter) Flush() {
	if !w.decided {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discard swallows the rest of an answer that was replaced.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
