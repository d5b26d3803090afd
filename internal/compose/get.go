package compose

import (
	"context"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// The standalone GET stream (2025-11-25 basic/transports §"Listening for
// Messages from the Server") merges the members' own GET streams: their
// list_changed and resources/updated notifications, logging, and requests
// not tied to a client request. Each member session opened while it is
// open gets its stream listened to as well. A member that has no GET
// stream (405) or ends it is not asked again until the client opens a new
// one.

// listener is the session's open GET stream.
type listener struct {
	st  *stream
	ctx context.Context // the client's GET request, until it ends
}

func (s *Server) serveGET(w http.ResponseWriter, r *http.Request) {
	if !accepts(r, "text/event-stream") {
		http.Error(w, "Accept must list text/event-stream", http.StatusNotAcceptable)
		return
	}
	if r.Header.Get(headerSession) == "" {
		// 2026-07-28 has no standalone stream; it is also what a client
		// probing for one must get (2025-11-25 §"Listening…", item 2).
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed without a session", http.StatusMethodNotAllowed)
		return
	}
	cs, ok := s.lookup(r.Header.Get(headerSession))
	if !ok {
		writeNoSession(w)
		return
	}
	defer cs.release()
	ctx, cancel := s.requestContext(r.Context(), cs.ctx)
	defer cancel()
	st := newStream(true)
	if !cs.attach(&listener{st: st, ctx: ctx}) {
		http.Error(w, "a standalone stream is already open for this session", http.StatusConflict)
		return
	}
	defer cs.detachGet(st)
	for _, m := range s.members {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if _, err := cs.member(ctx, m); err != nil {
				s.log.Debug("member session not opened for the stream", "member", m.cfg.Name, "err", err)
			}
		}()
	}
	s.serve(w, r, st, false)
}

func (cs *session) attach(l *listener) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.get != nil || cs.ended {
		return false
	}
	cs.get, cs.listener = l.st, l
	for _, ms := range cs.members {
		if ms != nil && ms.ready() {
			cs.listenLocked(ms)
		}
	}
	return true
}

func (cs *session) detachGet(st *stream) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.get == st {
		cs.get, cs.listener = nil, nil
	}
	st.close()
	for key, p := range cs.pending {
		if p.st == st {
			delete(cs.pending, key)
		}
	}
}

// memberOpened starts listening to a newly opened member session when the
// client has a GET stream open.
func (cs *session) memberOpened(ms *memberSession) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.listener != nil {
		cs.listenLocked(ms)
	}
}

func (cs *session) listenLocked(ms *memberSession) {
	l := cs.listener
	if ms.listening || l.ctx.Err() != nil {
		return
	}
	ms.listening = true
	cs.s.wg.Add(1)
	go func() {
		defer cs.s.wg.Done()
		cs.s.memberStream(l.ctx, cs, ms, l.st)
		cs.mu.Lock()
		ms.listening = false
		cs.mu.Unlock()
	}()
}

// memberStream reads a member session's GET stream onto the client's.
func (s *Server) memberStream(ctx context.Context, cs *session, ms *memberSession, st *stream) {
	m := ms.m
	sid, version := ms.ident()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.cfg.URL, nil)
	if err != nil {
		return
	}
	req.Header.Set("Accept", "text/event-stream")
	setHeader(req.Header, headerSession, sid)
	setHeader(req.Header, headerProtocol, version)
	resp, err := m.client.Do(req)
	if err != nil {
		s.log.Debug("member stream not opened", "member", m.cfg.Name, "err", redact(err))
		return
	}
	a := &answer{resp: resp, cancel: func() {}}
	defer a.close()
	if resp.StatusCode != http.StatusOK || !isEventStream(resp) {
		s.log.Debug("member has no standalone stream", "member", m.cfg.Name, "status", resp.StatusCode)
		return
	}
	a.sse = newSSEReader(resp.Body, maxMessageBytes)
	v := view{cs: cs, version: cs.version}
	for {
		msg, err := a.next()
		if err != nil {
			return
		}
		if req, ok := msg.(*jsonrpc.Request); ok {
			s.fromMember(ctx, v, m, ms, req, st)
		}
	}
}
