package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

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
	err := s.Scan(&g.ID, &g.ClientID, &subject, identityCol{&g.Identity}, listCol{&g.Scopes}, &g.Resource,
		&g.UpstreamSessionID, timeCol{&g.AuthTime}, timeCol{&g.CreatedAt}, timeCol{&g.LastUsedAt},
		timeCol{&g.ExpiresAt}, timeCol{&g.RevokedAt}, &g.RevokeReason, &upstreamSub, &upstreamSID)
	return g, err
}

func getGrant(ctx context.Context, q querier, id string) (storage.Grant, error) {
	g, err := scanGrant(q.QueryRowContext(ctx, grantCols.selectFrom("grants")+" WHERE id = ?", id))
	return g, notFound(err)
}

// CreateGrant stores the grant and its first refresh token together.
func (s *Store) CreateGrant(ctx context.Context, g storage.Grant, rt *storage.RefreshToken) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := inserted(tx.ExecContext(ctx, grantCols.insert("grants"), grantArgs(g)...)); err != nil {
			return err
		}
		if g.UpstreamSessionID != "" && !g.ExpiresAt.IsZero() {
			_, err := tx.ExecContext(ctx, `UPDATE upstream_sessions SET expires_at = ? WHERE id = ?`,
				at(g.ExpiresAt), g.UpstreamSessionID)
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
		return fmt.Errorf("sqlite: create grant %q: %w", g.ID, err)
	}
	return nil
}

// GetGrant returns the grant, revoked or expired included.
func (s *Store) GetGrant(ctx context.Context, id string) (storage.Grant, error) {
	g, err := getGrant(ctx, s.read, id)
	if err != nil {
		return storage.Grant{}, fmt.Errorf("sqlite: get grant %q: %w", id, err)
	}
	return g, nil
}

// ListGrants returns the grants f selects, oldest first.
func (s *Store) ListGrants(ctx context.Context, f storage.GrantFilter) ([]storage.Grant, error) {
	query, args := grantQuery(f)
	rows, err := s.read.QueryContext(ctx, query, args...)
	gs, err := collect(rows, err, scanGrant)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list grants: %w", err)
	}
	return gs, nil
}

// grantQuery builds the WHERE clause from the filter's non-empty fields, so
// that each query can use its index.
func grantQuery(f storage.GrantFilter) (string, []any) {
	var where []string
	var args []any
	if f.Subject != "" {
		where, args = append(where, "subject = ?"), append(args, f.Subject)
	}
	if f.ClientID != "" {
		where, args = append(where, "client_id = ?"), append(args, f.ClientID)
	}
	if f.UpstreamSubject != "" {
		where, args = append(where, "upstream_sub = ?"), append(args, f.UpstreamSubject)
	}
	if f.UpstreamSID != "" {
		where, args = append(where, "upstream_sid = ?"), append(args, f.UpstreamSID)
	}
	if !f.IncludeRevoked {
		where = append(where, "revoked_at IS NULL")
	}
	// A missing creation time counts as the oldest possible (NULL sorts
	// first in SQLite), so the key of every row is comparable.
	const created = "coalesce(created_at, -9223372036854775808)"
	cmp, order := ">", " ORDER BY "+created+", id"
	if f.NewestFirst {
		cmp, order = "<", " ORDER BY "+created+" DESC, id DESC"
	}
	if f.After != nil {
		// The plain bound on the time lets SQLite seek in the index; the
		// row-value comparison alone would scan it from the start.
		t := at(f.After.CreatedAt)
		where = append(where, created+" "+cmp+"= ?", "("+created+", id) "+cmp+" (?, ?)")
		args = append(args, t, t, f.After.ID)
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

// RevokeGrant revokes the grant; a second revocation changes nothing.
func (s *Store) RevokeGrant(ctx context.Context, id, reason string, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := getGrant(ctx, tx, id); err != nil {
			return err
		}
		_, err := revoke(ctx, tx, id, reason, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoke grant %q: %w", id, err)
	}
	return nil
}

// revoke marks a grant revoked unless it already is, deletes its refresh
// tokens and its upstream session, and returns the grant as it now stands.
func revoke(ctx context.Context, tx *sql.Tx, id, reason string, now time.Time) (storage.Grant, error) {
	// at, not stamp: even a zero now must leave the grant revoked.
	_, err := tx.ExecContext(ctx, `UPDATE grants SET revoked_at = ?, revoke_reason = ?
		WHERE id = ? AND revoked_at IS NULL`, at(now), reason, id)
	if err != nil {
		return storage.Grant{}, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE grant_id = ?`, id); err != nil {
		return storage.Grant{}, err
	}
	g, err := getGrant(ctx, tx, id)
	if err != nil || g.UpstreamSessionID == "" {
		return g, err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM upstream_sessions WHERE id = ?`, g.UpstreamSessionID)
	return g, err
}

// RevokedGrantsSince returns revocations at or after since, oldest first.
func (s *Store) RevokedGrantsSince(ctx context.Context, since time.Time) ([]storage.RevokedGrant, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, revoked_at FROM grants
		WHERE revoked_at >= ? ORDER BY revoked_at, id`, at(since))
	rs, err := collect(rows, err, func(s scanner) (storage.RevokedGrant, error) {
		var r storage.RevokedGrant
		return r, s.Scan(&r.ID, timeCol{&r.RevokedAt})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list revoked grants: %w", err)
	}
	return rs, nil
}
