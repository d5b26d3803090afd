package lastuse

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// Tracker notes grant uses and writes them in batches.
type Tracker struct {
	store storage.GrantUsageStore
	now   func() time.Time
	every time.Duration

	// noted holds, per grant, when a use was last noted: the hot path
	// reads it without a lock and returns when it is recent.
	noted   sync.Map // grant id → time.Time
	mu      sync.Mutex
	pending map[string]time.Time
}

// New makes a tracker that notes each grant at most once per every.
func New(store storage.GrantUsageStore, now func() time.Time, every time.Duration) *Tracker {
	return &Tracker{store: store, now: now, every: every, pending: map[string]time.Time{}}
}

// Seen notes that grantID was used now.
func (t *Tracker) Seen(grantID string) {
	if grantID == "" {
		return
	}
	now := t.now()
	if v, ok := t.noted.Load(grantID); ok && now.Sub(v.(time.Time)) < t.every {
		return
	}
	t.noted.Store(grantID, now)
	t.mu.Lock()
	t.pending[grantID] = now
	t.mu.Unlock()
}

// Flush writes the uses noted since the last flush and forgets grants
// not used for a while.
func (t *Tracker) Flush(ctx context.Context) error {
	t.mu.Lock()
	batch := t.pending
	t.pending = map[string]time.Time{}
	t.mu.Unlock()
	var first error
	for id, at := range batch {
		if err := t.store.TouchGrant(ctx, id, at); err != nil && first == nil {
			first = err
		}
	}
	now := t.now()
	t.noted.Range(func(k, v any) bool {
		if now.Sub(v.(time.Time)) >= t.every {
			t.noted.Delete(k)
		}
		return true
	})
	return first
}

// Run flushes every interval until ctx ends (the owner flushes once more
// before closing the store).
func (t *Tracker) Run(ctx context.Context, log *slog.Logger) {
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := t.Flush(ctx); err != nil && ctx.Err() == nil {
				log.Warn("recording when grants were last used failed", "err", err)
			}
		}
	}
}

// Verifying wraps v so that every token it accepts counts as a use of its
// grant.
func (t *Tracker) Verifying(v tokens.AccessVerifier) tokens.AccessVerifier { return verifier{v, t} }

type verifier struct {
	next tokens.AccessVerifier
	t    *Tracker
}

func (v verifier) Verify(ctx context.Context, raw, audience string) (*tokens.AccessClaims, error) {
	c, err := v.next.Verify(ctx, raw, audience)
	if err == nil {
		v.t.Seen(c.GrantID)
	}
	return c, err
}
