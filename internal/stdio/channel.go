package stdio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A channel carries JSON-RPC messages to and from one server: a process's
// stdin and stdout, or a connection that Options.Dial opened.
type channel interface {
	// send queues one encoded message; it never blocks for long. ctx
	// carries the values of the request the message belongs to (or the
	// mux's own), never its cancellation.
	send(ctx context.Context, data []byte) error
	// gone is closed when no message will come any more.
	gone() <-chan struct{}
	// stop ends the channel and returns once it has, with how it ended.
	stop(grace time.Duration) string
	since() time.Time
	logAttrs() []any
	// lost says, in a log line, that the channel ended unasked.
	lost() string
}

// Conn is a message channel to an MCP server that is not a local process
// (the HTTP+SSE transport of 2024-11-05, say), opened by Options.Dial. The
// bridge treats it as it treats a process: per-session mode opens one Conn
// per session, and its end ends the session.
type Conn interface {
	// Send sends one encoded JSON-RPC message. It must not block on the
	// server: a Conn queues, and reports a server that does not take
	// messages (or a failed send of a request) as an error response
	// delivered for that request. ctx carries the values of the request
	// the message belongs to (its caller, whose credential sends it), or
	// the opening request's for the bridge's own messages; its
	// cancellation is not the message's.
	Send(ctx context.Context, msg []byte) error
	// Done is closed when the connection has ended: no message will come.
	Done() <-chan struct{}
	// Close ends the connection and returns once its goroutines have.
	Close() error
}

// DialFunc opens a Conn. ctx carries the values of the request that opens
// the session (the caller's identity, for a credential that acts for the
// caller) and is never cancelled; the Conn ends with Close. deliver takes
// each message the server sends, one JSON-RPC message or batch per call,
// in order; it does not block and does not keep msg.
type DialFunc func(ctx context.Context, deliver func(msg []byte)) (Conn, error)

// open starts a process, or dials with the mux's own context, for the
// mux.
func (m *mux) open() (channel, error) {
	if m.b.opt.Dial == nil {
		return startProc(&m.b.opt, m.log, m.fromChild)
	}
	d := &dialed{started: time.Now()}
	log := m.log.With(d.logAttrs()...)
	// A message can come before Dial returns; it is routed all the same,
	// and an answer to it waits for the Conn (send).
	conn, err := m.b.opt.Dial(m.own, func(msg []byte) { decodeLine(d, log, msg, m.fromChild) })
	if err != nil {
		return nil, err
	}
	d.conn.Store(&conn)
	log.Info("mcp server connected")
	return d, nil
}

// dialed is the channel of a Conn.
type dialed struct {
	conn    atomic.Pointer[Conn]
	started time.Time
	once    sync.Once
}

func (d *dialed) send(ctx context.Context, data []byte) error {
	c := d.conn.Load()
	if c == nil {
		return errUnavailable
	}
	return (*c).Send(ctx, data)
}

func (d *dialed) gone() <-chan struct{} { return (*d.conn.Load()).Done() }

func (d *dialed) stop(time.Duration) string {
	d.once.Do(func() { _ = (*d.conn.Load()).Close() })
	return "closed"
}

func (d *dialed) since() time.Time { return d.started }
func (d *dialed) logAttrs() []any  { return []any{"transport", "dialed"} }
func (d *dialed) lost() string     { return "connection ended" }
