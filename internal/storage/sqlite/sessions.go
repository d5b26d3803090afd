package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var bindingCols = columns{"key", "subject", "client_id", "server", "target", "created_at", "expires_at"}

// PutSessionBinding stores a binding; a binding under the same key is
// replaced only if it has expired, so a live session cannot be taken over.
func (s *Store) PutSessionBinding(ctx context.Context, b storage.SessionBinding) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO session_bindings ("+bindingCols.names()+") VALUES ("+bindingCols.params()+")"+
			` ON CONFLICT (key) DO UPDATE SET subject = excluded.subject, client_id = excluded.client_id,
			server = excluded.server, target = excluded.target, created_at = excluded.created_at,
			expires_at = excluded.expires_at WHERE session_bindings.expires_at <= excluded.created_at`,
			b.Key, b.Subject, b.ClientID, b.Server, b.Target, stamp(b.CreatedAt), at(b.ExpiresAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = storage.ErrAlreadyExists
			}
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: put session binding: %w", err)
	}
	return nil
}

// GetSessionBinding returns a binding that has not expired at now.
func (s *Store) GetSessionBinding(ctx context.Context, key string, now time.Time) (storage.SessionBinding, error) {
	var b storage.SessionBinding
	err := s.read.QueryRowContext(ctx, bindingCols.selectFrom("session_bindings")+" WHERE key = ?", key).
		Scan(&b.Key, &b.Subject, &b.ClientID, &b.Server, &b.Target, timeCol{&b.CreatedAt}, timeCol{&b.ExpiresAt})
	err = notFound(err)
	if err == nil && !b.ExpiresAt.After(now) {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.SessionBinding{}, fmt.Errorf("sqlite: get session binding: %w", err)
	}
	return b, nil
}

// DeleteSessionBinding removes a binding.
func (s *Store) DeleteSessionBinding(ctx context.Context, key string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM session_bindings WHERE key = ?`, key)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = storage.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete session binding: %w", err)
	}
	return nil
}
