package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// dispatch answers one client request on st, in either era.
func (s *Server) dispatch(ctx context.Context, v view, req *jsonrpc.Request, st *stream) {
	switch req.Method {
	case "ping":
		st.push(resultBody(req.ID, struct{}{}), true, 0)
	case "tools/list", "prompts/list", "resources/list", "resources/templates/list":
		body, code := s.list(ctx, v, listKinds[req.Method], req)
		st.push(body, true, code)
	case "tools/call":
		s.callNamed(ctx, v, listKinds["tools/list"], req, st)
	case "prompts/get":
		s.callNamed(ctx, v, listKinds["prompts/list"], req, st)
	case "resources/read", "resources/subscribe", "resources/unsubscribe":
		s.callURI(ctx, v, req, st)
	case "completion/complete":
		s.complete(ctx, v, req, st)
	case "logging/setLevel":
		s.setLevel(ctx, v, req, st)
	case methodListen:
		if !v.modern() {
			st.push(errorBody(req.ID, jsonrpc.CodeMethodNotFound, "Method not found", nil), true, jsonrpc.CodeMethodNotFound)
			return
		}
		s.listen(ctx, v, req, st)
	case "initialize":
		st.push(errorBody(req.ID, jsonrpc.CodeInvalidRequest, "Invalid request: the session is already initialized", nil), true, jsonrpc.CodeInvalidRequest)
	default:
		st.push(errorBody(req.ID, jsonrpc.CodeMethodNotFound, "Method not found", nil), true, jsonrpc.CodeMethodNotFound)
	}
}

func invalidParams(id jsonrpc.ID, msg string) ([]byte, int64) {
	return errorBody(id, jsonrpc.CodeInvalidParams, "Invalid params: "+msg, nil), jsonrpc.CodeInvalidParams
}

// callNamed routes tools/call and prompts/get to the owner of the name,
// with the member's own name in params and nothing else changed.
func (s *Server) callNamed(ctx context.Context, v view, k listKind, req *jsonrpc.Request, st *stream) {
	params := paramsObject(req.Params)
	name, ok := stringMember(params, "name")
	if !ok {
		st.reply(invalidParams(req.ID, "params.name must be one string"))
		return
	}
	t, ok := s.ownerOf(ctx, v, k, name)
	if !ok {
		st.reply(unknownName(req.ID, k, name))
		return
	}
	if t.orig != name {
		var err error
		if params, err = setMember(params, "name", quote(t.orig)); err != nil {
			st.reply(invalidParams(req.ID, err.Error()))
			return
		}
	}
	s.relay(ctx, v, t.m, req.ID, req.Method, params, t.orig, st)
}

// callURI routes resources/read, subscribe and unsubscribe by URI.
func (s *Server) callURI(ctx context.Context, v view, req *jsonrpc.Request, st *stream) {
	params := paramsObject(req.Params)
	uri, ok := stringMember(params, "uri")
	if !ok {
		st.reply(invalidParams(req.ID, "params.uri must be one string"))
		return
	}
	m, ok := s.ownerOfURI(ctx, v, uri)
	if !ok {
		st.reply(unknownResource(req.ID, uri))
		return
	}
	s.relay(ctx, v, m, req.ID, req.Method, params, uri, st)
}

// complete routes completion/complete by its reference: a prompt by name
// (renamed to the member's), a resource template by the member that
// lists it (2025-11-25 server/utilities/completion).
func (s *Server) complete(ctx context.Context, v view, req *jsonrpc.Request, st *stream) {
	params := paramsObject(req.Params)
	ref, found, err := getMember(params, "ref")
	if err != nil || !found {
		st.reply(invalidParams(req.ID, "params.ref is required"))
		return
	}
	typ, _ := stringMember(ref, "type")
	switch typ {
	case "ref/prompt":
		name, _ := stringMember(ref, "name")
		t, ok := s.ownerOf(ctx, v, listKinds["prompts/list"], name)
		if !ok {
			st.reply(unknownName(req.ID, listKinds["prompts/list"], name))
			return
		}
		if ref, err = setMember(ref, "name", quote(t.orig)); err == nil {
			params, err = setMember(params, "ref", ref)
		}
		if err != nil {
			st.reply(invalidParams(req.ID, err.Error()))
			return
		}
		s.relay(ctx, v, t.m, req.ID, req.Method, params, t.orig, st)
	case "ref/resource":
		uri, _ := stringMember(ref, "uri")
		m, ok := s.ownerOfTemplate(ctx, v, uri)
		if !ok {
			st.reply(unknownResource(req.ID, uri))
			return
		}
		s.relay(ctx, v, m, req.ID, req.Method, params, uri, st)
	default:
		st.reply(invalidParams(req.ID, "unknown params.ref.type"))
	}
}

// ownerOfTemplate finds the member listing a resource template, or else
// the owner of a URI.
func (s *Server) ownerOfTemplate(ctx context.Context, v view, uri string) (*member, bool) {
	if len(s.members) > 1 {
		entries, _ := s.gather(ctx, v, listKinds["resources/templates/list"], []byte("{}"), nil)
		for _, e := range entries {
			if e.key == uri {
				return e.m, true
			}
		}
	}
	return s.ownerOfURI(ctx, v, uri)
}

// setLevel sends logging/setLevel to every member; members that fail are
// left as they are.
func (s *Server) setLevel(ctx context.Context, v view, req *jsonrpc.Request, st *stream) {
	params := paramsObject(req.Params)
	var wg sync.WaitGroup
	for _, m := range s.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.call(ctx, v, m, req.Method, params); err != nil {
				s.log.Debug("logging/setLevel not applied", "member", m.cfg.Name, "err", err)
			}
		}()
	}
	wg.Wait()
	st.push(resultBody(req.ID, struct{}{}), true, 0)
}

// relay sends a client's request to a member and carries the member's
// answer back on st: its progress, logging and requests as they come, its
// response (with the client's id) last.
func (s *Server) relay(ctx context.Context, v view, m *member, clientID jsonrpc.ID, method string, params []byte, name string, st *stream) {
	if s.obs != nil {
		s.obs.Routed(ctx, m.cfg.Name, name)
	}
	id := s.newID()
	if v.cs != nil {
		key := v.cs.track(clientID, m, id)
		defer v.cs.untrack(key)
		defer v.cs.dropPending(st)
	}
	a, ms, err := s.send(ctx, v, m, &jsonrpc.Request{ID: id, Method: method, Params: params}, name)
	if err != nil && ctx.Err() != nil && v.cs != nil {
		// The client went away before the member's headers came: the
		// member may be working on the request already.
		if ms := v.cs.openMember(m); ms != nil {
			s.cancelAtMember(ctx, m, ms, id, "the client closed the request's stream")
		}
		return
	}
	if err != nil {
		s.log.Debug("member request failed", "member", m.cfg.Name, "err", err)
		st.push(errorBody(clientID, jsonrpc.CodeInternalError, fmt.Sprintf("server %q did not answer", m.cfg.Name), nil), true, jsonrpc.CodeInternalError)
		return
	}
	defer a.close()
	if a.stream {
		st.streamed()
	}
	for {
		msg, err := a.next()
		if err != nil {
			s.relayFailed(ctx, v, m, ms, id, clientID, err, st)
			return
		}
		switch msg := msg.(type) {
		case *jsonrpc.Response:
			if msg.ID != id {
				s.log.Debug("member response to no request dropped", "member", m.cfg.Name)
				continue
			}
			s.up(ctx, m)
			st.reply(s.response(v, m, msg, clientID))
			return
		case *jsonrpc.Request:
			s.fromMember(ctx, v, m, ms, msg, st)
		}
	}
}

// response is a member's response as the client receives it.
func (s *Server) response(v view, m *member, msg *jsonrpc.Response, clientID jsonrpc.ID) ([]byte, int64) {
	var code int64
	var we *jsonrpc.Error
	if errors.As(msg.Error, &we) {
		code = we.Code
		if v.modern() && code == codeUnsupportedVersion {
			m.setEra(eraLegacy)
			return unsupported(clientID, v.version, legacyVersions()), code
		}
	}
	msg.ID = clientID
	body, err := encodeMessage(msg)
	if err != nil {
		return errorBody(clientID, jsonrpc.CodeInternalError, "malformed answer", nil), jsonrpc.CodeInternalError
	}
	return body, code
}

// relayFailed ends a relayed request whose answer broke off: the client
// went away (the member is told to cancel), or the member failed.
func (s *Server) relayFailed(ctx context.Context, v view, m *member, ms *memberSession, id, clientID jsonrpc.ID, err error, st *stream) {
	if ctx.Err() != nil {
		// Closing the client's stream cancels the request (TR1; 2026-07-28
		// §Cancellation). A legacy member is told so, as 2025-11-25
		// basic/utilities/cancellation asks of the side that gives up.
		if ms != nil {
			s.cancelAtMember(ctx, m, ms, id, "the client closed the request's stream")
		}
		return
	}
	if err == io.EOF {
		err = fmt.Errorf("member %s: the answer ended without a response", m.cfg.Name)
	}
	s.down(ctx, m, err)
	st.push(errorBody(clientID, jsonrpc.CodeInternalError, fmt.Sprintf("server %q did not answer", m.cfg.Name), nil), true, jsonrpc.CodeInternalError)
}

func (s *Server) cancelAtMember(ctx context.Context, m *member, ms *memberSession, id jsonrpc.ID, reason string) {
	ctx, cancel := context.WithTimeout(s.detach(ctx), m.timeout)
	defer cancel()
	params, _ := json.Marshal(map[string]any{"requestId": id.Raw(), "reason": reason})
	body, _ := encodeMessage(&jsonrpc.Request{Method: "notifications/cancelled", Params: params})
	sid, version := ms.ident()
	if err := m.deliver(ctx, outgoing{body: body, session: sid, version: version}); err != nil {
		s.log.Debug("cancellation not delivered", "member", m.cfg.Name, "err", err)
	}
}

const codeUnsupportedVersion = int64(mcp.CodeUnsupportedProtocolVersion)
