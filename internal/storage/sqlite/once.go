package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// UseOnce records key until expiresAt; a live earlier record wins.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// An expired record may be replaced: the key is free again.
		res, err := tx.ExecContext(ctx, `INSERT INTO once (key, expires_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE once.expires_at <= ?`,
			key, at(expiresAt), at(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = storage.ErrAlreadyUsed
			}
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: use once: %w", err)
	}
	return nil
}

// GetRefreshToken returns a refresh token that has not expired at now.
func (s *Store) GetRefreshToken(ctx context.Context, hash string, now time.Time) (storage.RefreshToken, error) {
	t, err := scanRefreshToken(s.read.QueryRowContext(ctx, refreshCols.selectFrom("refresh_tokens")+" WHERE hash = ?", hash))
	err = notFound(err)
	if err == nil && !t.ExpiresAt.After(now) {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.RefreshToken{}, fmt.Errorf("sqlite: get refresh token: %w", err)
	}
	return t, nil
}
