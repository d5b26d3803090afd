package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var upstreamCols = columns{"id", "subject", "provider", "sealed", "created_at", "updated_at", "expires_at"}

func scanUpstreamSession(s scanner) (storage.UpstreamSession, error) {
	var u storage.UpstreamSession
	err := s.Scan(&u.ID, &u.Subject, &u.Provider, blobCol{&u.Sealed}, timeCol{&u.CreatedAt},
		timeCol{&u.UpdatedAt}, timeCol{&u.ExpiresAt})
	return u, err
}

// PutUpstreamSession stores the session, replacing one with the same ID
// whole. Session IDs stay out of error messages: they may be bearer handles.
func (s *Store) PutUpstreamSession(ctx context.Context, u storage.UpstreamSession) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO upstream_sessions (`+upstreamCols.names()+`)
		VALUES (`+upstreamCols.params()+`)
		ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, provider = excluded.provider,
			sealed = excluded.sealed, created_at = excluded.created_at, updated_at = excluded.updated_at,
			expires_at = excluded.expires_at`,
		upstreamArgs(u)...)
	if err != nil {
		return fmt.Errorf("sqlite: put upstream session: %w", err)
	}
	return nil
}

// GetUpstreamSession returns the session if it has not expired at now.
func (s *Store) GetUpstreamSession(ctx context.Context, id string, now time.Time) (storage.UpstreamSession, error) {
	row := s.read.QueryRowContext(ctx, upstreamCols.selectFrom("upstream_sessions")+
		" WHERE id = ? AND expires_at > ?", id, at(now))
	u, err := scanUpstreamSession(row)
	if err != nil {
		return storage.UpstreamSession{}, fmt.Errorf("sqlite: get upstream session: %w", notFound(err))
	}
	return u, nil
}

// DeleteUpstreamSession removes the session, expired or not.
func (s *Store) DeleteUpstreamSession(ctx context.Context, id string) error {
	if err := deleted(s.write.ExecContext(ctx, `DELETE FROM upstream_sessions WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("sqlite: delete upstream session: %w", err)
	}
	return nil
}

func upstreamArgs(u storage.UpstreamSession) []any {
	return []any{u.ID, u.Subject, u.Provider, blob(u.Sealed), stamp(u.CreatedAt), stamp(u.UpdatedAt), stamp(u.ExpiresAt)}
}

// UpdateUpstreamSession rewrites a live session with what fn makes of it,
// in one write transaction (SQLite has one writer at a time).
func (s *Store) UpdateUpstreamSession(ctx context.Context, id string, now time.Time,
	fn func(storage.UpstreamSession) (storage.UpstreamSession, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, upstreamCols.selectFrom("upstream_sessions")+
			" WHERE id = ? AND expires_at > ?", id, at(now))
		u, err := scanUpstreamSession(row)
		if err != nil {
			return fmt.Errorf("sqlite: update upstream session: %w", notFound(err))
		}
		if u, err = fn(u); err != nil {
			return err
		}
		u.ID = id
		if _, err := tx.ExecContext(ctx, upstreamCols.update("upstream_sessions"), updateArgs(upstreamArgs(u))...); err != nil {
			return fmt.Errorf("sqlite: update upstream session: %w", err)
		}
		return nil
	})
}

// ListUpstreamSessions returns a page of sessions in ID order.
func (s *Store) ListUpstreamSessions(ctx context.Context, afterID string, limit int) ([]storage.UpstreamSession, error) {
	rows, err := s.read.QueryContext(ctx, upstreamCols.selectFrom("upstream_sessions")+
		" WHERE id > ? ORDER BY id LIMIT ?", afterID, limit)
	us, err := collect(rows, err, scanUpstreamSession)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list upstream sessions: %w", err)
	}
	return us, nil
}
