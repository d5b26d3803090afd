package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// deadGrant selects grants past their own expiry, or revoked long enough ago
// that every access token they issued has expired. Args: now, cutoff.
const deadGrant = `expires_at <= $1 OR revoked_at < $2`

// DeleteExpired removes expired rows in one write transaction, so that the
// counts describe one consistent sweep. A NULL expiry ("never") matches
// nothing. The write lock the transaction holds keeps rotations and
// revocations out, so the dead grants' tokens go by a subquery.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, keepRevoked time.Duration) (storage.GCResult, error) {
	var r storage.GCResult
	n, cutoff := sqlstore.At(now), sqlstore.At(now.Add(-keepRevoked))
	err := s.inTx(ctx, func(tx execer) error {
		q := querier{tx}
		// Before the grants, so that tokens going with their grant are
		// counted rather than removed silently by the cascade.
		tokens, err := q.Exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= $1
			OR grant_id IN (SELECT id FROM grants WHERE `+deadGrant+`)`, n, cutoff)
		if err != nil {
			return err
		}
		grants, err := q.Exec(ctx, `DELETE FROM grants WHERE `+deadGrant, n, cutoff)
		if err != nil {
			return err
		}
		r.RefreshTokens, r.Grants = int(tokens), int(grants)
		return sqlstore.DeleteExpiring(ctx, q, &r, n)
	})
	if err != nil {
		return storage.GCResult{}, fmt.Errorf("sqlite: delete expired: %w", err)
	}
	return r, nil
}
