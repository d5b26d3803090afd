package compose

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"
)

// A session is a client's legacy-era (2025-03-26 … 2025-11-25) session
// with the composed server. It opens one session per member, lazily, on
// the first request that needs that member, with the client's own
// initialize params, and closes them when it ends.
type session struct {
	s       *Server
	id      string
	init    json.RawMessage // the client's initialize params, with the negotiated version
	version string          // negotiated with the client
	// ctx carries the caller of the initialize request (Options.Detach) for
	// what the session sends on its own; it ends with the session.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	members  []*memberSession
	pending  map[string]pending  // the composed id of a member's request → its origin
	inflight map[string]inflight // the client's request id → the member request
	routes   map[string]map[string]int
	get      *stream
	listener *listener
	active   int
	lastUsed time.Time
	ended    bool
	timer    *time.Timer
}

// maxPending caps the member requests one session may leave unanswered.
const maxPending = 256

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) newSession(ctx context.Context, init json.RawMessage, version string) *session {
	ctx, cancel := context.WithCancel(s.detach(ctx))
	return &session{s: s, id: newSessionID(), init: init, version: version, ctx: ctx, cancel: cancel,
		members: make([]*memberSession, len(s.members)), pending: map[string]pending{},
		inflight: map[string]inflight{}, routes: map[string]map[string]int{}, lastUsed: s.now()}
}

// lookup finds the session a request names and marks it in use; the
// caller must call release.
func (s *Server) lookup(id string) (*session, bool) {
	s.mu.Lock()
	cs, ok := s.sessions[id]
	s.mu.Unlock()
	if !ok || !cs.begin() {
		return nil, false
	}
	return cs, true
}

func (cs *session) begin() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.ended {
		return false
	}
	cs.active++
	if cs.timer != nil {
		cs.timer.Stop()
		cs.timer = nil
	}
	return true
}

// release ends a use of the session; when none is left the idle timeout
// starts.
func (cs *session) release() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.active--
	cs.lastUsed = cs.s.now()
	if cs.active == 0 && !cs.ended && cs.s.idle > 0 {
		cs.timer = time.AfterFunc(cs.s.idle, cs.s.sweep)
	}
}

// idleSince reports whether the session has been unused for the idle
// timeout at now.
func (cs *session) idleAt(now time.Time) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return !cs.ended && cs.active == 0 && now.Sub(cs.lastUsed) >= cs.s.idle
}

// sweep ends every session idle for longer than Options.SessionIdle.
func (s *Server) sweep() {
	now := s.now()
	s.mu.Lock()
	var idle []*session
	for _, cs := range s.sessions {
		if cs.idleAt(now) {
			idle = append(idle, cs)
		}
	}
	s.mu.Unlock()
	for _, cs := range idle {
		s.endSession(cs, "idle")
	}
}

// endSession ends a client session: its calls and streams stop and every
// member session it opened is closed.
func (s *Server) endSession(cs *session, why string) {
	s.mu.Lock()
	delete(s.sessions, cs.id)
	s.mu.Unlock()
	cs.mu.Lock()
	if cs.ended {
		cs.mu.Unlock()
		return
	}
	cs.ended = true
	if cs.timer != nil {
		cs.timer.Stop()
	}
	if cs.get != nil {
		cs.get.close()
	}
	members := cs.members
	cs.mu.Unlock()
	s.log.Debug("session ended", "why", why)
	var wg sync.WaitGroup
	for _, ms := range members {
		if ms == nil {
			continue
		}
		if id, version := ms.ident(); id != "" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ms.m.end(cs.ctx, id, version)
			}()
		}
	}
	wg.Wait()
	cs.cancel()
}

// setRoutes records who owns each name of a merged list.
func (cs *session) setRoutes(kind string, owners map[string]int) {
	cs.mu.Lock()
	cs.routes[kind] = owners
	cs.mu.Unlock()
}

func (cs *session) route(kind, name string) (int, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	idx, ok := cs.routes[kind][name]
	return idx, ok
}

func (cs *session) setRoute(kind, name string, idx int) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.routes[kind] == nil {
		cs.routes[kind] = map[string]int{}
	}
	cs.routes[kind][name] = idx
}

var toolsListChanged = []byte(`{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`)

func (s *Server) toolsChanged() {
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for _, cs := range s.sessions {
		sessions = append(sessions, cs)
	}
	s.mu.Unlock()
	for _, cs := range sessions {
		cs.forgetRoutes("tool")
		cs.mu.Lock()
		get := cs.get
		cs.mu.Unlock()
		if get != nil {
			get.push(toolsListChanged, false, 0)
		}
	}
}

// forgetRoutes drops what was learnt about a kind's owners, when a member
// says its list changed.
func (cs *session) forgetRoutes(kind string) {
	cs.mu.Lock()
	delete(cs.routes, kind)
	cs.mu.Unlock()
}
