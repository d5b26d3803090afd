package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// deadGrants selects grants past their own expiry, or revoked long enough ago
// that every access token they issued has expired. Args: now, cutoff.
const deadGrants = `SELECT id FROM grants WHERE expires_at <= $1 OR revoked_at < $2`

// DeleteExpired removes expired rows in one transaction, so that the counts
// describe one sweep. A NULL expiry ("never") matches nothing.
//
// Only one replica sweeps at a time: the transaction first tries a
// transaction-scoped advisory lock, and if another Store (this process or
// another) holds it, DeleteExpired returns an empty GCResult and nil at once
// instead of queueing up to delete the same rows. The lock ends with the
// transaction.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, keepRevoked time.Duration) (storage.GCResult, error) {
	var r storage.GCResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		r = storage.GCResult{} // a retried attempt counts afresh
		var mine bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, gcLockKey).Scan(&mine); err != nil || !mine {
			return err
		}
		return sweep(ctx, tx, &r, sqlstore.At(now), sqlstore.At(now.Add(-keepRevoked)))
	})
	if err != nil {
		return storage.GCResult{}, fmt.Errorf("postgres: delete expired: %w", err)
	}
	return r, nil
}

func sweep(ctx context.Context, tx pgx.Tx, r *storage.GCResult, now, cutoff int64) error {
	// The dead grants are locked before their tokens are touched, the order
	// rotations and revocations use, so a sweep cannot deadlock with them.
	rows, err := tx.Query(ctx, deadGrants+` FOR UPDATE`, now, cutoff)
	if err != nil {
		return err
	}
	dead, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if dead == nil {
		dead = []string{} // an empty array, not NULL, for = ANY
	}
	// Before the grants, so that tokens going with their grant are counted
	// rather than removed silently by the cascade.
	tokens, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at <= $1 OR grant_id = ANY($2)`, now, dead)
	if err != nil {
		return err
	}
	grants, err := tx.Exec(ctx, `DELETE FROM grants WHERE id = ANY($1)`, dead)
	if err != nil {
		return err
	}
	r.RefreshTokens, r.Grants = int(tokens.RowsAffected()), int(grants.RowsAffected())
	return sqlstore.DeleteExpiring(ctx, querier{tx}, r, now)
}
