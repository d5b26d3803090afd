package inproc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// Transport is an http.RoundTripper that serves each request with
// Handler. The handler's request keeps the caller's context (and its
// values), so a handler that finds its caller there still does.
type Transport struct {
	Handler http.Handler
}

var _ http.RoundTripper = Transport{}

// errPanicked is what the caller reads when the handler panicked.
var errPanicked = errors.New("inproc: the handler panicked")

// RoundTrip serves r. It returns when the handler has written its
// header (or returned, or r's context ended first); the body streams
// while the handler runs. Closing the body cancels the handler's
// context, so a handler that streams stops.
func (t Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(r.Context())
	req := r.Clone(ctx)
	req.RequestURI = r.URL.RequestURI()
	if req.Body == nil {
		req.Body = http.NoBody
	}
	pr, pw := io.Pipe()
	w := &writer{header: http.Header{}, ready: make(chan struct{}), pipe: pw}
	go t.serve(w, req, cancel)
	select {
	case <-w.ready:
	case <-r.Context().Done():
		pr.CloseWithError(r.Context().Err())
		cancel()
		return nil, r.Context().Err()
	}
	if w.panicked {
		pr.Close()
		return nil, errPanicked
	}
	return &http.Response{Status: http.StatusText(w.status), StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.sent, Body: &body{PipeReader: pr, cancel: cancel}, ContentLength: -1, Request: r}, nil
}

// serve runs the handler, then ends the body (with an error if it
// panicked, as net/http aborts the connection).
func (t Transport) serve(w *writer, r *http.Request, cancel context.CancelFunc) {
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			w.mu.Lock()
			if !w.started {
				w.panicked = true
			}
			w.mu.Unlock()
			w.WriteHeader(http.StatusInternalServerError)
			w.pipe.CloseWithError(errPanicked)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.pipe.Close()
	}()
	t.Handler.ServeHTTP(w, r)
}

// writer is the handler's ResponseWriter: the header goes to RoundTrip
// once, the body through the pipe.
type writer struct {
	header http.Header
	pipe   *io.PipeWriter

	mu       sync.Mutex
	started  bool
	panicked bool
	status   int
	sent     http.Header
	ready    chan struct{}
}

func (w *writer) Header() http.Header { return w.header }

// WriteHeader sends the final header once; informational (1xx) ones are
// not passed on.
func (w *writer) WriteHeader(code int) {
	if code < 200 && code != http.StatusSwitchingProtocols {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return
	}
	w.started, w.status, w.sent = true, code, w.header.Clone()
	close(w.ready)
}

func (w *writer) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.pipe.Write(b)
}

// Flush sends the header if it was not sent; each Write already reaches
// the reader.
func (w *writer) Flush() { w.WriteHeader(http.StatusOK) }

// body is the response body: closing it stops the handler.
type body struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (b *body) Close() error {
	b.cancel()
	return b.PipeReader.Close()
}
