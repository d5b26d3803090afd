package gateway

import (
	"net/http"
	"sync"
	"time"
)

// keepAlive sends an SSE comment on a stream the backend has been silent
// on for interval, so that proxies and load balancers between the client
// and the gateway do not cut it (TR1). Comments go only between events,
// never inside one.
//
// It lives in the response writer, not in the response body: an idle
// stream then costs a timer, not a goroutine and a read buffer of its own.
// The timer's callback and the proxy's writes take turns under mu, and
// stop ends it before the handler returns.
type keepAlive struct {
	mu         sync.Mutex
	w          http.ResponseWriter
	interval   time.Duration
	timer      *time.Timer
	last       [4]byte // the last four bytes written
	atBoundary bool
	stopped    bool
}

var keepAliveComment = []byte(": keep-alive\n\n")

// startKeepAlive asks for keep-alives on w's stream. Called from the
// proxy's ModifyResponse; the timer starts once the response header has
// been written, so that a comment can never go out before it.
func (w *countingWriter) startKeepAlive(interval time.Duration) {
	w.ka = &keepAlive{w: w.ResponseWriter, interval: interval, atBoundary: true}
}

// arm starts the timer (with mu held) once the header is out.
func (k *keepAlive) arm() {
	if k.timer == nil && !k.stopped {
		k.timer = time.AfterFunc(k.interval, k.fire)
	}
}

// stopKeepAlive ends keep-alives; after it returns, the timer never
// touches the response again.
func (w *countingWriter) stopKeepAlive() {
	if k := w.ka; k != nil {
		k.mu.Lock()
		k.stopped = true
		if k.timer != nil {
			k.timer.Stop()
		}
		k.mu.Unlock()
	}
}

func (k *keepAlive) fire() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	if k.atBoundary {
		if _, err := k.w.Write(keepAliveComment); err != nil {
			return // the client is gone; the proxy will notice too
		}
		if f, ok := k.w.(http.Flusher); ok {
			f.Flush()
		}
	}
	k.timer.Reset(k.interval)
}

// wrote notes what the proxy wrote (with mu held) and restarts the wait.
func (k *keepAlive) wrote(b []byte) {
	k.arm()
	if len(b) == 0 || k.timer == nil {
		return
	}
	k.note(b)
	k.timer.Reset(k.interval)
}

// note tracks whether the stream is between events: after a blank line,
// with any of the three line endings SSE allows.
func (k *keepAlive) note(b []byte) {
	if len(b) == 0 {
		return
	}
	for _, c := range b[max(0, len(b)-4):] {
		k.last = [4]byte{k.last[1], k.last[2], k.last[3], c}
	}
	l := k.last
	k.atBoundary = (l[2] == '\n' && l[3] == '\n') || (l[2] == '\r' && l[3] == '\r') ||
		l == [4]byte{'\r', '\n', '\r', '\n'}
}
