// Package sseclient connects to an MCP server that speaks the HTTP+SSE
// transport of protocol 2024-11-05, as a [stdio.Conn]: a composed server
// puts such a member behind a bridge that serves it as Streamable HTTP,
// one SSE connection per client session.
//
// The transport (2024-11-05 basic/transports §"HTTP with SSE"): the client
// opens a GET stream; the server's first event, "endpoint", names the URL
// the client must POST its messages to; the server's messages come as
// "message" events on the stream. The endpoint must be on the stream's
// own scheme and host: a server may not send the gateway, with the
// member's credential, anywhere else.
package sseclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/sse"
	"github.com/drawbridge-mcp/drawbridge/internal/stdio"
)

// Options configures a Dialer.
type Options struct {
	// URL is the server's SSE endpoint (where the GET stream opens).
	URL string
	// Client sends every request, with the member's credential. It must
	// not follow redirects, and must have no overall Timeout (the stream
	// is long-lived).
	Client *http.Client
	// Timeout bounds the wait for the endpoint event and each POST
	// (default 60s).
	Timeout time.Duration
	// MaxMessageBytes caps one message from the server (default 16 MiB).
	MaxMessageBytes int
	// Log receives the connection's logs (default slog.Default()).
	Log *slog.Logger
}

// queue bounds the messages waiting to be POSTed: Send never blocks.
const queue = 1024

var (
	errBusy   = errors.New("the MCP server is not taking messages")
	errClosed = errors.New("the connection to the MCP server has ended")
)

// Dialer opens one connection per call.
func Dialer(o Options) stdio.DialFunc {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 16 << 20
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return func(ctx context.Context, deliver func([]byte)) (stdio.Conn, error) {
		return dial(ctx, &o, deliver)
	}
}

// conn is one open stream and the queue of messages to POST.
type conn struct {
	o        *Options
	endpoint string
	deliver  func([]byte)
	out      chan outgoing
	ctx      context.Context // ends with the connection
	cancel   context.CancelFunc
	done     chan struct{} // closed when the stream has ended
	wg       sync.WaitGroup
	once     sync.Once
}

func dial(ctx context.Context, o *Options, deliver func([]byte)) (*conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	// Until the endpoint event, the timeout ends the attempt.
	timer := time.AfterFunc(o.Timeout, cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("the SSE endpoint: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := o.Client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("opening the SSE stream: %w", redact(err))
	}
	events := sse.NewReader(resp.Body, o.MaxMessageBytes)
	endpoint, err := readEndpoint(resp, events)
	if !timer.Stop() && err == nil {
		err = fmt.Errorf("no endpoint event within %v", o.Timeout)
	}
	if err != nil {
		cancel()
		_ = resp.Body.Close()
		return nil, err
	}
	c := &conn{o: o, endpoint: endpoint, deliver: deliver, out: make(chan outgoing, queue),
		ctx: ctx, cancel: cancel, done: make(chan struct{})}
	c.wg.Add(2)
	go c.read(ctx, resp.Body, events)
	go c.write()
	return c, nil
}

// readEndpoint checks the stream's answer and reads its first event, which
// must be "endpoint", naming a URL on the stream's own origin.
func readEndpoint(resp *http.Response, events *sse.Reader) (string, error) {
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the SSE stream was answered with HTTP %d", resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return "", fmt.Errorf("the SSE stream was answered with %q, not text/event-stream", mt)
	}
	ev, err := events.Next()
	if err != nil {
		return "", fmt.Errorf("reading the endpoint event: %w", err)
	}
	if ev.Type != "endpoint" {
		return "", fmt.Errorf("the stream's first event is %q, not endpoint", ev.Type)
	}
	base := resp.Request.URL
	target, err := base.Parse(string(ev.Data))
	switch {
	case err != nil:
		return "", errors.New("the endpoint event is not a URL")
	case target.Scheme != base.Scheme || target.Host != base.Host || target.User != nil:
		return "", errors.New("the endpoint event names another origin")
	}
	target.Fragment, target.RawFragment = "", ""
	return target.String(), nil
}

// read delivers every message event until the stream ends.
func (c *conn) read(ctx context.Context, body io.ReadCloser, events *sse.Reader) {
	defer c.wg.Done()
	defer close(c.done)
	defer body.Close()
	for {
		ev, err := events.Next()
		if err != nil {
			if ctx.Err() == nil {
				c.o.Log.Info("the SSE stream ended", "err", redact(err))
			}
			c.cancel()
			return
		}
		if ev.Type != "message" {
			c.o.Log.Debug("ignored an SSE event", "type", ev.Type)
			continue
		}
		c.deliver(ev.Data)
	}
}

// outgoing is a message to POST, with the context whose values (the
// caller, for the member's credential) it is sent with.
type outgoing struct {
	ctx context.Context
	msg []byte
}

// Send queues msg to be POSTed with ctx's values.
func (c *conn) Send(ctx context.Context, msg []byte) error {
	select {
	case <-c.done:
		return errClosed
	default:
	}
	select {
	case c.out <- outgoing{ctx: context.WithoutCancel(ctx), msg: bytes.Clone(msg)}:
		return nil
	default:
		return errBusy
	}
}

// write POSTs the queued messages in order, so the server sees them as
// they were sent (initialize before notifications/initialized).
func (c *conn) write() {
	defer c.wg.Done()
	for {
		select {
		case m := <-c.out:
			if err := c.post(m); err != nil {
				c.failed(m.msg, err)
			}
		case <-c.ctx.Done():
			return
		}
	}
}

// errGone: the server no longer knows the session; the connection ends.
var errGone = errors.New("the MCP server no longer knows this session")

// post sends one message as the request it belongs to (m.ctx's values:
// the member's credential is the caller's), ended by the connection's end
// or the timeout.
func (c *conn) post(m outgoing) error {
	ctx, cancel := context.WithTimeout(m.ctx, c.o.Timeout)
	defer cancel()
	defer context.AfterFunc(c.ctx, cancel)()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(m.msg))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.o.Client.Do(req)
	if err != nil {
		return redact(err)
	}
	// The answer comes on the stream; the body is only an acknowledgement.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return errGone
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return refused(resp.StatusCode)
	}
	return nil
}

// refused: the server answered a POST with this status.
type refused int

func (r refused) Error() string {
	return fmt.Sprintf("the MCP server answered a message with HTTP %d", int(r))
}

// failed answers a request that could not be sent with a JSON-RPC error,
// so its caller does not wait for an answer that cannot come; a session
// the server forgot, or a connection that failed, ends the connection.
func (c *conn) failed(msg []byte, err error) {
	why := "drawbridge: the message could not be delivered to the MCP server"
	if r, ok := err.(refused); ok {
		c.o.Log.Warn("the MCP server refused a message", "status", int(r))
		why = "drawbridge: " + r.Error()
	} else {
		c.o.Log.Warn("could not send a message to the MCP server; closing the connection", "err", err)
		defer c.cancel()
	}
	var head struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(msg, &head) != nil || len(head.ID) == 0 || head.Method == "" || string(head.ID) == "null" {
		return // a notification or a response: nobody waits for it
	}
	resp, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": head.ID,
		"error": map[string]any{"code": -32603, "message": why}})
	c.deliver(resp)
}

// Done is closed when the stream has ended.
func (c *conn) Done() <-chan struct{} { return c.done }

// Close ends the stream and the writer, and waits for both.
func (c *conn) Close() error {
	c.once.Do(func() {
		c.cancel()
		c.wg.Wait()
	})
	return nil
}

// redact drops the URL from a client error: the endpoint's query holds
// the server's session id, and a configured URL may hold a secret.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
