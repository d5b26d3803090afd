package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var upstreamCols = columns{"id", "subject", "provider", "sealed", "created_at", "updated_at", "expires_at"}

func scanUpstreamSession(s scanner) (storage.UpstreamSession, error) {
	var u storage.UpstreamSession
	err := s.Scan(&u.ID, &u.Subject, &u.Provider, &u.Sealed, (*nanoTime)(&u.CreatedAt),
		(*nanoTime)(&u.UpdatedAt), (*nanoTime)(&u.ExpiresAt))
	return u, err
}

// PutUpstreamSession stores the session, replacing one with the same ID
// whole. Session IDs stay out of error messages: they may be bearer handles.
func (s *Store) PutUpstreamSession(ctx context.Context, u storage.UpstreamSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO upstream_sessions (`+upstreamCols.names()+`)
		VALUES (`+upstreamCols.params()+`)
		ON CONFLICT (id) DO UPDATE SET subject = EXCLUDED.subject, provider = EXCLUDED.provider,
			sealed = EXCLUDED.sealed, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
			expires_at = EXCLUDED.expires_at`,
		upstreamArgs(u)...)
	if err != nil {
		return fmt.Errorf("postgres: put upstream session: %w", err)
	}
	return nil
}

// GetUpstreamSession returns the session if it has not expired at now.
func (s *Store) GetUpstreamSession(ctx context.Context, id string, now time.Time) (storage.UpstreamSession, error) {
	row := s.pool.QueryRow(ctx, upstreamCols.selectFrom("upstream_sessions")+
		" WHERE id = $1 AND expires_at > $2", id, at(now))
	u, err := scanUpstreamSession(row)
	if err != nil {
		return storage.UpstreamSession{}, fmt.Errorf("postgres: get upstream session: %w", notFound(err))
	}
	return u, nil
}

// DeleteUpstreamSession removes the session, expired or not.
func (s *Store) DeleteUpstreamSession(ctx context.Context, id string) error {
	if err := deleted(s.pool.Exec(ctx, `DELETE FROM upstream_sessions WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("postgres: delete upstream session: %w", err)
	}
	return nil
}

func upstreamArgs(u storage.UpstreamSession) []any {
	return []any{u.ID, u.Subject, u.Provider, blob(u.Sealed), stamp(u.CreatedAt), stamp(u.UpdatedAt), stamp(u.ExpiresAt)}
}

// UpdateUpstreamSession rewrites a live session with what fn makes of it,
// on a row locked from the read to the write (compare-and-swap across
// replicas). fn may run again if PostgreSQL aborts for a deadlock.
func (s *Store) UpdateUpstreamSession(ctx context.Context, id string, now time.Time,
	fn func(storage.UpstreamSession) (storage.UpstreamSession, error)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		row := tx.QueryRow(ctx, upstreamCols.selectFrom("upstream_sessions")+
			" WHERE id = $1 AND expires_at > $2 FOR UPDATE", id, at(now))
		u, err := scanUpstreamSession(row)
		if err != nil {
			return fmt.Errorf("postgres: update upstream session: %w", notFound(err))
		}
		if u, err = fn(u); err != nil {
			return &callerError{err}
		}
		u.ID = id
		if _, err := tx.Exec(ctx, upstreamCols.update("upstream_sessions"), upstreamArgs(u)...); err != nil {
			return fmt.Errorf("postgres: update upstream session: %w", err)
		}
		return nil
	})
}

// ListUpstreamSessions returns a page of sessions in ID order.
func (s *Store) ListUpstreamSessions(ctx context.Context, afterID string, limit int) ([]storage.UpstreamSession, error) {
	rows, err := s.pool.Query(ctx, upstreamCols.selectFrom("upstream_sessions")+
		" WHERE id > $1 ORDER BY id LIMIT $2", afterID, limit)
	us, err := collect(rows, err, scanUpstreamSession)
	if err != nil {
		return nil, fmt.Errorf("postgres: list upstream sessions: %w", err)
	}
	return us, nil
}
