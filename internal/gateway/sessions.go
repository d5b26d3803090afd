package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// sessions binds legacy-era MCP sessions to the subject that opened them
// (RS6: a session id is never proof of identity). The bindings live in the
// store so that every replica knows them; each replica keeps the ones it
// has seen in memory, since a binding never changes once made.
type sessions struct {
	store storage.Store
	now   func() time.Time
	ttl   time.Duration

	mu        sync.Mutex
	cur, prev map[string]storage.SessionBinding
}

const sessionCacheSize = 50000

func newSessions(store storage.Store, now func() time.Time, ttl time.Duration) *sessions {
	return &sessions{store: store, now: now, ttl: ttl, cur: map[string]storage.SessionBinding{}}
}

// sessionKey is what the store keeps instead of the session id.
func sessionKey(server, id string) string {
	sum := sha256.Sum256([]byte(server + "\x00" + id))
	return hex.EncodeToString(sum[:])
}

var errSessionNotYours = errors.New("session not found")

// check reports whether the caller may use the session: it must have been
// opened through this gateway by the same subject.
func (s *sessions) check(ctx context.Context, server, id string, c *tokens.AccessClaims) (storage.SessionBinding, error) {
	key := sessionKey(server, id)
	b, ok := s.cached(key)
	if !ok {
		var err error
		b, err = s.store.GetSessionBinding(ctx, key, s.now())
		if errors.Is(err, storage.ErrNotFound) {
			return b, errSessionNotYours
		}
		if err != nil {
			return b, err
		}
		s.remember(b)
	}
	if !b.ExpiresAt.After(s.now()) || b.Subject != c.Subject {
		return b, errSessionNotYours
	}
	return b, nil
}

// bind records a session the backend just created for the caller.
func (s *sessions) bind(ctx context.Context, server, id, target string, c *tokens.AccessClaims) error {
	now := s.now()
	b := storage.SessionBinding{Key: sessionKey(server, id), Subject: c.Subject, ClientID: c.ClientID,
		Server: server, Target: target, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	if err := s.store.PutSessionBinding(ctx, b); err != nil {
		return err
	}
	s.remember(b)
	return nil
}

// end forgets a session after the backend confirmed its deletion.
func (s *sessions) end(ctx context.Context, server, id string) {
	key := sessionKey(server, id)
	s.mu.Lock()
	delete(s.cur, key)
	delete(s.prev, key)
	s.mu.Unlock()
	_ = s.store.DeleteSessionBinding(ctx, key)
}

func (s *sessions) cached(key string) (storage.SessionBinding, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.cur[key]; ok {
		return b, true
	}
	b, ok := s.prev[key]
	return b, ok
}

func (s *sessions) remember(b storage.SessionBinding) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cur) >= sessionCacheSize {
		s.prev, s.cur = s.cur, make(map[string]storage.SessionBinding, sessionCacheSize)
	}
	s.cur[b.Key] = b
}
