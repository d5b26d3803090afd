package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// reuseReason is the RevokeReason of a grant revoked for refresh-token reuse.
const reuseReason = "refresh_token_reuse"

var refreshCols = columns{"hash", "grant_id", "created_at", "expires_at", "rotated_at", "replaced_by"}

func scanRefreshToken(s scanner) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	err := s.Scan(&t.Hash, &t.GrantID, (*nanoTime)(&t.CreatedAt), (*nanoTime)(&t.ExpiresAt),
		(*nanoTime)(&t.RotatedAt), &t.ReplacedBy)
	return t, err
}

func insertRefreshToken(ctx context.Context, tx pgx.Tx, t storage.RefreshToken) error {
	return inserted(tx.Exec(ctx, refreshCols.insert("refresh_tokens"),
		t.Hash, t.GrantID, stamp(t.CreatedAt), stamp(t.ExpiresAt), stamp(t.RotatedAt), t.ReplacedBy))
}

// getRefreshToken reads a token; lock is "" or " FOR UPDATE".
func getRefreshToken(ctx context.Context, q querier, hash, lock string) (storage.RefreshToken, error) {
	t, err := scanRefreshToken(q.QueryRow(ctx, refreshCols.selectFrom("refresh_tokens")+" WHERE hash = $1"+lock, hash))
	return t, notFound(err)
}

// GetRefreshToken returns a refresh token that has not expired at now.
func (s *Store) GetRefreshToken(ctx context.Context, hash string, now time.Time) (storage.RefreshToken, error) {
	t, err := scanRefreshToken(s.pool.QueryRow(ctx, refreshCols.selectFrom("refresh_tokens")+
		" WHERE hash = $1 AND expires_at > $2", hash, at(now)))
	if err != nil {
		return storage.RefreshToken{}, fmt.Errorf("postgres: get refresh token: %w", notFound(err))
	}
	return t, nil
}

// RotateRefreshToken exchanges r.OldHash for r.New, following the rules on
// storage.Rotation, in one transaction.
//
// Rotations are serialised per grant: the transaction first locks the row of
// the grant the token belongs to, then the token's own row, and every other
// writer of a grant's tokens (RevokeGrant, DeleteExpired) takes the grant
// first too, so they cannot deadlock one another. Racing rotations of one
// token therefore run one at a time, each seeing what the previous one left:
// the first rotates it, the second finds it rotated (reuse, which revokes
// the grant and deletes its tokens), and the rest find no token.
func (s *Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.Grant, error) {
	var g storage.Grant
	var reused bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		g, reused, err = rotate(ctx, tx, r)
		return err
	})
	switch {
	case reused && err == nil:
		return g, fmt.Errorf("postgres: refresh token of grant %q: %w", g.ID, storage.ErrReused)
	case errors.Is(err, storage.ErrRevoked):
		return g, err
	case err != nil:
		return storage.Grant{}, err
	}
	return g, nil
}

// rotate does the work of RotateRefreshToken. Reuse is reported by reused
// with a nil error, so that the revocation it makes is committed.
func rotate(ctx context.Context, tx pgx.Tx, r storage.Rotation) (g storage.Grant, reused bool, err error) {
	// The grant row, found through the token and locked: the subquery's
	// row is not locked, only the grant's.
	g, err = scanGrant(tx.QueryRow(ctx, grantCols.selectFrom("grants")+
		` WHERE id = (SELECT grant_id FROM refresh_tokens WHERE hash = $1) FOR UPDATE`, r.OldHash))
	if err = notFound(err); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return g, false, fmt.Errorf("postgres: rotate refresh token: %w", err)
	}
	var old *storage.RefreshToken
	var next *storage.RefreshToken
	if err == nil {
		// Read again under the grant's lock: a rotation that held it may
		// have changed or deleted the token since the subquery looked.
		t, err := getRefreshToken(ctx, tx, r.OldHash, " FOR UPDATE")
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return g, false, fmt.Errorf("postgres: rotate refresh token: %w", err)
		}
		if err == nil {
			old = &t
			if next, err = successor(ctx, tx, t); err != nil {
				return g, false, fmt.Errorf("postgres: rotate refresh token of grant %q: %w", g.ID, err)
			}
		}
	}
	step, err := r.Decide(old, g, next)
	switch step {
	case storage.RotateUnknown:
		return storage.Grant{}, false, fmt.Errorf("postgres: rotate refresh token: %w", storage.ErrNotFound)
	case storage.RotateRevoked:
		return g, false, fmt.Errorf("postgres: rotate refresh token of grant %q: %w", g.ID, storage.ErrRevoked)
	case storage.RotateRefused:
		return g, false, &callerError{err}
	case storage.RotateCurrent:
		err = replace(ctx, tx, *old, r)
	case storage.RotateGraceRetry:
		err = retire(ctx, tx, *old, r)
	case storage.RotateReuse:
		g, err = revoke(ctx, tx, g, reuseReason, r.Now)
		return g, err == nil, err
	}
	if err != nil {
		return g, false, fmt.Errorf("postgres: rotate refresh token of grant %q: %w", g.ID, err)
	}
	return touchGrant(ctx, tx, g, r)
}

// successor reads the token old was exchanged for, for Rotation.Step: nil
// when it names none or that token is gone. The successor belongs to the
// same grant, whose lock we hold, so it cannot change under us.
func successor(ctx context.Context, tx pgx.Tx, old storage.RefreshToken) (*storage.RefreshToken, error) {
	if old.ReplacedBy == "" {
		return nil, nil
	}
	next, err := getRefreshToken(ctx, tx, old.ReplacedBy, "")
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &next, nil
}

// replace marks a current token rotated and stores its successor.
func replace(ctx context.Context, tx pgx.Tx, old storage.RefreshToken, r storage.Rotation) error {
	// at, not stamp: even a zero Now must leave the token marked rotated.
	_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET rotated_at = $2, replaced_by = $3 WHERE hash = $1`,
		old.Hash, at(r.Now), r.New.Hash)
	if err != nil {
		return err
	}
	return storeSuccessor(ctx, tx, old, r)
}

// retire takes the unused successor out of service and stores the new token
// in its place (storage.RotateGraceRetry). Both old and the retired token are
// left rotated with no successor, so presenting either again is reuse: the
// retry is spent. old keeps its RotatedAt, so nothing stretches the window.
func retire(ctx context.Context, tx pgx.Tx, old storage.RefreshToken, r storage.Rotation) error {
	_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET rotated_at = $2, replaced_by = '' WHERE hash = $1`,
		old.ReplacedBy, at(r.Now))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE refresh_tokens SET replaced_by = '' WHERE hash = $1`, old.Hash)
	if err != nil {
		return err
	}
	return storeSuccessor(ctx, tx, old, r)
}

func storeSuccessor(ctx context.Context, tx pgx.Tx, old storage.RefreshToken, r storage.Rotation) error {
	next := r.New
	next.GrantID = old.GrantID
	next.RotatedAt, next.ReplacedBy = time.Time{}, ""
	return insertRefreshToken(ctx, tx, next)
}

// touchGrant records the refresh as the grant's last use.
func touchGrant(ctx context.Context, tx pgx.Tx, g storage.Grant, r storage.Rotation) (storage.Grant, bool, error) {
	_, err := tx.Exec(ctx, `UPDATE grants SET last_used_at = $2 WHERE id = $1`, g.ID, stamp(r.Now))
	if err != nil {
		return g, false, fmt.Errorf("postgres: rotate refresh token of grant %q: %w", g.ID, err)
	}
	g.LastUsedAt = utc(r.Now)
	return g, false, nil
}
