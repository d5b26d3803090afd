package sqlstore

import (
	"context"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var upstreamCols = columns{"id", "subject", "provider", "sealed", "created_at", "updated_at", "expires_at"}

func upstreamArgs(u storage.UpstreamSession) []any {
	return []any{u.ID, u.Subject, u.Provider, blob(u.Sealed), Stamp(u.CreatedAt), Stamp(u.UpdatedAt), Stamp(u.ExpiresAt)}
}

func scanUpstreamSession(r Row) (storage.UpstreamSession, error) {
	var u storage.UpstreamSession
	err := r.Scan(&u.ID, &u.Subject, &u.Provider, blobCol{&u.Sealed}, timeCol{&u.CreatedAt},
		timeCol{&u.UpdatedAt}, timeCol{&u.ExpiresAt})
	return u, err
}

// getUpstreamSession reads a session that is still live at now; lock is ""
// or Engine.ForUpdate.
func getUpstreamSession(ctx context.Context, q Querier, id string, now time.Time, lock string) (storage.UpstreamSession, error) {
	return scanUpstreamSession(q.QueryRow(ctx, upstreamCols.selectFrom("upstream_sessions")+
		" WHERE id = $1 AND expires_at > $2"+lock, id, At(now)))
}

// PutUpstreamSession stores the session, replacing one with the same ID
// whole. Session IDs stay out of error messages: they may be bearer handles.
func (s *Store) PutUpstreamSession(ctx context.Context, u storage.UpstreamSession) error {
	_, err := s.e.Write.Exec(ctx, `INSERT INTO upstream_sessions (`+upstreamCols.names()+`)
		VALUES (`+upstreamCols.params(1)+`)
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, provider = excluded.provider,
			sealed = excluded.sealed, created_at = excluded.created_at, updated_at = excluded.updated_at,
			expires_at = excluded.expires_at`,
		upstreamArgs(u)...)
	if err != nil {
		return s.errorf("put upstream session: %w", err)
	}
	return nil
}

// GetUpstreamSession returns the session if it has not expired at now.
func (s *Store) GetUpstreamSession(ctx context.Context, id string, now time.Time) (storage.UpstreamSession, error) {
	u, err := getUpstreamSession(ctx, s.e.Read, id, now, "")
	if err != nil {
		return storage.UpstreamSession{}, s.errorf("get upstream session: %w", err)
	}
	return u, nil
}

// UpdateUpstreamSession rewrites a live session with what fn makes of it,
// on a row locked from the read to the write (compare-and-swap across
// replicas).
func (s *Store) UpdateUpstreamSession(ctx context.Context, id string, now time.Time,
	fn func(storage.UpstreamSession) (storage.UpstreamSession, error)) error {
	return s.inTx(ctx, func(q Querier) error {
		u, err := getUpstreamSession(ctx, q, id, now, s.e.ForUpdate)
		if err != nil {
			return s.errorf("update upstream session: %w", err)
		}
		if u, err = fn(u); err != nil {
			return &CallerError{err}
		}
		u.ID = id
		if _, err := q.Exec(ctx, upstreamCols.update("upstream_sessions"), upstreamArgs(u)...); err != nil {
			return s.errorf("update upstream session: %w", err)
		}
		return nil
	})
}

// ListUpstreamSessions returns a page of sessions in ID order.
func (s *Store) ListUpstreamSessions(ctx context.Context, afterID string, limit int) ([]storage.UpstreamSession, error) {
	rows, err := s.e.Read.Query(ctx, upstreamCols.selectFrom("upstream_sessions")+
		" WHERE id > $1 ORDER BY id LIMIT $2", afterID, limit)
	us, err := collect(rows, err, scanUpstreamSession)
	if err != nil {
		return nil, s.errorf("list upstream sessions: %w", err)
	}
	return us, nil
}

// DeleteUpstreamSession removes the session, expired or not.
func (s *Store) DeleteUpstreamSession(ctx context.Context, id string) error {
	if err := deleted(s.e.Write.Exec(ctx, `DELETE FROM upstream_sessions WHERE id = $1`, id)); err != nil {
		return s.errorf("delete upstream session: %w", err)
	}
	return nil
}
