package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var grantCols = columns{"id", "client_id", "subject", "identity", "scopes", "resource",
	"upstream_session_id", "auth_time", "created_at", "last_used_at", "expires_at", "revoked_at",
	"revoke_reason", "upstream_sub", "upstream_sid"}

func grantArgs(g storage.Grant) []any {
	return []any{g.ID, g.ClientID, g.Identity.Subject, identity(g.Identity), list(g.Scopes), g.Resource,
		g.UpstreamSessionID, stamp(g.AuthTime), stamp(g.CreatedAt), stamp(g.LastUsedAt), stamp(g.ExpiresAt),
		stamp(g.RevokedAt), g.RevokeReason, g.Identity.Upstream.Subject, g.Identity.Upstream.SID}
}

func scanGrant(s scanner) (storage.Grant, error) {
	var g storage.Grant
	// Copies of Identity fields, kept only for filtering.
	var subject, upstreamSub, upstreamSID string
	var id []byte
	err := s.Scan(&g.ID, &g.ClientID, &subject, &id, &g.Scopes, &g.Resource,
		&g.UpstreamSessionID, (*nanoTime)(&g.AuthTime), (*nanoTime)(&g.CreatedAt), (*nanoTime)(&g.LastUsedAt),
		(*nanoTime)(&g.ExpiresAt), (*nanoTime)(&g.RevokedAt), &g.RevokeReason, &upstreamSub, &upstreamSID)
	if err != nil {
		return g, err
	}
	nilIfEmpty(&g.Scopes)
	g.Identity, err = decodeIdentity(id)
	return g, err
}

// getGrant reads a grant; lock is "" or " FOR UPDATE".
func getGrant(ctx context.Context, q querier, id, lock string) (storage.Grant, error) {
	g, err := scanGrant(q.QueryRow(ctx, grantCols.selectFrom("grants")+" WHERE id = $1"+lock, id))
	return g, notFound(err)
}

// CreateGrant stores the grant and its first refresh token together.
func (s *Store) CreateGrant(ctx context.Context, g storage.Grant, rt *storage.RefreshToken) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := inserted(tx.Exec(ctx, grantCols.insert("grants"), grantArgs(g)...)); err != nil {
			return err
		}
		if g.UpstreamSessionID != "" && !g.ExpiresAt.IsZero() {
			_, err := tx.Exec(ctx, `UPDATE upstream_sessions SET expires_at = $2 WHERE id = $1`,
				g.UpstreamSessionID, at(g.ExpiresAt))
			if err != nil {
				return err
			}
		}
		if rt == nil {
			return nil
		}
		t := *rt
		t.GrantID = g.ID
		return insertRefreshToken(ctx, tx, t)
	})
	if err != nil {
		return fmt.Errorf("postgres: create grant %q: %w", g.ID, err)
	}
	return nil
}

// GetGrant returns the grant, revoked or expired included.
func (s *Store) GetGrant(ctx context.Context, id string) (storage.Grant, error) {
	g, err := getGrant(ctx, s.pool, id, "")
	if err != nil {
		return storage.Grant{}, fmt.Errorf("postgres: get grant %q: %w", id, err)
	}
	return g, nil
}

// ListGrants returns the grants f selects, oldest first.
func (s *Store) ListGrants(ctx context.Context, f storage.GrantFilter) ([]storage.Grant, error) {
	query, args := grantQuery(f)
	rows, err := s.pool.Query(ctx, query, args...)
	gs, err := collect(rows, err, scanGrant)
	if err != nil {
		return nil, fmt.Errorf("postgres: list grants: %w", err)
	}
	return gs, nil
}

// grantQuery builds the WHERE clause from the filter's non-empty fields, so
// that each query can use its index.
func grantQuery(f storage.GrantFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" = $"+strconv.Itoa(len(args)))
	}
	if f.Subject != "" {
		add("subject", f.Subject)
	}
	if f.ClientID != "" {
		add("client_id", f.ClientID)
	}
	if f.UpstreamSubject != "" {
		add("upstream_sub", f.UpstreamSubject)
	}
	if f.UpstreamSID != "" {
		add("upstream_sid", f.UpstreamSID)
	}
	if !f.IncludeRevoked {
		where = append(where, "revoked_at IS NULL")
	}
	// An unknown creation time is the zero time, the oldest, so that the
	// key of every row is comparable.
	const created = "coalesce(created_at, -9223372036854775808)"
	cmp, order := ">", " ORDER BY "+created+", id"
	if f.NewestFirst {
		cmp, order = "<", " ORDER BY "+created+" DESC, id DESC"
	}
	if f.After != nil {
		args = append(args, at(f.After.CreatedAt), f.After.ID)
		where = append(where, fmt.Sprintf("(%s, id) %s ($%d, $%d)", created, cmp, len(args)-1, len(args)))
	}
	query := grantCols.selectFrom("grants")
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return query + order + limitClause(f.Limit), args
}

// limitClause is the LIMIT of a list query; 0 means none.
func limitClause(limit int) string {
	if limit <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(limit)
}

// RevokeGrant revokes the grant; a second revocation changes nothing. The
// grant row is locked first, as in a rotation, so that a revocation and a
// rotation of the same grant run one after the other: the rotation sees the
// grant revoked, or the revocation deletes the token the rotation stored.
func (s *Store) RevokeGrant(ctx context.Context, id, reason string, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		g, err := getGrant(ctx, tx, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		_, err = revoke(ctx, tx, g, reason, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: revoke grant %q: %w", id, err)
	}
	return nil
}

// revoke marks g (read under FOR UPDATE) revoked unless it already is,
// deletes its refresh tokens and its upstream session, and returns the grant
// as it now stands.
func revoke(ctx context.Context, tx pgx.Tx, g storage.Grant, reason string, now time.Time) (storage.Grant, error) {
	if !g.Revoked() {
		// at, not stamp: even a zero now must leave the grant revoked.
		_, err := tx.Exec(ctx, `UPDATE grants SET revoked_at = $2, revoke_reason = $3 WHERE id = $1`,
			g.ID, at(now), reason)
		if err != nil {
			return g, err
		}
		g.RevokedAt, g.RevokeReason = fromNanos(at(now)), reason
	}
	if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE grant_id = $1`, g.ID); err != nil {
		return g, err
	}
	if g.UpstreamSessionID != "" {
		if _, err := tx.Exec(ctx, `DELETE FROM upstream_sessions WHERE id = $1`, g.UpstreamSessionID); err != nil {
			return g, err
		}
	}
	return g, nil
}

// RevokedGrantsSince returns revocations at or after since, oldest first.
func (s *Store) RevokedGrantsSince(ctx context.Context, since time.Time) ([]storage.RevokedGrant, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, revoked_at FROM grants
		WHERE revoked_at >= $1 ORDER BY revoked_at, id`, at(since))
	rs, err := collect(rows, err, func(s scanner) (storage.RevokedGrant, error) {
		var r storage.RevokedGrant
		return r, s.Scan(&r.ID, (*nanoTime)(&r.RevokedAt))
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list revoked grants: %w", err)
	}
	return rs, nil
}
