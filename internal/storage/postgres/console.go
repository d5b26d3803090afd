package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var consoleCols = columns{"hash", "grant_id", "identity", "created_at", "expires_at"}

// CreateConsoleSession stores a console session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs storage.ConsoleSession) error {
	err := inserted(s.pool.Exec(ctx, consoleCols.insert("console_sessions"),
		cs.Hash, cs.GrantID, identity(cs.Identity), stamp(cs.CreatedAt), at(cs.ExpiresAt)))
	if err != nil {
		return fmt.Errorf("postgres: create console session: %w", err)
	}
	return nil
}

// GetConsoleSession returns a session that has not expired at now.
func (s *Store) GetConsoleSession(ctx context.Context, hash string, now time.Time) (storage.ConsoleSession, error) {
	var cs storage.ConsoleSession
	var id []byte
	err := s.pool.QueryRow(ctx, consoleCols.selectFrom("console_sessions")+" WHERE hash = $1 AND expires_at > $2", hash, at(now)).
		Scan(&cs.Hash, &cs.GrantID, &id, (*nanoTime)(&cs.CreatedAt), (*nanoTime)(&cs.ExpiresAt))
	if err == nil {
		cs.Identity, err = decodeIdentity(id)
	}
	if err != nil {
		return storage.ConsoleSession{}, fmt.Errorf("postgres: get console session: %w", notFound(err))
	}
	return cs, nil
}

// DeleteConsoleSession removes a session.
func (s *Store) DeleteConsoleSession(ctx context.Context, hash string) error {
	if err := deleted(s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE hash = $1`, hash)); err != nil {
		return fmt.Errorf("postgres: delete console session: %w", err)
	}
	return nil
}

// DeleteExpiredConsoleSessions removes the sessions expired at now.
func (s *Store) DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1`, at(now))
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired console sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// TouchGrant moves a grant's last use forward.
func (s *Store) TouchGrant(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE grants SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`,
		id, stamp(at))
	if err != nil {
		return fmt.Errorf("postgres: touch grant: %w", err)
	}
	return nil
}
