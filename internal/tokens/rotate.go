package tokens

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Rotate makes a new signing key current. The previous keys stay published
// so that tokens they signed still verify; Prune removes them once no such
// token can be valid. Every replica picks the newest key on its next
// reload, and verifiers reload on an unknown key id, so a key rotated on
// one replica is accepted by all at once.
func (k *Keys) Rotate(ctx context.Context) (string, error) {
	return k.Generate(ctx)
}

// RotateIfOlder rotates when the current key is older than period, for
// scheduled rotation. Replicas racing here may each add a key; the newest
// wins and Prune removes the rest.
func (k *Keys) RotateIfOlder(ctx context.Context, period time.Duration) (bool, error) {
	if err := k.Reload(ctx); err != nil {
		return false, err
	}
	recs, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return false, err
	}
	var newest time.Time
	for _, r := range recs {
		if r.CreatedAt.After(newest) {
			newest = r.CreatedAt
		}
	}
	if !newest.IsZero() && k.now().Sub(newest) < period {
		return false, nil
	}
	_, err = k.Generate(ctx)
	return err == nil, err
}

// Prune deletes keys replaced more than overlap ago: overlap must cover the
// longest access-token lifetime plus clock leeway, so that every token a
// key signed has expired before the key leaves the JWKS.
func (k *Keys) Prune(ctx context.Context, overlap time.Duration) (int, error) {
	recs, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return 0, err
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].CreatedAt.Equal(recs[j].CreatedAt) {
			return recs[i].ID < recs[j].ID
		}
		return recs[i].CreatedAt.Before(recs[j].CreatedAt)
	})
	now, n := k.now(), 0
	for i := 0; i+1 < len(recs); i++ {
		if now.Sub(recs[i+1].CreatedAt) <= overlap {
			continue
		}
		err := k.store.DeleteSigningKey(ctx, recs[i].ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return n, fmt.Errorf("tokens: pruning key %s: %w", recs[i].ID, err)
		}
		n++
	}
	if n > 0 {
		return n, k.Reload(ctx)
	}
	return 0, nil
}
