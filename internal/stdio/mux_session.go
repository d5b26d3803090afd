package stdio

import (
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Resource subscriptions (2025-11-25 server/resources §Subscriptions) are
// per session to the client but per process to the server. The mux keeps
// the set of subscribers of each URI: notifications/resources/updated goes
// to those sessions only, and the process hears resources/unsubscribe only
// when the last subscriber leaves.

func (m *mux) subscribeLocked(s *session, params json.RawMessage) {
	uri, ok := stringField(params, "uri")
	if !ok {
		return
	}
	if m.subs[uri] == nil {
		m.subs[uri] = map[*session]struct{}{}
	}
	m.subs[uri][s] = struct{}{}
}

// unsubscribeLocked answers resources/unsubscribe itself while other
// sessions still want the resource; it reports whether it did.
func (m *mux) unsubscribeLocked(s *session, st *stream, req *jsonrpc.Request) bool {
	if req.Method != methodUnsubscribe {
		return false
	}
	uri, _ := stringField(req.Params, "uri")
	delete(m.subs[uri], s)
	if len(m.subs[uri]) == 0 {
		delete(m.subs, uri)
		return false
	}
	data, _ := encode(&jsonrpc.Response{ID: req.ID, Result: json.RawMessage("{}")})
	st.push(data, true, 0)
	return true
}

// detach removes a session from a shared process. What it still had in
// flight is cancelled at the process and answered with an error; requests
// the process had given it are answered with an error, so the process does
// not wait for a client that is gone.
func (m *mux) detach(s *session, why error) {
	m.mu.Lock()
	if _, ok := m.sessions[s]; !ok {
		m.mu.Unlock()
		return
	}
	delete(m.sessions, s)
	var orphans []*call
	for _, up := range m.byOrig[s] {
		if c := m.calls[up]; c != nil {
			orphans = append(orphans, c)
			m.forgetLocked(c)
		}
	}
	delete(m.byOrig, s)
	for _, c := range orphans {
		_ = m.sendLocked(m.own, &jsonrpc.Request{Method: methodCancelled, Params: cancelParams(c.up, why)})
	}
	for id, owner := range m.childReqs {
		if owner == s {
			delete(m.childReqs, id)
			_ = m.sendLocked(m.own, &jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "drawbridge: " + why.Error()}})
		}
	}
	var unsub []string
	for uri, set := range m.subs {
		if _, ok := set[s]; ok {
			delete(set, s)
			if len(set) == 0 {
				delete(m.subs, uri)
				unsub = append(unsub, uri)
			}
		}
	}
	for _, uri := range unsub {
		m.internalLocked(methodUnsubscribe, uriParams(uri))
	}
	m.mu.Unlock()
	m.failAll(orphans, why)
}

// procDown forgets everything tied to a process that is gone and fails
// the calls that were in flight on it.
func (m *mux) procDown(why error) {
	m.mu.Lock()
	if m.proc != nil {
		m.proc = nil
		m.ready = make(chan struct{})
	}
	calls := make([]*call, 0, len(m.calls))
	for _, c := range m.calls {
		calls = append(calls, c)
		m.forgetLocked(c)
	}
	clear(m.childReqs)
	m.mu.Unlock()
	m.failAll(calls, why)
}

// internalLocked sends a request of the bridge's own; its response is
// dropped.
func (m *mux) internalLocked(method string, params json.RawMessage) {
	if m.proc == nil {
		return
	}
	m.nextID++
	c := &call{up: m.nextID, method: method, internal: make(chan *jsonrpc.Response, 1)}
	if m.sendLocked(m.own, &jsonrpc.Request{ID: numID(c.up), Method: method, Params: params}) == nil {
		m.calls[c.up] = c
	}
}

func cancelParams(up int64, why error) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"requestId": up, "reason": why.Error()})
	return b
}

func uriParams(uri string) json.RawMessage {
	b, _ := json.Marshal(map[string]string{"uri": uri})
	return b
}
