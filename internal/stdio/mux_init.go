package stdio

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// initState is the process's one legacy-era handshake (2025-11-25
// basic/lifecycle §Initialization). A stdio server is initialized once per
// process; when several sessions share the process, the first initialize
// goes through and the others are answered from its result.
type initState struct {
	params          json.RawMessage // replayed to a restarted process
	result          json.RawMessage // the process's InitializeResult
	pending         chan struct{}   // closed when the initialize in flight is answered
	sentInitialized bool
}

// initialize handles a client's initialize. The first one is forwarded;
// while it is in flight others wait for it; after it succeeded every later
// one gets its result. That result carries the version the process
// negotiated, which is the version of every session sharing the process:
// lifecycle §"Version Negotiation" lets a server answer with another
// version than requested, and a client that does not support it
// disconnects. Client capabilities and clientInfo the process sees are
// those of the first session.
func (m *mux) initialize(ctx context.Context, s *session, st *stream, req *jsonrpc.Request) error {
	for {
		m.mu.Lock()
		if res := m.init.result; res != nil {
			m.mu.Unlock()
			s.initialized.Store(true)
			data, err := encode(&jsonrpc.Response{ID: req.ID, Result: res})
			if err != nil {
				return err
			}
			st.push(data, true, 0)
			return nil
		}
		if ch := m.init.pending; ch != nil {
			m.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return ctx.Err()
			case <-m.closing:
				return errEnded
			}
		}
		m.init.pending = make(chan struct{})
		m.mu.Unlock()
		err := m.call(ctx, s, st, req)
		if err != nil {
			m.mu.Lock()
			m.releaseInitLocked()
			m.mu.Unlock()
		}
		return err
	}
}

// initAnswered records the process's answer to a forwarded initialize. It
// runs before the answer is queued for the client, so the client's
// notifications/initialized always finds the result.
func (m *mux) initAnswered(c *call, resp *jsonrpc.Response) {
	ok := resp.Error == nil && len(resp.Result) > 0
	m.mu.Lock()
	if ok {
		m.init.result, m.init.params = resp.Result, c.params
	}
	m.releaseInitLocked()
	m.mu.Unlock()
	c.sess.initialized.Store(ok)
}

func (m *mux) releaseInitLocked() {
	if m.init.pending != nil {
		close(m.init.pending)
		m.init.pending = nil
	}
}

// replay initializes a restarted process as the first one was, before any
// session's traffic reaches it, so that sessions survive the restart; it
// also renews the resource subscriptions that sessions hold.
func (m *mux) replay(p channel) error {
	m.mu.Lock()
	params, sent := m.init.params, m.init.sentInitialized
	uris := make([]string, 0, len(m.subs))
	for uri := range m.subs {
		uris = append(uris, uri)
	}
	m.mu.Unlock()
	if params == nil {
		return nil
	}
	resp, err := m.internalCall(p, methodInitialize, params)
	if err != nil {
		return err
	}
	if resp.Error != nil {
		return fmt.Errorf("initialize: %w", resp.Error)
	}
	m.mu.Lock()
	m.init.result = resp.Result
	m.mu.Unlock()
	if sent {
		if err := m.sendTo(m.own, p, &jsonrpc.Request{Method: methodInitialized}); err != nil {
			return err
		}
	}
	for _, uri := range uris {
		if err := m.sendTo(m.own, p, &jsonrpc.Request{ID: numID(m.reserveID()), Method: methodSubscribe, Params: uriParams(uri)}); err != nil {
			return err
		}
	}
	return nil
}

func (m *mux) reserveID() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	return m.nextID
}

// internalCall sends a request of the bridge's own to p, which need not be
// ready yet, and waits for the answer.
func (m *mux) internalCall(p channel, method string, params json.RawMessage) (*jsonrpc.Response, error) {
	c := &call{method: method, internal: make(chan *jsonrpc.Response, 1)}
	m.mu.Lock()
	m.nextID++
	c.up = m.nextID
	m.calls[c.up] = c
	m.mu.Unlock()
	if err := m.sendTo(m.own, p, &jsonrpc.Request{ID: numID(c.up), Method: method, Params: params}); err != nil {
		return nil, err
	}
	t := time.NewTimer(m.b.opt.StartTimeout)
	defer t.Stop()
	select {
	case resp := <-c.internal:
		return resp, nil
	case <-p.gone():
		return nil, errExited
	case <-t.C:
		return nil, fmt.Errorf("%s: no answer within %v", method, m.b.opt.StartTimeout)
	case <-m.closing:
		return nil, errEnded
	}
}
