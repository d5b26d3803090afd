package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// A memberSession is the session a client session holds with one member.
type memberSession struct {
	m *member
	// open serialises opening: one initialize per member session.
	open chan struct{}

	// listening: the client's GET stream carries this session's (guarded
	// by the client session's mutex).
	listening bool

	mu      sync.Mutex
	isReady bool
	id      string // the member's Mcp-Session-Id ("" if it gave none)
	version string // the version the member negotiated
}

func (ms *memberSession) ready() bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.isReady
}

func (ms *memberSession) ident() (string, string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.id, ms.version
}

// member returns the client session's session with m, opening it first
// if needed.
func (cs *session) member(ctx context.Context, m *member) (*memberSession, error) {
	cs.mu.Lock()
	if cs.ended {
		cs.mu.Unlock()
		return nil, errClosed
	}
	ms := cs.members[m.idx]
	if ms == nil {
		ms = &memberSession{m: m, open: make(chan struct{}, 1)}
		cs.members[m.idx] = ms
	}
	cs.mu.Unlock()
	select {
	case ms.open <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-ms.open }()
	if ms.ready() {
		return ms, nil
	}
	id, version, err := cs.s.initialize(ctx, m, cs.init)
	if err != nil {
		return nil, err
	}
	ms.mu.Lock()
	ms.isReady, ms.id, ms.version = true, id, version
	ms.mu.Unlock()
	cs.memberOpened(ms)
	return ms, nil
}

// reset forgets a member session the member has ended, so that the next
// request opens a new one (once: see Server.send).
func (ms *memberSession) reset(id string) {
	ms.mu.Lock()
	if ms.id == id {
		ms.isReady, ms.id, ms.version = false, "", ""
	}
	ms.mu.Unlock()
}

// initialize opens a member session with the client's initialize params
// and completes the handshake with notifications/initialized (2025-11-25
// basic/lifecycle §Initialization).
func (s *Server) initialize(ctx context.Context, m *member, params json.RawMessage) (id, version string, err error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	rid := s.newID()
	body, err := encodeMessage(&jsonrpc.Request{ID: rid, Method: "initialize", Params: params})
	if err != nil {
		return "", "", err
	}
	a, err := m.post(ctx, outgoing{body: body})
	if err != nil {
		s.down(ctx, m, err)
		return "", "", err
	}
	res, err := s.awaitResult(ctx, m, a, rid)
	a.close()
	var refused *jsonrpc.Error
	if errors.As(err, &refused) {
		// A member that will not open a session (a bridged server that
		// could not start or connect) is down, not a member without
		// the feature asked for next.
		err = fmt.Errorf("member %s: refused initialize: %s", m.cfg.Name, refused.Message)
		s.down(ctx, m, err)
	}
	if err != nil {
		return "", "", err
	}
	var init struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := json.Unmarshal(res, &init); err != nil || init.ProtocolVersion == "" {
		err = fmt.Errorf("member %s: malformed initialize result", m.cfg.Name)
		s.down(ctx, m, err)
		return "", "", err
	}
	note, _ := encodeMessage(&jsonrpc.Request{Method: "notifications/initialized", Params: json.RawMessage("{}")})
	if err := m.deliver(ctx, outgoing{body: note, session: a.session, version: init.ProtocolVersion}); err != nil {
		s.down(ctx, m, err)
		return "", "", err
	}
	return a.session, init.ProtocolVersion, nil
}

// awaitResult reads a member's answer until the response to id: its
// result, or its JSON-RPC error as a *jsonrpc.Error. Other messages on the
// answer are not for anyone (a list or handshake has no client stream)
// and are dropped. A transport failure marks the member down; the caller
// marks it up once the whole exchange has worked (a list of many pages
// that fails late must not flap up and down).
func (s *Server) awaitResult(ctx context.Context, m *member, a *answer, id jsonrpc.ID) (json.RawMessage, error) {
	for {
		msg, err := a.next()
		if err == io.EOF {
			err = fmt.Errorf("member %s: the answer ended without a response", m.cfg.Name)
		}
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("member %s: no answer within %s", m.cfg.Name, m.timeout)
			}
			s.down(ctx, m, err)
			return nil, err
		}
		resp, ok := msg.(*jsonrpc.Response)
		if !ok || resp.ID != id {
			s.log.Debug("member message dropped", "member", m.cfg.Name)
			continue
		}
		if resp.Error != nil {
			return nil, resp.Error
		}
		return resp.Result, nil
	}
}
