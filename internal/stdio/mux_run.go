package stdio

import (
	"time"
)

// start starts a process for the mux and makes it ready: initialized like
// its predecessor, if it had one.
func (m *mux) start() (channel, error) {
	p, err := m.open()
	if err != nil {
		return nil, err
	}
	if err := m.replay(p); err != nil {
		m.procDown(err)
		p.stop(m.b.opt.GracePeriod)
		return nil, err
	}
	m.mu.Lock()
	m.proc = p
	close(m.ready)
	m.mu.Unlock()
	return p, nil
}

// run supervises the mux's process until the mux closes. first, if not
// nil, is already running. When the process exits unexpectedly, the calls
// in flight get an error at once; then a per-session mux ends its session,
// and a shared one restarts the process with exponential backoff (the
// stdio transport: "If the server process exits unexpectedly, the client
// SHOULD restart it", 2026-07-28 basic/transports/stdio).
func (m *mux) run(first channel) {
	defer m.b.wg.Done()
	delays := backoff{opt: m.b.opt.Restart}
	p := first
	for {
		if p == nil {
			var err error
			if p, err = m.start(); err != nil {
				delay := delays.failed(0)
				m.log.Error("mcp server failed to start", "err", err, "retry_in", delay)
				if !m.shared || !m.sleep(delay) {
					m.down()
					return
				}
				continue
			}
		}
		select {
		case <-p.gone():
		case <-m.closing:
		}
		stopping := m.isClosing()
		why := errExited
		if stopping {
			why = errEnded
		}
		m.procDown(why)
		if !m.shared {
			m.down() // end the session now; reaping may take the grace period
		}
		st := p.stop(m.b.opt.GracePeriod)
		uptime := time.Since(p.since()).Round(time.Millisecond)
		log := m.log.With(p.logAttrs()...)
		if stopping {
			log.Info("mcp server stopped", "status", st)
			m.down()
			return
		}
		log.Warn("mcp server "+p.lost(), "status", st, "uptime", uptime)
		if !m.shared {
			return
		}
		delay := delays.failed(uptime)
		m.log.Info("restarting mcp server", "in", delay)
		if !m.sleep(delay) {
			m.down()
			return
		}
		p = nil
	}
}

// sleep waits d unless the mux closes first.
func (m *mux) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-m.closing:
		return false
	}
}

func (m *mux) down() {
	if m.onDown != nil {
		m.onDown()
	}
}

// backoff computes restart delays: Initial, doubling up to Max, and back
// to Initial after a process that ran for ResetAfter (it was healthy, so
// this is a first failure again).
type backoff struct {
	opt  Backoff
	next time.Duration
}

// failed returns the delay before the next start, given how long the
// process that just ended ran (0 if it did not start).
func (b *backoff) failed(uptime time.Duration) time.Duration {
	if b.next == 0 || uptime >= b.opt.ResetAfter {
		b.next = b.opt.Initial
	}
	d := b.next
	b.next = min(2*d, b.opt.Max)
	return d
}
