package stdio

import (
	"encoding/json"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// fromChild routes one message written by the process. It runs on the
// process's stdout reader and never blocks.
func (m *mux) fromChild(p channel, msg jsonrpc.Message) {
	switch msg := msg.(type) {
	case *jsonrpc.Response:
		m.childResponse(msg)
	case *jsonrpc.Request:
		if msg.IsCall() {
			m.childRequest(p, msg)
		} else {
			m.childNotification(msg)
		}
	}
}

func (m *mux) childResponse(resp *jsonrpc.Response) {
	up, ok := upstreamID(resp.ID)
	m.mu.Lock()
	c := m.calls[up]
	if ok && c != nil {
		m.forgetLocked(c)
	}
	m.mu.Unlock()
	if !ok || c == nil {
		m.log.Debug("dropped a response to no request in flight", "id", resp.ID.Raw())
		return
	}
	m.complete(c, resp)
}

// childRequest hands a server-to-client request (sampling, elicitation,
// roots/list) to a client. The process's ids are unique on its channel,
// so they pass through unchanged and the client's response comes back
// with the same id. ping is answered here: the bridge is the process's
// client, and it is alive.
func (m *mux) childRequest(p channel, req *jsonrpc.Request) {
	if req.Method == methodPing {
		_ = m.sendTo(m.own, p, &jsonrpc.Response{ID: req.ID, Result: json.RawMessage("{}")})
		return
	}
	m.mu.Lock()
	target := m.pickLocked()
	if target != nil && target.modern() {
		target = nil // no session to send the answer back on
	}
	if target != nil {
		m.childReqs[req.ID] = target
	}
	m.mu.Unlock()
	if target != nil {
		if data, err := encode(req); err == nil && target.deliver(data) {
			return
		}
		m.mu.Lock()
		delete(m.childReqs, req.ID)
		m.mu.Unlock()
	}
	m.log.Warn("could not hand a server request to a client", "method", req.Method)
	_ = m.sendTo(m.own, p, &jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{
		Code:    jsonrpc.CodeInternalError,
		Message: "drawbridge: no client session can take this request now",
	}})
}

// pickLocked finds the one session a message that names no request can
// belong to: the only session, else the only session with calls in
// flight. With several candidates there is no honest choice, and nil is
// returned.
func (m *mux) pickLocked() *session {
	if len(m.sessions) == 1 {
		for s := range m.sessions {
			return s
		}
	}
	var only *session
	for _, c := range m.calls {
		switch {
		case c.sess == nil:
		case only == nil:
			only = c.sess
		case only != c.sess:
			return nil
		}
	}
	return only
}

func (m *mux) childNotification(n *jsonrpc.Request) {
	if n.Method == methodProgress && m.progress(n) {
		return
	}
	if raw, ok := metaField(n.Params, mcp.MetaKeySubscriptionID); ok {
		m.subscription(n, raw)
		return
	}
	switch {
	case n.Method == methodCancelled:
		m.childCancelled(n)
	case strings.HasPrefix(n.Method, "notifications/") && strings.HasSuffix(n.Method, "/list_changed"):
		// Tools, prompts or resources changed for everyone on the process.
		m.broadcast(n, func(*session) bool { return true })
	case n.Method == methodUpdated:
		uri, _ := stringField(n.Params, "uri")
		m.mu.Lock()
		subs := m.subs[uri]
		m.mu.Unlock()
		m.broadcast(n, func(s *session) bool { _, ok := subs[s]; return ok })
	default:
		// Logging and anything else that names no request.
		m.mu.Lock()
		target := m.pickLocked()
		m.mu.Unlock()
		if target == nil || !deliverMsg(target, n) {
			m.log.Debug("dropped a notification no single session can take", "method", n.Method)
		}
	}
}

// progress routes notifications/progress by the bridge's token back to the
// request that carried it (basic/utilities/progress: the token ties them).
func (m *mux) progress(n *jsonrpc.Request) bool {
	raw, _ := field(n.Params, "progressToken")
	m.mu.Lock()
	c := m.tokens[tokenKey(raw)]
	m.mu.Unlock()
	if c == nil {
		return false
	}
	out := &jsonrpc.Request{Method: n.Method, Params: withField(n.Params, "progressToken", c.origToken)}
	if data, err := encode(out); err == nil {
		c.stream.push(data, false, 0)
	}
	return true
}

// subscription routes a 2026-07-28 subscriptions/listen notification by
// its subscription id, which is the listen request's id (2026-07-28
// basic/patterns/subscriptions §"Receiving Notifications").
func (m *mux) subscription(n *jsonrpc.Request, raw json.RawMessage) {
	id, _ := idOf(raw)
	up, _ := upstreamID(id)
	m.mu.Lock()
	c := m.calls[up]
	m.mu.Unlock()
	if c == nil || c.method != methodListen {
		return
	}
	out := &jsonrpc.Request{Method: n.Method, Params: restoreSubscriptionID(n.Params, c.orig)}
	if data, err := encode(out); err == nil {
		c.stream.push(data, false, 0)
	}
}

// childCancelled routes the process's notifications/cancelled: for one of
// its own requests to a client (legacy era), or, on a 2026-07-28 stdio
// channel, to end a subscriptions/listen stream.
func (m *mux) childCancelled(n *jsonrpc.Request) {
	raw, _ := field(n.Params, "requestId")
	id, _ := idOf(raw)
	m.mu.Lock()
	target := m.childReqs[id]
	delete(m.childReqs, id)
	var listen *call
	if up, ok := upstreamID(id); ok && target == nil {
		if c := m.calls[up]; c != nil && c.method == methodListen {
			listen = c
			m.forgetLocked(c)
		}
	}
	m.mu.Unlock()
	switch {
	case target != nil:
		deliverMsg(target, n)
	case listen != nil:
		out := &jsonrpc.Request{Method: n.Method, Params: withField(n.Params, "requestId", rawID(listen.orig))}
		if data, err := encode(out); err == nil {
			listen.stream.push(data, false, 0)
		}
		listen.stream.close()
	}
}

func (m *mux) broadcast(n *jsonrpc.Request, want func(*session) bool) {
	data, err := encode(n)
	if err != nil {
		return
	}
	m.mu.Lock()
	var to []*session
	for s := range m.sessions {
		if !s.modern() && want(s) {
			to = append(to, s)
		}
	}
	m.mu.Unlock()
	for _, s := range to {
		s.deliver(data)
	}
}

func deliverMsg(s *session, msg jsonrpc.Message) bool {
	data, err := encode(msg)
	return err == nil && s.deliver(data)
}

func restoreSubscriptionID(obj json.RawMessage, orig jsonrpc.ID) json.RawMessage {
	if _, ok := metaField(obj, mcp.MetaKeySubscriptionID); !ok {
		return obj
	}
	return withMetaField(obj, mcp.MetaKeySubscriptionID, rawID(orig))
}
