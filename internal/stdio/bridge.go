package stdio

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Header names (2025-11-25 basic/transports; 2026-07-28 streamable-http).
const (
	headerSession  = "Mcp-Session-Id"
	headerProtocol = "Mcp-Protocol-Version"
	headerMethod   = "Mcp-Method"
	headerName     = "Mcp-Name"
)

var (
	errClosed   = errors.New("the MCP bridge is shut down")
	errTooMany  = errors.New("too many MCP sessions")
	errNotReady = errors.New("the MCP server could not be started")
)

// A Bridge serves a stdio MCP server as a Streamable HTTP endpoint.
type Bridge struct {
	opt Options
	log *slog.Logger

	mu        sync.Mutex
	sessions  map[string]*session
	closed    bool
	shared    *mux // Shared mode: the process of every session
	modern    *mux // Shared mode: the process for 2026-07-28 requests
	modernOff bool // the server turned out not to speak 2026-07-28

	wg sync.WaitGroup // every supervisor goroutine
}

var _ http.Handler = (*Bridge)(nil)

// New checks the options and returns a bridge. No process starts until a
// client needs one.
func New(opt Options) (*Bridge, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, fmt.Errorf("stdio server %q: %w", opt.Name, err)
	}
	return &Bridge{
		opt:      opt,
		log:      opt.Logger.With("server", opt.Name),
		sessions: map[string]*session{},
	}, nil
}

// ServeHTTP serves the MCP endpoint: POST, GET and DELETE as the
// Streamable HTTP transport defines them.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		writeError(w, http.StatusServiceUnavailable, jsonrpc.ID{}, jsonrpc.CodeInternalError, errClosed.Error(), nil)
		return
	}
	switch r.Method {
	case http.MethodPost:
		b.servePOST(w, r)
	case http.MethodGet:
		b.serveGET(w, r)
	case http.MethodDelete:
		b.serveDELETE(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// Close ends every session and stops every process (stdin closed, then
// SIGTERM, then SIGKILL to the process group, each after GracePeriod), and
// returns when all are reaped.
func (b *Bridge) Close() error {
	b.mu.Lock()
	b.closed = true
	var all []*session
	for _, s := range b.sessions {
		all = append(all, s)
	}
	muxes := []*mux{b.shared, b.modern}
	b.mu.Unlock()
	for _, s := range all {
		b.endSession(s, "the gateway is shutting down")
	}
	for _, m := range muxes {
		if m != nil {
			m.close()
		}
	}
	b.wg.Wait()
	return nil
}

// spawn runs f as a supervisor unless the bridge is closed.
func (b *Bridge) spawn(f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(1)
	go f()
	return true
}

// sharedMux returns the Shared-mode process slot, starting it on first use.
func (b *Bridge) sharedMux(modern bool) *mux {
	b.mu.Lock()
	defer b.mu.Unlock()
	slot, label := &b.shared, "shared"
	if modern {
		slot, label = &b.modern, "stateless"
	}
	if b.closed {
		return nil
	}
	if *slot == nil {
		m := newMux(b, true, b.log.With("process", label), context.Background())
		if modern {
			m.onDiscover = b.learnEra
		}
		*slot = m
		b.wg.Add(1)
		go m.run(nil)
	}
	return *slot
}

// newSession opens a legacy-era session: in per-session mode it starts
// the session's own process.
func (b *Bridge) newSession(r *http.Request) (*session, error) {
	s := &session{id: rand.Text(), owner: b.owner(r)}
	log := b.log.With("session", s.id)
	shared := b.opt.Mode == Shared
	if shared {
		s.m = b.sharedMux(false)
		if s.m == nil {
			return nil, errClosed
		}
	} else {
		// The mux outlives this request, but keeps its values: a dialed
		// channel is opened, and the mux's own messages sent, as the
		// caller who opened the session.
		s.m = newMux(b, false, log, context.WithoutCancel(r.Context()))
		s.m.onDown = func() { b.endSession(s, "the process exited") }
	}
	s.m.attach(s)
	if b.opt.IdleTimeout > 0 {
		s.idle = time.AfterFunc(b.opt.IdleTimeout, func() { b.endSession(s, "idle timeout") })
	}
	s.begin()
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		b.endSession(s, "closed")
		return nil, errClosed
	case len(b.sessions) >= b.opt.MaxSessions:
		b.mu.Unlock()
		b.endSession(s, "too many sessions")
		return nil, errTooMany
	}
	b.sessions[s.id] = s
	b.mu.Unlock()
	if shared {
		return s, nil
	}
	p, err := s.m.start()
	if err != nil {
		log.Error("mcp server failed to start", "err", err)
		b.endSession(s, "start failed")
		return nil, errNotReady
	}
	if !b.spawn(func() { s.m.run(p) }) {
		p.stop(b.opt.GracePeriod)
		b.endSession(s, "closed")
		return nil, errClosed
	}
	log.Info("mcp session started", p.logAttrs()...)
	return s, nil
}

// lookup finds the session a request names, if the requester owns it.
func (b *Bridge) lookup(r *http.Request) (*session, bool) {
	b.mu.Lock()
	s := b.sessions[r.Header.Get(headerSession)]
	b.mu.Unlock()
	if s == nil || s.owner != b.owner(r) {
		return nil, false
	}
	return s, true
}

func (b *Bridge) owner(r *http.Request) string {
	if b.opt.SessionOwner == nil {
		return ""
	}
	return b.opt.SessionOwner(r)
}

// endSession ends a session for good: later requests for it get 404.
func (b *Bridge) endSession(s *session, why string) {
	b.mu.Lock()
	if b.sessions[s.id] == s {
		delete(b.sessions, s.id)
	}
	b.mu.Unlock()
	if !s.finish() {
		return
	}
	b.log.Info("mcp session ended", "session", s.id, "reason", why)
	if b.opt.Mode == Shared {
		s.m.detach(s, errEnded)
	} else {
		s.m.close()
	}
}

// learnEra looks at the answer to the first server/discover: a server
// that does not list a 2026-07-28 version (or fails the call) speaks only
// the legacy protocol, and the stateless process is stopped.
func (b *Bridge) learnEra(resp *jsonrpc.Response) {
	if resp.Error == nil && speaksModern(resp.Result) {
		return
	}
	b.markLegacyOnly("server/discover shows no 2026-07-28 support")
}

func (b *Bridge) markLegacyOnly(why string) {
	b.mu.Lock()
	first := !b.modernOff
	b.modernOff = true
	m := b.modern
	b.mu.Unlock()
	if first && m != nil {
		b.log.Info("mcp server speaks only the session-based protocol; 2026-07-28 clients will fall back to it", "reason", why)
		m.close()
	}
}
