package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The forwarder sends an admitted request to its backend and streams the
// answer back. It does what the gateway needs of a reverse proxy and no
// more: the backend request is built once from what admit read (the body
// strict reading checked, never read or decoded again), with a header map
// made for it rather than a clone to be pruned; the answer is copied
// through a pooled buffer, flushed write by write only when it is a stream
// (text/event-stream, or of unknown length), so that SSE events go out one
// by one (MCP Streamable HTTP; TR1) and a finite JSON answer leaves in one
// piece.

// hopHeaders are the hop-by-hop headers of RFC 9110 §7.6.1 (and the older
// ones of RFC 2616 §13.5.1 still seen): they describe one connection and
// are never passed on, in either direction. Names are canonical.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// isHop reports whether a header is hop-by-hop, given the names a
// message's Connection header lists (connListed; RFC 9110 §7.6.1).
func isHop(name string, connListed []string) bool {
	for _, h := range hopHeaders {
		if name == h {
			return true
		}
	}
	for _, c := range connListed {
		if name == c {
			return true
		}
	}
	return false
}

// connListed are the canonical names a Connection header lists; nil for
// none.
func connListed(h http.Header) []string {
	var names []string
	for _, c := range h["Connection"] {
		for f := range strings.SplitSeq(c, ",") {
			if f = strings.TrimSpace(f); f != "" {
				names = append(names, http.CanonicalHeaderKey(f))
			}
		}
	}
	return names
}

// removeHopHeaders removes a message's hop-by-hop headers in place.
func removeHopHeaders(h http.Header) {
	listed := connListed(h)
	for name := range h {
		if isHop(name, listed) {
			delete(h, name)
		}
	}
}

// send forwards x to the backend and returns its answer, ready to relay;
// nil when there is none, the client answered already.
func (rt *route) send(x *exchange) *http.Response {
	out := rt.outgoing(x)
	resp, err := rt.transport.RoundTrip(out)
	if err != nil {
		rt.proxyError(x.w, out, err)
		return nil
	}
	removeHopHeaders(resp.Header)
	if err := rt.modifyResponse(x, resp); err != nil {
		resp.Body.Close()
		rt.proxyError(x.w, out, err)
		return nil
	}
	return resp
}

// outgoing builds the backend request: the client's request line and
// headers less what only concerns the client's hop, sent where the route
// (or a legacy stream's endpoint) says, with the body admit read.
func (rt *route) outgoing(x *exchange) *http.Request {
	in := x.r
	out := in.WithContext(in.Context()) // a shallow copy; every shared field is replaced below
	out.URL = rt.outURL(x)
	out.Host, out.RequestURI, out.Close = "", "", false
	out.TransferEncoding, out.Trailer = nil, nil
	out.Header = rt.outHeader(x)
	if in.Method != http.MethodPost || in.ContentLength == 0 {
		// MCP sends bodies only with POST (whose body admit has read and
		// checked). Anything sent with a GET or DELETE is dropped rather
		// than streamed to the backend: it means nothing there, and
		// net/http can cut a response stream short while a handler's
		// request body is still being copied upstream. A nil body lets
		// the transport retry on a connection the backend closed.
		out.Body, out.ContentLength, out.GetBody = nil, 0, nil
	}
	withoutClientToken(in, out)
	return out
}

// outURL is where the backend request goes. A legacy message goes exactly
// where the backend's endpoint event said, its own query included; the
// client's query (our handle) stays here. Anything else goes to the
// upstream URL, the client's query added to the upstream's own.
func (rt *route) outURL(x *exchange) *url.URL {
	if t := x.target; t != nil {
		x.out.url = url.URL{Scheme: t.Scheme, Host: t.Host, Path: t.Path, RawPath: t.RawPath, RawQuery: t.RawQuery}
	} else {
		u := rt.Upstream
		x.out.url = url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: mergeQuery(u.RawQuery, x.r.URL.RawQuery)}
	}
	return &x.out.url
}

// outHeader is the backend request's header: the client's end-to-end
// headers, less its credentials and anything it may not tell the backend
// (stripClientHeaders), plus the forwarding headers, the backend's own
// credential and, with forward_identity, who is calling. Values are
// shared with the inbound request, never changed in place: every header
// the gateway sets gets a slice of its own.
func (rt *route) outHeader(x *exchange) http.Header {
	in := x.r.Header
	h := make(http.Header, rt.outHeaderSize(x))
	listed := connListed(in)
	for name, v := range in {
		if !isHop(name, listed) {
			h[name] = v
		}
	}
	// Tell a backend that cares that trailers are understood, when the
	// client said so (as net/http/httputil does).
	if hasToken(in["Te"], "trailers") {
		h["Te"] = []string{"trailers"}
	}
	rt.stripClientHeaders(h, x.cred)
	set := &x.out.header
	*set = headerSetter{h: h, vals: x.out.vals[:0]}
	rt.setForwarded(set, x.r)
	// Streams must reach the client uncompressed and event by event (TR1);
	// asking the backend for identity encoding guarantees it.
	delete(h, "Accept-Encoding")
	for _, kv := range rt.headers {
		set.set(kv[0], kv[1])
	}
	for name, v := range x.cred {
		h[name] = v
	}
	if rt.ForwardIdentity && x.claims != nil {
		setIdentity(set, x.claims)
	}
	if _, ok := h["User-Agent"]; !ok {
		// No User-Agent from the client: send none, not Go's.
		set.set("User-Agent", "")
	}
	return h
}

// outHeaderSize is how many headers outHeader sets, or a few more: the
// client's (less its token and Accept-Encoding, always removed; a
// hop-by-hop one counts though it is not sent), the forwarding ones, the
// configured ones, the credential's, an empty User-Agent when the client
// sent none, and the caller's identity. Not many more: a backend
// request's header lives as long as its stream (the transport keeps the
// request), and a map sized for more than it holds takes more memory (over
// eight entries, every doubling of room doubles a map's groups; a map made
// for more than eight is also two allocations more than one made for
// eight, which is what a usual request needs).
func (rt *route) outHeaderSize(x *exchange) int {
	in := x.r.Header
	n := len(in) + 3 + len(rt.headers) + len(x.cred)
	for _, name := range [...]string{"Authorization", "Accept-Encoding"} {
		if _, ok := in[name]; ok {
			n--
		}
	}
	if _, ok := in["User-Agent"]; !ok {
		n++
	}
	if rt.ForwardIdentity && x.claims != nil {
		n += 6 // setIdentity
	}
	return n
}

// hasToken reports whether a comma-separated header lists token (RFC 9110
// §5.6.1), in any case, parameters aside.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for f := range strings.SplitSeq(v, ",") {
			f, _, _ = strings.Cut(f, ";")
			if strings.EqualFold(strings.TrimSpace(f), token) {
				return true
			}
		}
	}
	return false
}

// headerSetter sets headers by canonical name, the values of all of them
// in one backing array: a backend request gets a dozen headers from the
// gateway, and a slice each would be a dozen allocations.
type headerSetter struct {
	h    http.Header
	vals []string
}

// set replaces the header name (canonical) with the one value v.
func (s *headerSetter) set(name, v string) {
	s.vals = append(s.vals, v)
	n := len(s.vals)
	s.h[name] = s.vals[n-1 : n : n]
}

// relay writes the backend's answer on x.w: its headers, its status, and
// its body, flushed after every write when it is a stream.
//
// An idle stream waits in copyBody, under this frame and every caller's,
// for as long as it is open, and the runtime halves a goroutine's stack
// only while it holds less than a quarter of it. So the frames under the
// wait stay small: headers and logging are done in functions of their own
// that return first. With an HTTP/1.1 backend and client the wait still
// holds about 3.6 KiB (half of it net/http's), over the 3.3 KiB that would
// let a 16 KiB stack shrink to 8: it stays at 8 KiB because the request,
// at its deepest, no longer needs more.
func (rt *route) relay(x *exchange, resp *http.Response) {
	stream, announced := relayHeader(x.w, resp)
	if err := rt.copyBody(x.w, resp.Body, stream); err != nil {
		resp.Body.Close()
		// Nothing can be said to the client mid-body: end the response
		// so that it sees the answer is incomplete.
		panic(http.ErrAbortHandler)
	}
	resp.Body.Close() // now, so that resp.Trailer is complete
	relayTrailers(x.w, resp, announced)
}

// relayHeader writes the answer's header and status, and reports whether
// its body is a stream and how many trailers it announced.
func relayHeader(w *countingWriter, resp *http.Response) (stream bool, announced int) {
	dst := w.Header()
	for name, v := range resp.Header {
		if have, ok := dst[name]; ok {
			dst[name] = append(have[:len(have):len(have)], v...)
		} else {
			dst[name] = v
		}
	}
	announced = len(resp.Trailer)
	if announced > 0 {
		names := make([]string, 0, announced)
		for name := range resp.Trailer {
			names = append(names, name)
		}
		dst.Add("Trailer", strings.Join(names, ", "))
	}
	w.WriteHeader(resp.StatusCode)
	stream = isEventStream(resp.Header.Get("Content-Type")) || resp.ContentLength == -1
	if stream {
		// The header goes out now: a client waits on it to know that
		// its stream is open, and the first event may be long in coming.
		w.Flush()
	}
	return stream, announced
}

// relayTrailers sends the backend's trailers: under the names announced
// before the body, and any others with http.TrailerPrefix.
func relayTrailers(w *countingWriter, resp *http.Response, announced int) {
	if len(resp.Trailer) == 0 {
		return
	}
	// Trailers need a chunked body, which a flush before the end forces.
	w.Flush()
	dst := w.Header()
	for name, vs := range resp.Trailer {
		if len(resp.Trailer) != announced {
			name = http.TrailerPrefix + name
		}
		for _, v := range vs {
			dst.Add(name, v)
		}
	}
}

// isEventStream reports whether a Content-Type is text/event-stream,
// parameters or not, in any case (RFC 9110 §8.3.1).
func isEventStream(ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(base), "text/event-stream")
}

// copyBody copies a backend body to the client, flushing after each write
// when stream is set. A read error other than the body's end (the backend
// cut the stream) is logged with the server's name; any error ends the
// copy.
func (rt *route) copyBody(w *countingWriter, body io.Reader, stream bool) error {
	c := copier{big: !stream}
	defer c.release()
	for {
		buf := c.buffer()
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if stream {
				w.Flush()
			}
		}
		// Only now, the bytes written: filled may give buf back to the
		// pool, and another request's copy may take it at once.
		c.filled(n == len(buf))
		if rerr != nil {
			return rt.bodyEnded(rerr)
		}
	}
}

// bodyEnded is copyBody's error for the read error that ended the body:
// none for its end, the error otherwise (logged unless the client went
// away). Kept out of copyBody's frame (see relay).
//
//go:noinline
func (rt *route) bodyEnded(rerr error) error {
	if rerr == io.EOF {
		return nil
	}
	if !errors.Is(rerr, context.Canceled) {
		rt.gw.opt.Log.Warn("backend response cut mid-body", "server", rt.Name, "err", rerr)
	}
	return rerr
}

// copier hands out the copy buffer for each read: always a large one for
// a finite answer; for a stream, the small one, or a large one for as long
// as reads keep filling what they are given (see streamBufferSize).
type copier struct {
	big        bool // a finite answer: the large buffer throughout
	small, buf []byte
	large      bool // buf is a large buffer, borrowed
}

func (c *copier) buffer() []byte {
	switch {
	case c.buf != nil:
	case c.big || c.large:
		c.buf = sharedBuffers.Get()
	default:
		if c.small == nil {
			c.small = streamBuffers.Get()
		}
		c.buf = c.small
	}
	return c.buf
}

// filled says whether the last read filled its buffer: the backend has
// more to send at once.
func (c *copier) filled(full bool) {
	if c.big || full == c.large {
		return
	}
	if c.large {
		sharedBuffers.Put(c.buf)
	}
	c.buf, c.large = nil, full
}

func (c *copier) release() {
	if c.buf != nil && (c.big || c.large) {
		sharedBuffers.Put(c.buf)
	}
	if c.small != nil {
		streamBuffers.Put(c.small)
	}
}
