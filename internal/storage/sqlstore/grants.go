package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var grantCols = columns{"id", "client_id", "subject", "identity", "scopes", "resource",
	"upstream_session_id", "auth_time", "created_at", "last_used_at", "expires_at", "revoked_at",
	"revoke_reason", "upstream_sub", "upstream_sid", "dpop_jkt"}

func (s *Store) grantArgs(g storage.Grant) []any {
	return []any{g.ID, g.ClientID, g.Identity.Subject, identity(g.Identity), s.e.List(g.Scopes), g.Resource,
		g.UpstreamSessionID, Stamp(g.AuthTime), Stamp(g.CreatedAt), Stamp(g.LastUsedAt), Stamp(g.ExpiresAt),
		Stamp(g.RevokedAt), g.RevokeReason, g.Identity.Upstream.Subject, g.Identity.Upstream.SID, g.DPoPJKT}
}

func (s *Store) scanGrant(r Row) (storage.Grant, error) {
	var g storage.Grant
	// Copies of Identity fields, kept only for filtering.
	var subject, upstreamSub, upstreamSID string
	err := r.Scan(&g.ID, &g.ClientID, &subject, identityCol{&g.Identity}, s.e.ScanList(&g.Scopes), &g.Resource,
		&g.UpstreamSessionID, timeCol{&g.AuthTime}, timeCol{&g.CreatedAt}, timeCol{&g.LastUsedAt},
		timeCol{&g.ExpiresAt}, timeCol{&g.RevokedAt}, &g.RevokeReason, &upstreamSub, &upstreamSID, &g.DPoPJKT)
	return g, err
}

// getGrant reads a grant; lock is "" or Engine.ForUpdate.
func (s *Store) getGrant(ctx context.Context, q Querier, id, lock string) (storage.Grant, error) {
	return s.scanGrant(q.QueryRow(ctx, grantCols.selectFrom("grants")+" WHERE id = $1"+lock, id))
}

// CreateGrant stores the grant and its first refresh token together.
func (s *Store) CreateGrant(ctx context.Context, g storage.Grant, rt *storage.RefreshToken) error {
	err := s.inTx(ctx, func(q Querier) error { return s.createGrant(ctx, q, g, rt) })
	if err != nil {
		return s.errorf("create grant %q: %w", g.ID, err)
	}
	return nil
}

// createGrant is CreateGrant in the caller's transaction (a redemption's).
func (s *Store) createGrant(ctx context.Context, q Querier, g storage.Grant, rt *storage.RefreshToken) error {
	if err := inserted(q.Exec(ctx, grantCols.insert("grants"), s.grantArgs(g)...)); err != nil {
		return err
	}
	if g.UpstreamSessionID != "" && !g.ExpiresAt.IsZero() {
		_, err := q.Exec(ctx, `UPDATE upstream_sessions SET expires_at = $2 WHERE id = $1`,
			g.UpstreamSessionID, At(g.ExpiresAt))
		if err != nil {
			return err
		}
	}
	if rt == nil {
		return nil
	}
	t := *rt
	t.GrantID = g.ID
	return insertRefreshToken(ctx, q, t)
}

// GetGrant returns the grant, revoked or expired included.
func (s *Store) GetGrant(ctx context.Context, id string) (storage.Grant, error) {
	g, err := s.getGrant(ctx, s.e.Read, id, "")
	if err != nil {
		return storage.Grant{}, s.errorf("get grant %q: %w", id, err)
	}
	return g, nil
}

// ListGrants returns the grants f selects, in its order.
func (s *Store) ListGrants(ctx context.Context, f storage.GrantFilter) ([]storage.Grant, error) {
	query, args := GrantQuery(f)
	rows, err := s.e.Read.Query(ctx, query, args...)
	gs, err := collect(rows, err, s.scanGrant)
	if err != nil {
		return nil, s.errorf("list grants: %w", err)
	}
	return gs, nil
}

// GrantQuery is the query ListGrants runs for f. The WHERE clause has only
// the filter's non-empty fields, so that each query can use its index, and
// the order is that of the grants_*order indexes, which paging seeks in.
func GrantQuery(f storage.GrantFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.Subject != "" {
		add("subject =", f.Subject)
	}
	if f.ClientID != "" {
		add("client_id =", f.ClientID)
	}
	if f.UpstreamSubject != "" {
		add("upstream_sub =", f.UpstreamSubject)
	}
	if f.UpstreamSID != "" {
		add("upstream_sid =", f.UpstreamSID)
	}
	if !f.IncludeRevoked {
		where = append(where, "revoked_at IS NULL")
	}
	// An unknown creation time counts as the zero time, the oldest, so that
	// the key of every row is comparable.
	const created = "coalesce(created_at, -9223372036854775808)"
	cmp, order := ">", " ORDER BY "+created+", id"
	if f.NewestFirst {
		cmp, order = "<", " ORDER BY "+created+" DESC, id DESC"
	}
	if f.After != nil {
		// The plain bound on the time lets SQLite seek in the index; the
		// row-value comparison alone would scan it from the start.
		// PostgreSQL needs only the second, which implies the first.
		add(created+" "+cmp+"=", At(f.After.CreatedAt))
		args = append(args, f.After.ID)
		where = append(where, "("+created+", id) "+cmp+" ($"+strconv.Itoa(len(args)-1)+", $"+strconv.Itoa(len(args))+")")
	}
	query := grantCols.selectFrom("grants")
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return query + order + limitClause(f.Limit), args
}

// RevokeGrant revokes the grant; a second revocation changes nothing. The
// grant row is read for update first, as in a rotation, so that a
// revocation and a rotation of the same grant run one after the other: the
// rotation sees the grant revoked, or the revocation deletes the token the
// rotation stored.
func (s *Store) RevokeGrant(ctx context.Context, id, reason string, now time.Time) (revoked bool, err error) {
	err = s.inTx(ctx, func(q Querier) error {
		g, err := s.getGrant(ctx, q, id, s.e.ForUpdate)
		if err != nil {
			return err
		}
		// Read under the grant's lock: of two revocations at once, the
		// second sees the first's.
		revoked = !g.Revoked()
		_, err = revoke(ctx, q, g, reason, now)
		return err
	})
	if err != nil {
		return false, s.errorf("revoke grant %q: %w", id, err)
	}
	return revoked, nil
}

// revoke marks g (read for update) revoked unless it already is, deletes
// its refresh tokens and its upstream session, and returns the grant as it
// now stands.
func revoke(ctx context.Context, q Querier, g storage.Grant, reason string, now time.Time) (storage.Grant, error) {
	if !g.Revoked() {
		// At, not Stamp: even a zero now must leave the grant revoked.
		_, err := q.Exec(ctx, `UPDATE grants SET revoked_at = $2, revoke_reason = $3 WHERE id = $1`,
			g.ID, At(now), reason)
		if err != nil {
			return g, err
		}
		g.RevokedAt, g.RevokeReason = fromNanos(At(now)), reason
	}
	if _, err := q.Exec(ctx, `DELETE FROM refresh_tokens WHERE grant_id = $1`, g.ID); err != nil {
		return g, err
	}
	if g.UpstreamSessionID != "" {
		if _, err := q.Exec(ctx, `DELETE FROM upstream_sessions WHERE id = $1`, g.UpstreamSessionID); err != nil {
			return g, err
		}
	}
	return g, nil
}

// RevokedGrantsSince returns revocations at or after since, oldest first.
func (s *Store) RevokedGrantsSince(ctx context.Context, since time.Time) ([]storage.RevokedGrant, error) {
	rows, err := s.e.Read.Query(ctx, `SELECT id, revoked_at FROM grants
		WHERE revoked_at >= $1 ORDER BY revoked_at, id`, At(since))
	gs, err := collect(rows, err, func(r Row) (storage.RevokedGrant, error) {
		var g storage.RevokedGrant
		return g, r.Scan(&g.ID, timeCol{&g.RevokedAt})
	})
	if err != nil {
		return nil, s.errorf("list revoked grants: %w", err)
	}
	return gs, nil
}
