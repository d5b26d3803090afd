package sqlstore

import (
	"context"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var bindingCols = columns{"key", "subject", "client_id", "server", "target", "created_at", "expires_at"}

// PutSessionBinding stores a binding; a binding under the same key is
// replaced only if it has expired by the new one's CreatedAt, so a live
// session cannot be taken over. Like UseOnce, it is one atomic INSERT ... ON
// CONFLICT DO UPDATE ... WHERE.
func (s *Store) PutSessionBinding(ctx context.Context, b storage.SessionBinding) error {
	n, err := s.e.Write.Exec(ctx, `INSERT INTO session_bindings (`+bindingCols.names()+`)
		VALUES (`+bindingCols.params(1)+`)
		ON CONFLICT (key) DO UPDATE SET subject = excluded.subject, client_id = excluded.client_id,
			server = excluded.server, target = excluded.target, created_at = excluded.created_at,
			expires_at = excluded.expires_at
		WHERE session_bindings.expires_at <= excluded.created_at`,
		b.Key, b.Subject, b.ClientID, b.Server, b.Target, Stamp(b.CreatedAt), At(b.ExpiresAt))
	if err := inserted(n, err); err != nil {
		return s.errorf("put session binding: %w", err)
	}
	return nil
}

// GetSessionBinding returns a binding that has not expired at now.
func (s *Store) GetSessionBinding(ctx context.Context, key string, now time.Time) (storage.SessionBinding, error) {
	var b storage.SessionBinding
	err := s.e.Read.QueryRow(ctx, bindingCols.selectFrom("session_bindings")+" WHERE key = $1 AND expires_at > $2",
		key, At(now)).
		Scan(&b.Key, &b.Subject, &b.ClientID, &b.Server, &b.Target, timeCol{&b.CreatedAt}, timeCol{&b.ExpiresAt})
	if err != nil {
		return storage.SessionBinding{}, s.errorf("get session binding: %w", err)
	}
	return b, nil
}

// DeleteSessionBinding removes a binding.
func (s *Store) DeleteSessionBinding(ctx context.Context, key string) error {
	if err := deleted(s.e.Write.Exec(ctx, `DELETE FROM session_bindings WHERE key = $1`, key)); err != nil {
		return s.errorf("delete session binding: %w", err)
	}
	return nil
}

// UseOnce records key until expiresAt; a live earlier record wins. It is one
// INSERT ... ON CONFLICT, which each engine runs atomically: of racing
// callers one inserts (or takes over an expired record), and every other one
// meets that row, finds it live, and changes nothing.
func (s *Store) UseOnce(ctx context.Context, key string, expiresAt, now time.Time) error {
	n, err := s.e.Write.Exec(ctx, `INSERT INTO once (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE once.expires_at <= $3`,
		key, At(expiresAt), At(now))
	if err := affected(n, err, storage.ErrAlreadyUsed); err != nil {
		return s.errorf("use once: %w", err)
	}
	return nil
}
