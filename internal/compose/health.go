package compose

import (
	"context"
	"errors"
)

// errClosed: the server is closed.
var errClosed = errors.New("compose: the server is closed")

// down records that m failed to answer and tells the observer when the
// state changes. A client's own cancellation says nothing about the
// member and is not recorded.
func (s *Server) down(ctx context.Context, m *member, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	m.mu.Lock()
	changed := m.health.Up
	m.health.Up = false
	m.health.LastError = err.Error()
	if changed {
		m.health.Since = s.now()
	}
	m.mu.Unlock()
	if !changed {
		s.log.Debug("member still down", "member", m.cfg.Name, "err", err)
		return
	}
	s.log.Warn("member down", "member", m.cfg.Name, "err", err)
	if s.obs != nil {
		s.obs.MemberDown(ctx, m.cfg.Name, err)
	}
}

// up records that m answered.
func (s *Server) up(ctx context.Context, m *member) {
	m.mu.Lock()
	changed := !m.health.Up
	m.health.Up = true
	m.health.LastError = ""
	if changed {
		m.health.Since = s.now()
	}
	m.mu.Unlock()
	if !changed {
		return
	}
	s.log.Info("member up", "member", m.cfg.Name)
	if s.obs != nil {
		s.obs.MemberUp(ctx, m.cfg.Name)
	}
}

func (m *member) state() MemberHealth {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.health
}
