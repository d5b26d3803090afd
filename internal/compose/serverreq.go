package compose

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Messages from a member to the client (2025-11-25 basic/transports
// §"Sending Messages to the Server", item 6): they go on the stream of the
// request they came with, or on the client's GET stream.

// pending is a member's request waiting for the client's answer.
type pending struct {
	m  *member
	ms *memberSession
	id jsonrpc.ID // the member's id for it
	st *stream    // the stream it went out on
}

// inflight is a client request being served by a member.
type inflight struct {
	m  *member
	id jsonrpc.ID // the composed server's id for it at the member
}

// fromMember carries a member's request or notification to the client on
// st.
func (s *Server) fromMember(ctx context.Context, v view, m *member, ms *memberSession, msg *jsonrpc.Request, st *stream) {
	if msg.IsCall() {
		s.requestFromMember(ctx, v, m, ms, msg, st)
		return
	}
	switch {
	case strings.HasSuffix(msg.Method, "/list_changed") && v.cs != nil:
		for _, kind := range changedKinds(msg.Method) {
			v.cs.forgetRoutes(kind)
		}
	case msg.Method == "notifications/cancelled":
		// The member gives up one of its requests: the client knows it by
		// the composed id.
		if !s.renameCancelled(v, m, msg) {
			return
		}
	}
	body, err := encodeMessage(msg)
	if err != nil {
		return
	}
	st.push(body, false, 0)
}

func changedKinds(method string) []string {
	switch method {
	case "notifications/tools/list_changed":
		return []string{"tool"}
	case "notifications/prompts/list_changed":
		return []string{"prompt"}
	case "notifications/resources/list_changed":
		return []string{"resource", "template"}
	}
	return nil
}

// requestFromMember gives a member's request (sampling, elicitation,
// roots/list) an id of the composed server's own and sends it to the
// client; the client's answer goes back to that member only.
func (s *Server) requestFromMember(ctx context.Context, v view, m *member, ms *memberSession, msg *jsonrpc.Request, st *stream) {
	if v.cs == nil || ms == nil {
		// 2026-07-28 has no session to answer on: servers ask for input
		// with input_required results instead (MRTR).
		s.refuseMemberRequest(ctx, m, ms, msg.ID, "no session to answer on")
		return
	}
	cid := s.newServerRequestID()
	if !v.cs.addPending(cid, pending{m: m, ms: ms, id: msg.ID, st: st}) {
		s.refuseMemberRequest(ctx, m, ms, msg.ID, "too many requests awaiting an answer")
		return
	}
	msg.ID = cid
	body, err := encodeMessage(msg)
	if err == nil && st.push(body, false, 0) {
		return
	}
	if p, ok := v.cs.takePending(idKey(cid)); ok {
		s.refuseMemberRequest(ctx, m, ms, p.id, "the client's stream is closed")
	}
}

func (s *Server) refuseMemberRequest(ctx context.Context, m *member, ms *memberSession, id jsonrpc.ID, why string) {
	s.log.Debug("member request refused", "member", m.cfg.Name, "why", why)
	if ms == nil {
		return
	}
	sid, version := ms.ident()
	body := errorBody(id, jsonrpc.CodeInternalError, why, nil)
	_ = m.deliver(s.detach(ctx), outgoing{body: body, session: sid, version: version})
}

// renameCancelled rewrites the requestId of a member's
// notifications/cancelled to the composed id the client knows; false if
// the client was never sent that request.
func (s *Server) renameCancelled(v view, m *member, msg *jsonrpc.Request) bool {
	if v.cs == nil {
		return false
	}
	raw, found, err := getMember(paramsObject(msg.Params), "requestId")
	if err != nil || !found {
		return false
	}
	var idv any
	if json.Unmarshal(raw, &idv) != nil {
		return false
	}
	id, err := jsonrpc.MakeID(idv)
	if err != nil {
		return false
	}
	cid, ok := v.cs.pendingOf(m, id)
	if !ok {
		return false
	}
	params, err := setMember(paramsObject(msg.Params), "requestId", quote(cid.Raw().(string)))
	if err != nil {
		return false
	}
	msg.Params = params
	return true
}

// answerFromClient delivers the client's response to a member's request,
// to the member that asked and with its id. It reports false for a
// response to nothing this session was asked.
func (s *Server) answerFromClient(ctx context.Context, cs *session, resp *jsonrpc.Response) bool {
	p, ok := cs.takePending(idKey(resp.ID))
	if !ok {
		return false
	}
	resp.ID = p.id
	body, err := encodeMessage(resp)
	if err != nil {
		return true
	}
	sid, version := p.ms.ident()
	if err := p.m.deliver(ctx, outgoing{body: body, session: sid, version: version}); err != nil {
		s.log.Debug("answer not delivered", "member", p.m.cfg.Name, "err", err)
	}
	return true
}

// clientNotification handles a client's notification in a session.
func (s *Server) clientNotification(ctx context.Context, cs *session, msg *jsonrpc.Request) {
	switch msg.Method {
	case "notifications/cancelled":
		s.cancelFromClient(ctx, cs, msg)
	case "notifications/roots/list_changed":
		for _, ms := range cs.openMembers() {
			sid, version := ms.ident()
			body, _ := encodeMessage(msg)
			_ = ms.m.deliver(ctx, outgoing{body: body, session: sid, version: version})
		}
	}
	// notifications/initialized was the composed server's own; others
	// have no member to go to.
}

// cancelFromClient sends a client's notifications/cancelled to the member
// serving that request, with the member's id for it.
func (s *Server) cancelFromClient(ctx context.Context, cs *session, msg *jsonrpc.Request) {
	raw, found, err := getMember(paramsObject(msg.Params), "requestId")
	if err != nil || !found {
		return
	}
	var idv any
	if json.Unmarshal(raw, &idv) != nil {
		return
	}
	id, err := jsonrpc.MakeID(idv)
	if err != nil {
		return
	}
	f, ok := cs.inflightOf(idKey(id))
	if !ok {
		return
	}
	ms := cs.openMember(f.m)
	if ms == nil {
		return
	}
	params, err := setMember(paramsObject(msg.Params), "requestId", mustJSON(f.id.Raw()))
	if err != nil {
		return
	}
	body, _ := encodeMessage(&jsonrpc.Request{Method: msg.Method, Params: params})
	sid, version := ms.ident()
	_ = f.m.deliver(ctx, outgoing{body: body, session: sid, version: version})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func (cs *session) addPending(cid jsonrpc.ID, p pending) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.pending) >= maxPending || cs.ended {
		return false
	}
	cs.pending[idKey(cid)] = p
	return true
}

// dropPending forgets the requests that went out on st once it is over:
// an answer to them can no longer be delivered to a waiting member.
func (cs *session) dropPending(st *stream) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for key, p := range cs.pending {
		if p.st == st {
			delete(cs.pending, key)
		}
	}
}

func (cs *session) takePending(key string) (pending, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	p, ok := cs.pending[key]
	delete(cs.pending, key)
	return p, ok
}

func (cs *session) pendingOf(m *member, id jsonrpc.ID) (jsonrpc.ID, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for key, p := range cs.pending {
		if p.m == m && p.id == id {
			return makeID(key[1:]), true
		}
	}
	return jsonrpc.ID{}, false
}

func (cs *session) track(clientID jsonrpc.ID, m *member, id jsonrpc.ID) string {
	key := idKey(clientID)
	cs.mu.Lock()
	cs.inflight[key] = inflight{m: m, id: id}
	cs.mu.Unlock()
	return key
}

func (cs *session) untrack(key string) {
	cs.mu.Lock()
	delete(cs.inflight, key)
	cs.mu.Unlock()
}

func (cs *session) inflightOf(key string) (inflight, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	f, ok := cs.inflight[key]
	return f, ok
}

func (cs *session) openMember(m *member) *memberSession {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.members[m.idx]
}

func (cs *session) openMembers() []*memberSession {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []*memberSession
	for _, ms := range cs.members {
		if ms != nil {
			out = append(out, ms)
		}
	}
	return out
}
