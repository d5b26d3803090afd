package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// reuseReason is the RevokeReason of a grant revoked for refresh-token reuse.
const reuseReason = "refresh_token_reuse"

var refreshCols = columns{"hash", "grant_id", "created_at", "expires_at", "rotated_at", "replaced_by"}

func scanRefreshToken(r Row) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	err := r.Scan(&t.Hash, &t.GrantID, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.RotatedAt},
		&t.ReplacedBy)
	return t, err
}

func insertRefreshToken(ctx context.Context, q Querier, t storage.RefreshToken) error {
	return inserted(q.Exec(ctx, refreshCols.insert("refresh_tokens"),
		t.Hash, t.GrantID, Stamp(t.CreatedAt), Stamp(t.ExpiresAt), Stamp(t.RotatedAt), t.ReplacedBy))
}

// GetRefreshToken returns a refresh token that has not expired at now.
func (s *Store) GetRefreshToken(ctx context.Context, hash string, now time.Time) (storage.RefreshToken, error) {
	t, err := scanRefreshToken(s.e.Read.QueryRow(ctx, refreshCols.selectFrom("refresh_tokens")+
		" WHERE hash = $1 AND expires_at > $2", hash, At(now)))
	if err != nil {
		return storage.RefreshToken{}, s.errorf("get refresh token: %w", err)
	}
	return t, nil
}

// RotateRefreshToken exchanges r.OldHash for r.New in one transaction: it
// reads the token, its grant and its successor for update, lets
// storage.Rotation.Decide choose the step, and applies it.
//
// Rotations are serialised per grant. The transaction reads the grant's row
// first, then the token's, and every other writer of a grant's tokens
// (RevokeGrant, DeleteExpired) takes the grant first too, so that with
// PostgreSQL's row locks they cannot deadlock one another; SQLite's write
// lock serialises them anyway. Racing rotations of one token therefore run
// one at a time, each seeing what the previous one left: the first rotates
// it, the second finds it rotated (reuse, which revokes the grant and
// deletes its tokens), and the rest find no token.
func (s *Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.Grant, error) {
	var g storage.Grant
	var reused bool
	err := s.inTx(ctx, func(q Querier) error {
		var err error
		g, reused, err = s.rotate(ctx, q, r)
		return err
	})
	switch {
	case reused && err == nil:
		return g, s.errorf("refresh token of grant %q: %w", g.ID, storage.ErrReused)
	case errors.Is(err, storage.ErrRevoked):
		return g, err
	case err != nil:
		return storage.Grant{}, err
	}
	return g, nil
}

// rotate does the work of RotateRefreshToken. Reuse is reported by reused
// with a nil error, so that the revocation it makes is committed.
func (s *Store) rotate(ctx context.Context, q Querier, r storage.Rotation) (g storage.Grant, reused bool, err error) {
	old, g, next, err := s.readForRotation(ctx, q, r.OldHash)
	if err != nil {
		return g, false, s.errorf("rotate refresh token: %w", err)
	}
	step, err := r.Decide(old, g, next)
	switch step {
	case storage.RotateUnknown:
		return storage.Grant{}, false, s.errorf("rotate refresh token: %w", storage.ErrNotFound)
	case storage.RotateRevoked:
		return g, false, s.errorf("rotate refresh token of grant %q: %w", g.ID, storage.ErrRevoked)
	case storage.RotateRefused:
		return g, false, &CallerError{err}
	case storage.RotateReuse:
		g, err = revoke(ctx, q, g, reuseReason, r.Now)
		return g, err == nil, err
	case storage.RotateCurrent:
		err = replace(ctx, q, *old, r)
	case storage.RotateGraceRetry:
		err = retire(ctx, q, *old, r)
	case storage.RotateKeep:
		// Inspected: the token stays as it is.
	default:
		return storage.Grant{}, false, s.errorf("rotate refresh token: no such step %d", step)
	}
	if err == nil {
		err = touchGrant(ctx, q, &g, r.Now)
	}
	if err != nil {
		return g, false, s.errorf("rotate refresh token of grant %q: %w", g.ID, err)
	}
	return g, false, nil
}

// readForRotation reads what Rotation.Decide needs, for update: the grant
// of the token hash names, then the token (nil if there is none), then the
// token's successor (nil if it names none or that token is gone).
func (s *Store) readForRotation(ctx context.Context, q Querier, hash string) (
	old *storage.RefreshToken, g storage.Grant, next *storage.RefreshToken, err error) {
	// The grant, found through the token: with row locks, the subquery's
	// row is not locked, only the grant's.
	g, err = s.scanGrant(q.QueryRow(ctx, grantCols.selectFrom("grants")+
		` WHERE id = (SELECT grant_id FROM refresh_tokens WHERE hash = $1)`+s.e.ForUpdate, hash))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, storage.Grant{}, nil, nil
	}
	if err != nil {
		return nil, g, nil, err
	}
	// Read again now that the grant is ours: a rotation that held it may
	// have changed or deleted the token since the subquery looked.
	if old, err = s.findRefreshToken(ctx, q, hash, s.e.ForUpdate); old == nil || err != nil {
		return nil, g, nil, err
	}
	// The successor belongs to the same grant, so it cannot change under us.
	if old.ReplacedBy != "" {
		next, err = s.findRefreshToken(ctx, q, old.ReplacedBy, "")
	}
	return old, g, next, err
}

// findRefreshToken reads a token, expired or not; nil when there is none.
// lock is "" or Engine.ForUpdate.
func (s *Store) findRefreshToken(ctx context.Context, q Querier, hash, lock string) (*storage.RefreshToken, error) {
	t, err := scanRefreshToken(q.QueryRow(ctx, refreshCols.selectFrom("refresh_tokens")+" WHERE hash = $1"+lock, hash))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &t, nil
}

// replace marks a current token rotated and stores its successor
// (storage.RotateCurrent).
func replace(ctx context.Context, q Querier, old storage.RefreshToken, r storage.Rotation) error {
	// At, not Stamp: even a zero Now must leave the token marked rotated.
	_, err := q.Exec(ctx, `UPDATE refresh_tokens SET rotated_at = $2, replaced_by = $3 WHERE hash = $1`,
		old.Hash, At(r.Now), r.New.Hash)
	if err != nil {
		return err
	}
	return storeSuccessor(ctx, q, old, r)
}

// retire takes the unused successor out of service and stores the new token
// in its place (storage.RotateGraceRetry). Both old and the retired token are
// left rotated with no successor, so presenting either again is reuse: the
// retry is spent. old keeps its RotatedAt, so nothing stretches the window.
func retire(ctx context.Context, q Querier, old storage.RefreshToken, r storage.Rotation) error {
	_, err := q.Exec(ctx, `UPDATE refresh_tokens SET rotated_at = $2, replaced_by = '' WHERE hash = $1`,
		old.ReplacedBy, At(r.Now))
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `UPDATE refresh_tokens SET replaced_by = '' WHERE hash = $1`, old.Hash)
	if err != nil {
		return err
	}
	return storeSuccessor(ctx, q, old, r)
}

func storeSuccessor(ctx context.Context, q Querier, old storage.RefreshToken, r storage.Rotation) error {
	next := r.New
	next.GrantID = old.GrantID
	next.RotatedAt, next.ReplacedBy = time.Time{}, ""
	return insertRefreshToken(ctx, q, next)
}

// touchGrant records the refresh as the grant's last use.
func touchGrant(ctx context.Context, q Querier, g *storage.Grant, now time.Time) error {
	if _, err := q.Exec(ctx, `UPDATE grants SET last_used_at = $2 WHERE id = $1`, g.ID, Stamp(now)); err != nil {
		return err
	}
	g.LastUsedAt = utc(now)
	return nil
}
