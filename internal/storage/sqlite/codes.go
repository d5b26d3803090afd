package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var authCodeCols = columns{"hash", "client_id", "redirect_uri", "code_challenge", "resource", "scopes",
	"identity", "auth_time", "grant_id", "upstream_session_id", "created_at", "expires_at", "used_at"}

func authCodeArgs(c storage.AuthCode) []any {
	return []any{c.Hash, c.ClientID, c.RedirectURI, c.CodeChallenge, c.Resource, list(c.Scopes),
		identity(c.Identity), stamp(c.AuthTime), c.GrantID, c.UpstreamSessionID, stamp(c.CreatedAt),
		stamp(c.ExpiresAt), stamp(c.UsedAt)}
}

func scanAuthCode(s scanner) (storage.AuthCode, error) {
	var c storage.AuthCode
	err := s.Scan(&c.Hash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.Resource, listCol{&c.Scopes},
		identityCol{&c.Identity}, timeCol{&c.AuthTime}, &c.GrantID, &c.UpstreamSessionID, timeCol{&c.CreatedAt},
		timeCol{&c.ExpiresAt}, timeCol{&c.UsedAt})
	return c, err
}

// CreateAuthCode stores a newly issued code by its hash.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	err := inserted(s.write.ExecContext(ctx, authCodeCols.insert("auth_codes"), authCodeArgs(c)...))
	if err != nil {
		return fmt.Errorf("sqlite: create auth code for grant %q: %w", c.GrantID, err)
	}
	return nil
}

// ConsumeAuthCode marks a live code used. The write transaction holds the
// lock from its first read, which is what makes "exactly one caller wins".
func (s *Store) ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (storage.AuthCode, error) {
	var c storage.AuthCode
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, authCodeCols.selectFrom("auth_codes")+" WHERE hash = ? AND expires_at > ?",
			hash, at(now))
		var err error
		if c, err = scanAuthCode(row); err != nil {
			return fmt.Errorf("sqlite: consume auth code: %w", notFound(err))
		}
		if !c.UsedAt.IsZero() {
			return fmt.Errorf("sqlite: consume auth code for grant %q: %w", c.GrantID, storage.ErrAlreadyUsed)
		}
		c.UsedAt = utc(now)
		// at, not stamp: even a zero now must leave the code marked used.
		if _, err := tx.ExecContext(ctx, `UPDATE auth_codes SET used_at = ? WHERE hash = ?`, at(now), hash); err != nil {
			return fmt.Errorf("sqlite: consume auth code for grant %q: %w", c.GrantID, err)
		}
		return nil
	})
	if err != nil && !errors.Is(err, storage.ErrAlreadyUsed) {
		return storage.AuthCode{}, err
	}
	return c, err
}
