package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// deadGrant selects grants past their own expiry, or revoked long enough ago
// that every access token they issued has expired. Args: now, cutoff.
const deadGrant = `expires_at <= ? OR revoked_at < ?`

// DeleteExpired removes expired rows in one transaction, so that the counts
// describe one consistent sweep. A NULL expiry ("never") matches nothing.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time, keepRevoked time.Duration) (storage.GCResult, error) {
	var r storage.GCResult
	n, cutoff := at(now), at(now.Add(-keepRevoked))
	steps := []struct {
		count *int
		query string
		args  []any
	}{
		{&r.AuthRequests, `DELETE FROM auth_requests WHERE expires_at <= ?`, []any{n}},
		{&r.AuthCodes, `DELETE FROM auth_codes WHERE expires_at <= ?`, []any{n}},
		// Before the grants, so that tokens going with their grant are counted
		// rather than removed silently by the cascade.
		{&r.RefreshTokens, `DELETE FROM refresh_tokens WHERE expires_at <= ?
			OR grant_id IN (SELECT id FROM grants WHERE ` + deadGrant + `)`, []any{n, n, cutoff}},
		{&r.Grants, `DELETE FROM grants WHERE ` + deadGrant, []any{n, cutoff}},
		{&r.Clients, `DELETE FROM clients WHERE expires_at <= ?`, []any{n}},
		{&r.UpstreamSessions, `DELETE FROM upstream_sessions WHERE expires_at <= ?`, []any{n}},
		{&r.SigningKeys, `DELETE FROM signing_keys WHERE expires_at <= ?`, []any{n}},
		{&r.Once, `DELETE FROM once WHERE expires_at <= ?`, []any{n}},
		{&r.SessionBindings, `DELETE FROM session_bindings WHERE expires_at <= ?`, []any{n}},
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, st := range steps {
			res, err := tx.ExecContext(ctx, st.query, st.args...)
			if err != nil {
				return err
			}
			rows, err := res.RowsAffected()
			if err != nil {
				return err
			}
			*st.count = int(rows)
		}
		return nil
	})
	if err != nil {
		return storage.GCResult{}, fmt.Errorf("sqlite: delete expired: %w", err)
	}
	return r, nil
}
