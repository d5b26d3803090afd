package tokens

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// RevocationList is the in-memory set of revoked grants that access-token
// verification consults. It is fed from storage by Sync (every few seconds on
// each replica) and directly by Add when this replica revokes, so a revoked
// grant's access tokens stop working everywhere within one sync interval.
type RevocationList struct {
	store storage.Store
	now   func() time.Time
	// keep is how long an entry matters: no access token outlives it.
	keep time.Duration

	mu       sync.RWMutex
	revoked  map[string]time.Time
	lastSync time.Time
}

// NewRevocationList makes an empty list; keep should be the access-token
// lifetime plus the verifier's leeway.
func NewRevocationList(store storage.Store, now func() time.Time, keep time.Duration) *RevocationList {
	return &RevocationList{store: store, now: now, keep: keep, revoked: map[string]time.Time{}}
}

// IsRevoked reports whether the grant is known to be revoked.
func (l *RevocationList) IsRevoked(grantID string) bool {
	l.mu.RLock()
	_, ok := l.revoked[grantID]
	l.mu.RUnlock()
	return ok
}

// Add records a revocation made by this replica.
func (l *RevocationList) Add(grantID string, at time.Time) {
	l.mu.Lock()
	l.revoked[grantID] = at
	l.mu.Unlock()
}

// Sync fetches revocations since the last sync (overlapping a little, for
// clock skew between replicas and for transactions committed late) and
// forgets entries older than keep.
func (l *RevocationList) Sync(ctx context.Context) error {
	now := l.now()
	l.mu.RLock()
	since := l.lastSync
	l.mu.RUnlock()
	if since.IsZero() {
		since = now.Add(-l.keep)
	} else {
		since = since.Add(-time.Minute)
	}
	revs, err := l.store.RevokedGrantsSince(ctx, since)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range revs {
		l.revoked[r.ID] = r.RevokedAt
	}
	for id, at := range l.revoked {
		if now.Sub(at) > l.keep {
			delete(l.revoked, id)
		}
	}
	l.lastSync = now
	return nil
}

// Run syncs every interval until ctx ends.
func (l *RevocationList) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Sync(ctx); err != nil && ctx.Err() == nil {
				log.Warn("revocation list sync failed", "err", err)
			}
		}
	}
}
