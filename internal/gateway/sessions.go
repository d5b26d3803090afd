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
	b, err := s.checkKey(ctx, sessionKey(server, id), c)
	if errors.Is(err, storage.ErrNotFound) {
		return b, errSessionNotYours
	}
	return b, err
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

// Tasks (the tasks extension, SEP-2663; 2025-11-25 tasks) are bound to the
// subject that first uses their id, as sessions are: a backend behind the
// gateway sees only its own credential, so without this a task id would
// be the only thing between one user and another's task results. The
// creator polls its task first, so trust on first use binds it to the
// creator; a task id learned later (from a log, a shared screen) is of no
// use to anyone else. The binding lives beside session bindings, under a
// key no session id can have (session ids are visible ASCII).
func taskKey(server, id string) string { return sessionKey(server, "\x00task\x00"+id) }

// claimTask reports whether the caller may act on the task: it is bound to
// the caller, or to nobody yet, in which case it now is.
func (s *sessions) claimTask(ctx context.Context, server, id string, c *tokens.AccessClaims) error {
	key := taskKey(server, id)
	for range 2 {
		_, err := s.checkKey(ctx, key, c)
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		now := s.now()
		b := storage.SessionBinding{Key: key, Subject: c.Subject, ClientID: c.ClientID, Server: server,
			CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
		err = s.store.PutSessionBinding(ctx, b)
		if err == nil {
			s.remember(b)
			return nil
		}
		if !errors.Is(err, storage.ErrAlreadyExists) {
			return err
		}
		// Another request (or replica) claimed it at the same moment:
		// look again at who did.
	}
	return errSessionNotYours
}

// checkKey is check by key: ErrNotFound when nobody holds the key.
func (s *sessions) checkKey(ctx context.Context, key string, c *tokens.AccessClaims) (storage.SessionBinding, error) {
	b, ok := s.cached(key)
	if !ok || !b.ExpiresAt.After(s.now()) {
		var err error
		b, err = s.store.GetSessionBinding(ctx, key, s.now())
		if err != nil {
			return b, err
		}
		s.remember(b)
	}
	if b.Subject != c.Subject {
		return b, errSessionNotYours
	}
	return b, nil
}
