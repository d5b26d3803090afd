package stdio

import (
	"net/http"
)

// serveGET opens the session's standalone SSE stream, on which the server
// sends requests and notifications that answer no POST (2025-11-25
// basic/transports §"Listening for Messages from the Server"). The bridge
// never sends event ids, so there is nothing to resume and Last-Event-ID is
// ignored. 2026-07-28 removed this stream; such clients do not send GET.
func (b *Bridge) serveGET(w http.ResponseWriter, r *http.Request) {
	if !accepts(r, "text/event-stream") {
		http.Error(w, "Accept must list text/event-stream", http.StatusNotAcceptable)
		return
	}
	if r.Header.Get(headerSession) == "" {
		http.Error(w, "Bad Request: GET requires an Mcp-Session-Id header", http.StatusBadRequest)
		return
	}
	s, ok := b.lookup(r)
	if !ok || !s.begin() {
		writeNoSession(w)
		return
	}
	defer s.end(b.opt.IdleTimeout)
	st, ok := s.openGet()
	if !ok {
		http.Error(w, "this session already has a GET stream", http.StatusConflict)
		return
	}
	defer s.closeGet(st)
	b.serveStream(w, r, st, false, nil, nil)
}

// serveDELETE ends a session at the client's request (2025-11-25
// §"Session Management", item 5); in per-session mode this stops its
// process.
func (b *Bridge) serveDELETE(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(headerSession) == "" {
		http.Error(w, "Bad Request: DELETE requires an Mcp-Session-Id header", http.StatusBadRequest)
		return
	}
	s, ok := b.lookup(r)
	if !ok {
		writeNoSession(w)
		return
	}
	b.endSession(s, "deleted by the client")
	w.WriteHeader(http.StatusNoContent)
}
