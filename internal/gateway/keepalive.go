package gateway

import (
	"io"
	"sync"
	"time"
)

// keepAliveBody wraps an SSE response body and, when the backend has sent
// nothing for interval, yields an SSE comment line so that proxies and load
// balancers between the client and the gateway do not cut an idle stream
// (TR1). Comments are only inserted between events, never inside one.
type keepAliveBody struct {
	src      io.ReadCloser
	interval time.Duration

	chunks chan []byte
	errc   chan error
	done   chan struct{}
	once   sync.Once

	pending    []byte
	last       [4]byte // the last four bytes passed on
	atBoundary bool
}

var keepAliveComment = []byte(": keep-alive\n\n")

func newKeepAliveBody(src io.ReadCloser, interval time.Duration) *keepAliveBody {
	k := &keepAliveBody{src: src, interval: interval, chunks: make(chan []byte), errc: make(chan error, 1),
		done: make(chan struct{}), atBoundary: true}
	go k.pump()
	return k
}

// pump reads the backend body in its own goroutine so that Read can wait
// for data and a timer at once.
func (k *keepAliveBody) pump() {
	buf := make([]byte, 16<<10)
	for {
		n, err := k.src.Read(buf)
		if n > 0 {
			chunk := append([]byte(nil), buf[:n]...)
			select {
			case k.chunks <- chunk:
			case <-k.done:
				return
			}
		}
		if err != nil {
			k.errc <- err
			return
		}
	}
}

func (k *keepAliveBody) Read(p []byte) (int, error) {
	if len(k.pending) == 0 {
		t := time.NewTimer(k.interval)
		defer t.Stop()
		for len(k.pending) == 0 {
			select {
			case c := <-k.chunks:
				k.pending = c
			case err := <-k.errc:
				return 0, err
			case <-t.C:
				if k.atBoundary {
					return copy(p, keepAliveComment), nil
				}
				t.Reset(k.interval)
			}
		}
	}
	n := copy(p, k.pending)
	k.note(k.pending[:n])
	k.pending = k.pending[n:]
	return n, nil
}

// note tracks whether the stream is between events: after a blank line,
// with any of the three line endings SSE allows.
func (k *keepAliveBody) note(b []byte) {
	if len(b) == 0 {
		return
	}
	for _, c := range b {
		k.last = [4]byte{k.last[1], k.last[2], k.last[3], c}
	}
	l := k.last
	k.atBoundary = (l[2] == '\n' && l[3] == '\n') || (l[2] == '\r' && l[3] == '\r') ||
		l == [4]byte{'\r', '\n', '\r', '\n'}
}

func (k *keepAliveBody) Close() error {
	k.once.Do(func() { close(k.done) })
	return k.src.Close()
}
