package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var consoleCols = columns{"hash", "grant_id", "identity", "created_at", "expires_at"}

// CreateConsoleSession stores a console session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs storage.ConsoleSession) error {
	err := inserted(s.write.ExecContext(ctx, consoleCols.insert("console_sessions"),
		cs.Hash, cs.GrantID, identity(cs.Identity), stamp(cs.CreatedAt), at(cs.ExpiresAt)))
	if err != nil {
		return fmt.Errorf("sqlite: create console session: %w", err)
	}
	return nil
}

// GetConsoleSession returns a session that has not expired at now.
func (s *Store) GetConsoleSession(ctx context.Context, hash string, now time.Time) (storage.ConsoleSession, error) {
	var cs storage.ConsoleSession
	err := s.read.QueryRowContext(ctx, consoleCols.selectFrom("console_sessions")+" WHERE hash = ?", hash).
		Scan(&cs.Hash, &cs.GrantID, identityCol{&cs.Identity}, timeCol{&cs.CreatedAt}, timeCol{&cs.ExpiresAt})
	err = notFound(err)
	if err == nil && !cs.ExpiresAt.After(now) {
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.ConsoleSession{}, fmt.Errorf("sqlite: get console session: %w", err)
	}
	return cs, nil
}

// DeleteConsoleSession removes a session.
func (s *Store) DeleteConsoleSession(ctx context.Context, hash string) error {
	if err := deleted(s.write.ExecContext(ctx, `DELETE FROM console_sessions WHERE hash = ?`, hash)); err != nil {
		return fmt.Errorf("sqlite: delete console session: %w", err)
	}
	return nil
}

// DeleteExpiredConsoleSessions removes the sessions expired at now.
func (s *Store) DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at <= ?`, at(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired console sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// TouchGrant moves a grant's last use forward.
func (s *Store) TouchGrant(ctx context.Context, id string, at time.Time) error {
	_, err := s.write.ExecContext(ctx, `UPDATE grants SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		stamp(at), id, stamp(at))
	if err != nil {
		return fmt.Errorf("sqlite: touch grant: %w", err)
	}
	return nil
}
