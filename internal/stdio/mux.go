package stdio

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Methods the bridge looks into.
const (
	methodInitialize  = "initialize"
	methodInitialized = "notifications/initialized"
	methodCancelled   = "notifications/cancelled"
	methodProgress    = "notifications/progress"
	methodPing        = "ping"
	methodSubscribe   = "resources/subscribe"
	methodUnsubscribe = "resources/unsubscribe"
	methodUpdated     = "notifications/resources/updated"
	methodListen      = "subscriptions/listen"
	methodDiscover    = "server/discover"
)

var (
	errUnavailable = errors.New("the MCP server is unavailable")
	errDuplicateID = errors.New("a request with this id is already in flight in this session")
	errEnded       = errors.New("the MCP session has ended")
	errExited      = errors.New("the MCP server process exited before answering")
)

// A mux connects sessions to one process slot: per-session mode has one
// mux per session; Shared mode one for all sessions (and one more for
// 2026-07-28 requests). It owns the process's lifetime (see run) and
// rewrites what crosses it:
//
//   - every request id: the process sees ids the mux allocates, so ids of
//     different sessions cannot collide, and the response finds its caller;
//   - progress tokens and, in notifications/cancelled, request ids, which
//     name a request of one session;
//   - nothing else: params and results pass through as raw JSON.
type mux struct {
	b      *Bridge
	log    *slog.Logger
	shared bool // more than one session may be attached
	// own carries the values the mux's own messages are sent with (and a
	// dialed channel is opened with): those of the request that opened a
	// per-session mux, none for a shared one. Never cancelled.
	own context.Context

	closing   chan struct{}
	closeOnce sync.Once
	// onDown runs when the process is gone and will not be restarted.
	onDown func()
	// onDiscover sees responses to server/discover (the 2026-07-28 mux).
	onDiscover func(*jsonrpc.Response)

	mu        sync.Mutex
	proc      channel       // nil until started and initialized
	ready     chan struct{} // closed when proc is set
	nextID    int64
	calls     map[int64]*call
	byOrig    map[*session]map[jsonrpc.ID]int64
	tokens    map[string]*call
	childReqs map[jsonrpc.ID]*session // the process's requests awaiting a client
	sessions  map[*session]struct{}
	subs      map[string]map[*session]struct{} // resource URI → subscribers
	init      initState
}

// A call is a request in flight through the mux.
type call struct {
	sess      *session // nil for the bridge's own calls
	orig      jsonrpc.ID
	up        int64
	method    string
	params    json.RawMessage // as the client sent them (initialize only)
	stream    *stream
	token     string          // the bridge's progress token, if any
	origToken json.RawMessage // the client's
	internal  chan *jsonrpc.Response
}

func newMux(b *Bridge, shared bool, log *slog.Logger, own context.Context) *mux {
	return &mux{
		b: b, log: log, shared: shared, own: own,
		closing:   make(chan struct{}),
		ready:     make(chan struct{}),
		calls:     map[int64]*call{},
		byOrig:    map[*session]map[jsonrpc.ID]int64{},
		tokens:    map[string]*call{},
		childReqs: map[jsonrpc.ID]*session{},
		sessions:  map[*session]struct{}{},
		subs:      map[string]map[*session]struct{}{},
	}
}

func (m *mux) close() { m.closeOnce.Do(func() { close(m.closing) }) }

func (m *mux) isClosing() bool {
	select {
	case <-m.closing:
		return true
	default:
		return false
	}
}

func (m *mux) attach(s *session) {
	m.mu.Lock()
	m.sessions[s] = struct{}{}
	m.byOrig[s] = map[jsonrpc.ID]int64{}
	m.mu.Unlock()
}

// lockReady waits until the process is up and initialized, and returns
// with m.mu held and m.proc set.
func (m *mux) lockReady(ctx context.Context) error {
	t := time.NewTimer(m.b.opt.StartTimeout)
	defer t.Stop()
	for {
		m.mu.Lock()
		if m.proc != nil {
			return nil
		}
		ready := m.ready
		m.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return errUnavailable
		case <-m.closing:
			return errEnded
		}
	}
}

// call forwards a client request; its response goes to st.
func (m *mux) call(ctx context.Context, s *session, st *stream, req *jsonrpc.Request) error {
	if err := m.lockReady(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.sessions[s]; !ok {
		return errEnded
	}
	if _, dup := m.byOrig[s][req.ID]; dup {
		return errDuplicateID
	}
	if m.unsubscribeLocked(s, st, req) {
		return nil
	}
	m.nextID++
	c := &call{sess: s, orig: req.ID, up: m.nextID, method: req.Method, stream: st}
	params := req.Params
	if req.Method == methodInitialize {
		c.params = req.Params
	}
	if tok, ok := metaField(params, "progressToken"); ok {
		t := bridgeToken(c.up)
		c.token, c.origToken = tokenKey(t), tok
		params = withMetaField(params, "progressToken", t)
		m.tokens[c.token] = c
	}
	if req.Method == methodSubscribe {
		m.subscribeLocked(s, req.Params)
	}
	if err := m.sendLocked(ctx, &jsonrpc.Request{ID: numID(c.up), Method: req.Method, Params: params}); err != nil {
		if c.token != "" {
			delete(m.tokens, c.token)
		}
		return err
	}
	m.calls[c.up] = c
	m.byOrig[s][req.ID] = c.up
	return nil
}

// notify forwards a client notification.
func (m *mux) notify(ctx context.Context, s *session, n *jsonrpc.Request) error {
	if err := m.lockReady(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	switch n.Method {
	case methodInitialized:
		// The process is initialized once, however many sessions share it
		// (2025-11-25 basic/lifecycle §Initialization: initialized follows
		// the one initialize response).
		if m.init.result == nil || m.init.sentInitialized {
			return nil
		}
		m.init.sentInitialized = true
	case methodCancelled:
		raw, _ := field(n.Params, "requestId")
		id, ok := idOf(raw)
		up, found := m.byOrig[s][id]
		if !ok || !found {
			// Already answered, or never sent: the cancellation spec lets
			// the receiver ignore it (basic/utilities/cancellation).
			return nil
		}
		n = &jsonrpc.Request{Method: n.Method, Params: withField(n.Params, "requestId", rawID(numID(up)))}
	}
	return m.sendLocked(ctx, n)
}

// answer forwards a client's response to a request of the process, but
// only from the session the request was given to.
func (m *mux) answer(ctx context.Context, s *session, resp *jsonrpc.Response) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if owner, ok := m.childReqs[resp.ID]; !ok || owner != s {
		m.log.Debug("dropped a response to no request of this session", "id", resp.ID.Raw())
		return
	}
	delete(m.childReqs, resp.ID)
	_ = m.sendLocked(ctx, resp)
}

// sendLocked writes to the current process, if any, for the request ctx
// belongs to (m.own for the mux's own messages).
func (m *mux) sendLocked(ctx context.Context, msg jsonrpc.Message) error {
	if m.proc == nil {
		return errUnavailable
	}
	return m.sendTo(ctx, m.proc, msg)
}

func (m *mux) sendTo(ctx context.Context, p channel, msg jsonrpc.Message) error {
	data, err := encode(msg)
	if err != nil {
		return err
	}
	return p.send(ctx, data)
}

func numID(n int64) jsonrpc.ID {
	id, _ := jsonrpc.MakeID(float64(n))
	return id
}

// forgetLocked removes a finished call from every index.
func (m *mux) forgetLocked(c *call) {
	delete(m.calls, c.up)
	if c.sess != nil {
		delete(m.byOrig[c.sess], c.orig)
	}
	if c.token != "" {
		delete(m.tokens, c.token)
	}
}

// complete hands a response (the process's, or one the bridge made up)
// to whoever waits for it.
func (m *mux) complete(c *call, resp *jsonrpc.Response) {
	if c.internal != nil {
		c.internal <- resp
		return
	}
	if c.method == methodInitialize {
		m.initAnswered(c, resp)
	}
	if c.method == methodDiscover && m.onDiscover != nil {
		m.onDiscover(resp)
	}
	out := &jsonrpc.Response{ID: c.orig, Result: resp.Result, Error: resp.Error}
	if c.method == methodListen {
		out.Result = restoreSubscriptionID(out.Result, c.orig)
	}
	data, err := encode(out)
	if err != nil {
		data = errorResponse(c.orig, jsonrpc.CodeInternalError, "unencodable response from the MCP server")
	}
	var code int64
	var werr *jsonrpc.Error
	if errors.As(resp.Error, &werr) {
		code = werr.Code
	}
	c.stream.push(data, true, code)
}

// failAll answers every call in flight with err: the process is gone, and
// a caller must get an error rather than wait forever.
func (m *mux) failAll(calls []*call, err error) {
	for _, c := range calls {
		m.complete(c, &jsonrpc.Response{ID: numID(c.up), Error: &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: err.Error()}})
	}
}
