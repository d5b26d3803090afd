package postgres

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// These tests bound every wait with a context and check how the call ended,
// never how long it took: an unreachable server must give an error, and a
// silent one must give way to the context.

// guard is the longest any call below may take before the test counts it as
// a hang; calls are expected to end long before it.
const guard = 30 * time.Second

// freePort returns a loopback port that nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestOpenRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	dsn := "postgres://drawbridge:hunter2@" + freePort(t) + "/drawbridge?sslmode=disable"
	s, err := Open(ctx, dsn, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a closed port succeeded")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Open of a closed port waited for the context: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open's error holds the password: %v", err)
	}
}

// TestOpenSilentServer: a server that accepts and never answers holds Open
// only as long as its context.
func TestOpenSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	s, err := Open(ctx, "postgres://u@"+ln.Addr().String()+"/db?sslmode=disable", Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a silent server succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Open of a silent server: got %v, want it to end with its context", err)
	}
}

// TestServerGoesAway: once the server is gone, calls fail instead of waiting,
// and Close still returns.
func TestServerGoesAway(t *testing.T) {
	p := newProxy(t)
	s := open(t, p.dsn)
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	now := time.Unix(1000, 0)
	if err := s.CreateAuthCode(ctx, storage.AuthCode{Hash: "code-1", ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}

	p.kill()
	_, err := s.RedeemAuthCode(ctx, storage.Redemption{Hash: "code-1", Now: now, Issue: codeGrant})
	checkFailedFast(t, "RedeemAuthCode", err)
	_, err = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: "rt-1", Now: now})
	checkFailedFast(t, "RotateRefreshToken", err)
	checkFailedFast(t, "Ping", s.Ping(ctx))
}

func checkFailedFast(t *testing.T, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s with the server gone succeeded", what)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, storage.ErrNotFound):
		t.Errorf("%s with the server gone: got %v, want a connection error", what, err)
	}
}

// TestServerStopsAnswering: a server that goes silent mid-session (a network
// partition) holds a call only until its context ends, in a transaction or
// not, and the pool recovers once the server is back.
func TestServerStopsAnswering(t *testing.T) {
	p := newProxy(t)
	s := open(t, p.dsn)
	defer s.Close()
	now := time.Unix(1000, 0)
	if err := s.CreateClient(t.Context(), storage.Client{ID: "client-a"}); err != nil {
		t.Fatal(err)
	}

	p.freeze()
	for what, call := range map[string]func(context.Context) error{
		"GetClient": func(ctx context.Context) error { _, err := s.GetClient(ctx, "client-a"); return err },
		"UpdateClient": func(ctx context.Context) error {
			return s.UpdateClient(ctx, "client-a", func(c storage.Client) (storage.Client, error) { return c, nil })
		},
		"DeleteExpired": func(ctx context.Context) error { _, err := s.DeleteExpired(ctx, now, 0); return err },
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s with the server silent: got %v, want it to end with its context", what, err)
		}
	}

	p.thaw()
	ctx, cancel := context.WithTimeout(t.Context(), guard)
	defer cancel()
	if _, err := s.GetClient(ctx, "client-a"); err != nil {
		t.Errorf("GetClient once the server answers again: %v", err)
	}
}

// proxy forwards TCP connections to the test server. It can go silent
// (freeze: bytes are read but not passed on) and come back (thaw), or go
// away (kill: every connection closed, new ones refused).
type proxy struct {
	dsn    string
	ln     net.Listener
	target string

	mu     sync.Mutex
	cond   *sync.Cond
	frozen bool
	dead   bool
	conns  []net.Conn
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	dsn := newDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skip("these tests need DRAWBRIDGE_TEST_POSTGRES as a postgres:// URL with a host")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: u.Host}
	p.cond = sync.NewCond(&p.mu)
	u.Host = ln.Addr().String()
	p.dsn = u.String()
	go p.serve()
	t.Cleanup(p.kill)
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.dead { // killed while we dialled
			c.Close()
			up.Close()
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) wait() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.frozen {
		p.cond.Wait()
	}
}

func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = true
}

func (p *proxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = false
	p.cond.Broadcast()
}

func (p *proxy) kill() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.frozen, p.dead = false, true
	p.cond.Broadcast()
}
