package compose

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Defaults of Options.
const (
	defaultKeepAlive   = 25 * time.Second
	defaultSessionIdle = 30 * time.Minute
	// defaultPageSize is how many items one page of a merged list holds.
	defaultPageSize = 100
)

// server is the state behind Server; see api.go for the contract.
type server struct {
	opt       Options
	log       *slog.Logger
	obs       Observer
	members   []*member
	keepAlive time.Duration
	idle      time.Duration
	detach    func(context.Context) context.Context
	now       func() time.Time
	pageSize  int

	// base ends with Close: every request's context is cut by it.
	base      context.Context
	stop      context.CancelFunc
	done      <-chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu       sync.Mutex
	sessions map[string]*session
	shadows  map[string]string // kind, name and member shadowed → owner
	ids      atomic.Int64
}

func build(o Options) (*Server, error) {
	if err := validate(o.Members); err != nil {
		return nil, err
	}
	s := &Server{server{opt: o, log: o.Log, obs: o.Observer, keepAlive: o.KeepAlive, idle: o.SessionIdle,
		detach: o.Detach, now: time.Now, pageSize: defaultPageSize,
		sessions: map[string]*session{}, shadows: map[string]string{}}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.keepAlive == 0 {
		s.keepAlive = defaultKeepAlive
	}
	if s.idle == 0 {
		s.idle = defaultSessionIdle
	}
	if s.detach == nil {
		s.detach = context.WithoutCancel
	}
	s.base, s.stop = context.WithCancel(context.Background())
	s.done = s.base.Done()
	for i, m := range o.Members {
		mb := newMember(i, m, newNaming(m))
		mb.health.Since = s.now()
		s.members = append(s.members, mb)
	}
	return s, nil
}

// newID is a fresh id for a request the composed server sends to a
// member: unique across every member and session, so an answer can only
// match the request it answers.
func (s *Server) newID() jsonrpc.ID { return makeID(s.ids.Add(1)) }

// newServerRequestID is the id under which a member's request reaches the
// client: a string no client and no member picks.
func (s *Server) newServerRequestID() jsonrpc.ID {
	return makeID("drawbridge-compose-" + strconv.FormatInt(s.ids.Add(1), 10))
}

// namedMethods carry Mcp-Name (2026-07-28 streamable-http §"Request
// Metadata"): the tool, prompt or resource the request is about.
var namedMethods = map[string]bool{"tools/call": true, "prompts/get": true, "resources/read": true}

// view is whom a member request is sent for: a legacy-era session, or a
// 2026-07-28 request (no session, its version in every request).
type view struct {
	cs      *session
	version string
	// meta is a 2026-07-28 request's _meta (version, client info and
	// capabilities), which every request to a member must carry too.
	meta json.RawMessage
	// params are a 2026-07-28 request's Mcp-Param-* headers: they mirror
	// arguments, which pass through unchanged, so they go with the request
	// to its member (DESIGN TR2).
	params http.Header
}

func (v view) modern() bool { return v.cs == nil }

// send sends req to m for v and returns the member's answer. In a legacy
// session it goes on the member session (opened first if needed); if the
// member has ended that session (404), a new one is opened and req sent
// again, once (2025-11-25 §"Session Management", item 4). name is the
// member's own name of the tool, prompt or resource (Mcp-Name).
func (s *Server) send(ctx context.Context, v view, m *member, req *jsonrpc.Request, name string) (*answer, *memberSession, error) {
	body, err := encodeMessage(req)
	if err != nil {
		return nil, nil, err
	}
	for attempt := 0; ; attempt++ {
		o := outgoing{body: body}
		var ms *memberSession
		if v.cs != nil {
			if ms, err = v.cs.member(ctx, m); err != nil {
				return nil, nil, err
			}
			o.session, o.version = ms.ident()
		} else {
			o.version, o.method = v.version, req.Method
			if namedMethods[req.Method] {
				o.name = name
			}
			if req.Method == "tools/call" {
				o.extra = v.params
			}
		}
		a, err := m.post(ctx, o)
		if errors.Is(err, errSessionGone) && attempt == 0 {
			s.log.Info("member ended its session; opening a new one", "member", m.cfg.Name)
			ms.reset(o.session)
			continue
		}
		if err != nil {
			s.down(ctx, m, err)
		}
		return a, ms, err
	}
}

// call sends a request of the composed server's own (a list page, a
// lookup) and returns its result; the whole exchange is bounded by the
// member's timeout.
func (s *Server) call(ctx context.Context, v view, m *member, method string, params json.RawMessage) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	if v.modern() && v.meta != nil {
		if _, found, _ := getMember(params, "_meta"); !found {
			var err error
			if params, err = setMember(params, "_meta", v.meta); err != nil {
				return nil, err
			}
		}
	}
	id := s.newID()
	a, _, err := s.send(ctx, v, m, &jsonrpc.Request{ID: id, Method: method, Params: params}, "")
	if err != nil {
		return nil, err
	}
	defer a.close()
	return s.awaitResult(ctx, m, a, id)
}

// Close ends every session, closes member sessions and waits for what the
// server started.
func (s *Server) close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.mu.Lock()
		var all []*session
		for _, cs := range s.sessions {
			all = append(all, cs)
		}
		s.mu.Unlock()
		var wg sync.WaitGroup
		for _, cs := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.endSession(cs, "server closed")
			}()
		}
		wg.Wait()
		s.wg.Wait()
	})
	return nil
}

// makeID makes a request id from a string or an int64, which never fails.
func makeID(v any) jsonrpc.ID {
	if n, ok := v.(int64); ok {
		v = float64(n) // MakeID takes numbers as JSON decodes them
	}
	id, _ := jsonrpc.MakeID(v)
	return id
}
