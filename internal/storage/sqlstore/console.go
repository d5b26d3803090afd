package sqlstore

import (
	"context"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var consoleCols = columns{"hash", "grant_id", "identity", "created_at", "expires_at"}

// CreateConsoleSession stores a console session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs storage.ConsoleSession) error {
	err := inserted(s.e.Write.Exec(ctx, consoleCols.insert("console_sessions"),
		cs.Hash, cs.GrantID, identity(cs.Identity), Stamp(cs.CreatedAt), At(cs.ExpiresAt)))
	if err != nil {
		return s.errorf("create console session: %w", err)
	}
	return nil
}

// GetConsoleSession returns a session that has not expired at now.
func (s *Store) GetConsoleSession(ctx context.Context, hash string, now time.Time) (storage.ConsoleSession, error) {
	var cs storage.ConsoleSession
	err := s.e.Read.QueryRow(ctx, consoleCols.selectFrom("console_sessions")+" WHERE hash = $1 AND expires_at > $2",
		hash, At(now)).
		Scan(&cs.Hash, &cs.GrantID, identityCol{&cs.Identity}, timeCol{&cs.CreatedAt}, timeCol{&cs.ExpiresAt})
	if err != nil {
		return storage.ConsoleSession{}, s.errorf("get console session: %w", err)
	}
	return cs, nil
}

// DeleteConsoleSession removes a session.
func (s *Store) DeleteConsoleSession(ctx context.Context, hash string) error {
	if err := deleted(s.e.Write.Exec(ctx, `DELETE FROM console_sessions WHERE hash = $1`, hash)); err != nil {
		return s.errorf("delete console session: %w", err)
	}
	return nil
}

// DeleteExpiredConsoleSessions removes the sessions expired at now.
func (s *Store) DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) (int, error) {
	n, err := s.e.Write.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1`, At(now))
	if err != nil {
		return 0, s.errorf("delete expired console sessions: %w", err)
	}
	return int(n), nil
}

// TouchGrant moves a grant's last use forward.
func (s *Store) TouchGrant(ctx context.Context, id string, at time.Time) error {
	_, err := s.e.Write.Exec(ctx, `UPDATE grants SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, id, Stamp(at))
	if err != nil {
		return s.errorf("touch grant: %w", err)
	}
	return nil
}
