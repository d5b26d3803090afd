package server

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"
)

// chain is the one place that declares the middleware order, outermost
// first: recover from panics, tag the request with an id, log it.
func chain(h http.Handler, log *slog.Logger, tp trace.TracerProvider, spanName func(string, *http.Request) string, addrs *clientaddr.Resolver) http.Handler {
	h = accessLog(h, log)
	h = requestContext(h, addrs)
	// The inbound span: a caller's traceparent is continued, and the
	// gateway's backend call becomes its child.
	if telemetry.Traced(tp) {
		h = otelhttp.NewHandler(h, "drawbridge", otelhttp.WithTracerProvider(tp), otelhttp.WithSpanNameFormatter(spanName))
	}
	h = recoverPanics(h, log)
	return h
}

// requestContext puts in the request's context what everything after it
// reads: the client's address (from X-Forwarded-For only behind trusted
// proxies, for limits, address filters, logs and audit), and the request
// id, a sane X-Request-Id from a trusted front proxy or a new one, echoed
// in the response.
func requestContext(h http.Handler, addrs *clientaddr.Resolver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneID(id) {
			id = rand.Text()
		}
		ctx := requestid.With(addrs.With(r.Context(), r), id)
		w.Header()["X-Request-Id"] = requestid.HeaderValue(ctx)
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

func saneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusWriter remembers the status; it passes Flush and Unwrap through so
// streaming keeps working behind it.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs method, path and status. Never the query string: it can
// carry authorization codes and state.
func accessLog(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		logRequest(log, r, sw, start)
	})
}

// logRequest writes the access log line. It is a function of its own,
// never inlined, so that its arguments (640 bytes) take no room in the
// frame that is under every request and stays on a stream's stack for as
// long as the stream is open: an HTTP/1.1 stream's handler goroutine then
// needs an 8 KiB stack, not 16 (see gateway's relay).
//
//go:noinline
func logRequest(log *slog.Logger, r *http.Request, sw *statusWriter, start time.Time) {
	log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("request_id", requestid.From(r.Context())),
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("remote", clientaddr.String(r)),
		slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
		slog.Duration("duration", time.Since(start)))
}

// recoverPanics turns a panic into a 500 without leaking its detail.
func recoverPanics(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal server error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// spanNamer names inbound spans by route, never by raw path: paths are
// chosen by clients, span names must stay few.
func spanNamer(cfg *config.Config) func(string, *http.Request) string {
	return func(_ string, r *http.Request) string {
		p := r.URL.Path
		for i := range cfg.Backends {
			sv := &cfg.Backends[i]
			if p == sv.Path || strings.HasPrefix(p, sv.Path+"/") {
				return r.Method + " " + sv.Path
			}
		}
		if config.IsReservedPath(p) {
			return r.Method + " " + p
		}
		return r.Method + " other"
	}
}
