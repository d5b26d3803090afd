package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var bindingCols = columns{"key", "subject", "client_id", "server", "target", "created_at", "expires_at"}

// PutSessionBinding stores a binding; a binding under the same key is
// replaced only if it has expired by the new one's CreatedAt, so a live
// session cannot be taken over. Like UseOnce, it is one atomic INSERT ... ON
// CONFLICT DO UPDATE ... WHERE.
func (s *Store) PutSessionBinding(ctx context.Context, b storage.SessionBinding) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO session_bindings (`+bindingCols.names()+`)
		VALUES (`+bindingCols.params()+`)
		ON CONFLICT (key) DO UPDATE SET subject = EXCLUDED.subject, client_id = EXCLUDED.client_id,
			server = EXCLUDED.server, target = EXCLUDED.target, created_at = EXCLUDED.created_at,
			expires_at = EXCLUDED.expires_at
		WHERE session_bindings.expires_at <= EXCLUDED.created_at`,
		b.Key, b.Subject, b.ClientID, b.Server, b.Target, stamp(b.CreatedAt), at(b.ExpiresAt))
	if err := inserted(tag, err); err != nil {
		return fmt.Errorf("postgres: put session binding: %w", err)
	}
	return nil
}

// GetSessionBinding returns a binding that has not expired at now.
func (s *Store) GetSessionBinding(ctx context.Context, key string, now time.Time) (storage.SessionBinding, error) {
	var b storage.SessionBinding
	err := s.pool.QueryRow(ctx, bindingCols.selectFrom("session_bindings")+" WHERE key = $1 AND expires_at > $2",
		key, at(now)).
		Scan(&b.Key, &b.Subject, &b.ClientID, &b.Server, &b.Target, (*nanoTime)(&b.CreatedAt), (*nanoTime)(&b.ExpiresAt))
	if err != nil {
		return storage.SessionBinding{}, fmt.Errorf("postgres: get session binding: %w", notFound(err))
	}
	return b, nil
}

// DeleteSessionBinding removes a binding.
func (s *Store) DeleteSessionBinding(ctx context.Context, key string) error {
	if err := deleted(s.pool.Exec(ctx, `DELETE FROM session_bindings WHERE key = $1`, key)); err != nil {
		return fmt.Errorf("postgres: delete session binding: %w", err)
	}
	return nil
}
