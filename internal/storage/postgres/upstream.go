package postgres

import (
	"context"
	"fmt"
	"time"

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
		u.ID, u.Subject, u.Provider, blob(u.Sealed), stamp(u.CreatedAt), stamp(u.UpdatedAt), stamp(u.ExpiresAt))
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
