package compose

import (
	"errors"
	"io"
	"net/http"
	"sync"
)

// HandlerTransport is a RoundTripper that serves each request with h in
// the same process, streaming the response: the body reaches the caller
// as h writes and flushes it, so an in-process member (a stdio bridge, an
// OpenAPI server) can answer with an SSE stream as a remote one does.
// Closing the response body, or cancelling the request's context, ends
// h's request.
func HandlerTransport(h http.Handler) http.RoundTripper { return handlerTransport{h} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = req.URL.RequestURI()
	pr, pw := io.Pipe()
	rw := &pipeResponse{header: http.Header{}, pw: pw, ready: make(chan struct{})}
	go func() {
		defer func() {
			// A handler that panics (http.ErrAbortHandler included) ends
			// its response as net/http would: broken, not the process.
			if recover() != nil {
				rw.writeHeader(http.StatusInternalServerError)
				_ = pw.CloseWithError(errors.New("compose: the in-process handler failed"))
				return
			}
			rw.writeHeader(http.StatusOK)
			_ = pw.Close()
		}()
		t.h.ServeHTTP(rw, in)
	}()
	select {
	case <-rw.ready:
	case <-req.Context().Done():
		_ = pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	return &http.Response{
		Status: http.StatusText(rw.status), StatusCode: rw.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rw.sent, Body: &pipeBody{pr}, ContentLength: -1, Request: req,
	}, nil
}

// pipeResponse is the ResponseWriter h writes to: headers are handed over
// at WriteHeader, the body through a pipe.
type pipeResponse struct {
	header http.Header
	sent   http.Header
	status int
	once   sync.Once
	ready  chan struct{}
	pw     *io.PipeWriter
}

func (p *pipeResponse) Header() http.Header { return p.header }

func (p *pipeResponse) WriteHeader(status int) { p.writeHeader(status) }

func (p *pipeResponse) writeHeader(status int) {
	p.once.Do(func() {
		p.status, p.sent = status, p.header.Clone()
		close(p.ready)
	})
}

func (p *pipeResponse) Write(b []byte) (int, error) {
	p.writeHeader(http.StatusOK)
	return p.pw.Write(b)
}

// Flush is a no-op: the pipe holds nothing back.
func (p *pipeResponse) Flush() {}

// pipeBody ends h's writes when the caller closes the body.
type pipeBody struct{ pr *io.PipeReader }

func (b *pipeBody) Read(p []byte) (int, error) { return b.pr.Read(p) }

func (b *pipeBody) Close() error {
	return b.pr.CloseWithError(errors.New("compose: response body closed"))
}
