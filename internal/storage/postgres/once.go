package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// UseOnce records key until expiresAt; a live earlier record wins. It is one
// INSERT ... ON CONFLICT, which PostgreSQL runs atomically: of racing
// callers one inserts (or takes over an expired record), and every other one
// meets that row, locks it, finds it live, and changes nothing.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO once (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE once.expires_at <= $3`,
		key, at(expiresAt), at(now))
	if err := affected(tag, err, storage.ErrAlreadyUsed); err != nil {
		return fmt.Errorf("postgres: use once: %w", err)
	}
	return nil
}
