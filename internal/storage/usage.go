package storage

import (
	"context"
	"time"
)

// GrantUsageStore records when a grant's access tokens were last used, so
// that people can see which agents are active. Token verification happens
// in memory, so callers batch these writes (package lastuse).
//
// It is part of Store; package lastuse takes this narrower interface.
type GrantUsageStore interface {
	// TouchGrant moves the grant's LastUsedAt forward to at; a later
	// LastUsedAt is kept, and an unknown grant is not an error (it may
	// have been removed since it was used).
	TouchGrant(ctx context.Context, id string, at time.Time) error
}
