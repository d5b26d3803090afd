package postgres

import (
	"context"
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
	var id []byte
	err := s.Scan(&c.Hash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.Resource, &c.Scopes,
		&id, (*nanoTime)(&c.AuthTime), &c.GrantID, &c.UpstreamSessionID, (*nanoTime)(&c.CreatedAt),
		(*nanoTime)(&c.ExpiresAt), (*nanoTime)(&c.UsedAt))
	if err != nil {
		return c, err
	}
	nilIfEmpty(&c.Scopes)
	c.Identity, err = decodeIdentity(id)
	return c, err
}

// CreateAuthCode stores a newly issued code by its hash.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	if err := inserted(s.pool.Exec(ctx, authCodeCols.insert("auth_codes"), authCodeArgs(c)...)); err != nil {
		return fmt.Errorf("postgres: create auth code for grant %q: %w", c.GrantID, err)
	}
	return nil
}

// errCodeAppeared: the code was missing when the UPDATE looked and there,
// unused, when the SELECT did; an insert landed in between, so look again.
// Codes are random, so this takes a caller racing its own CreateAuthCode;
// the third look reports it as an error rather than loop.
var errCodeAppeared = errors.New("code created while being consumed")

// ConsumeAuthCode marks a live code used. The winner is decided by one
// conditional UPDATE: PostgreSQL locks the row and re-checks "used_at IS
// NULL" against the latest version before writing, so of any number of
// racing callers, on any number of replicas, exactly one changes the row.
// Losers then read the code as the winner left it.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (storage.AuthCode, error) {
	for range 2 {
		c, err := s.consumeAuthCode(ctx, hash, now)
		if !errors.Is(err, errCodeAppeared) {
			return c, err
		}
	}
	return s.consumeAuthCode(ctx, hash, now)
}

func (s *Store) consumeAuthCode(ctx context.Context, hash string, now time.Time) (storage.AuthCode, error) {
	// at, not stamp: even a zero now must leave the code marked used.
	row := s.pool.QueryRow(ctx, `UPDATE auth_codes SET used_at = $2
		WHERE hash = $1 AND expires_at > $2 AND used_at IS NULL
		RETURNING `+authCodeCols.names(), hash, at(now))
	c, err := scanAuthCode(row)
	if err == nil {
		c.UsedAt = utc(now) // as the caller gave it, even zero
		return c, nil
	}
	if err = notFound(err); !errors.Is(err, storage.ErrNotFound) {
		return storage.AuthCode{}, fmt.Errorf("postgres: consume auth code: %w", err)
	}
	// Unknown, expired, or used before: which one decides the answer.
	row = s.pool.QueryRow(ctx, authCodeCols.selectFrom("auth_codes")+
		` WHERE hash = $1 AND expires_at > $2`, hash, at(now))
	if c, err = scanAuthCode(row); err != nil {
		return storage.AuthCode{}, fmt.Errorf("postgres: consume auth code: %w", notFound(err))
	}
	if c.UsedAt.IsZero() {
		return storage.AuthCode{}, fmt.Errorf("postgres: consume auth code: %w", errCodeAppeared)
	}
	return c, fmt.Errorf("postgres: consume auth code for grant %q: %w", c.GrantID, storage.ErrAlreadyUsed)
}
