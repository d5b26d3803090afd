package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// reuseReason is the RevokeReason of a grant revoked for refresh-token reuse.
const reuseReason = "refresh_token_reuse"

var refreshCols = columns{"hash", "grant_id", "created_at", "expires_at", "rotated_at", "replaced_by"}

func scanRefreshToken(s scanner) (storage.RefreshToken, error) {
	var t storage.RefreshToken
	err := s.Scan(&t.Hash, &t.GrantID, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.RotatedAt},
		&t.ReplacedBy)
	return t, err
}

func insertRefreshToken(ctx context.Context, tx *sql.Tx, t storage.RefreshToken) error {
	return inserted(tx.ExecContext(ctx, refreshCols.insert("refresh_tokens"),
		t.Hash, t.GrantID, stamp(t.CreatedAt), stamp(t.ExpiresAt), stamp(t.RotatedAt), t.ReplacedBy))
}

func getRefreshToken(ctx context.Context, tx *sql.Tx, hash string) (storage.RefreshToken, error) {
	t, err := scanRefreshToken(tx.QueryRowContext(ctx, refreshCols.selectFrom("refresh_tokens")+" WHERE hash = ?", hash))
	return t, notFound(err)
}

// RotateRefreshToken exchanges r.OldHash for r.New, following the rules on
// storage.Rotation, in one write transaction.
func (s *Store) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.Grant, error) {
	var g storage.Grant
	var reused bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		g, reused, err = rotate(ctx, tx, r)
		return err
	})
	switch {
	case reused && err == nil:
		return g, fmt.Errorf("sqlite: refresh token of grant %q: %w", g.ID, storage.ErrReused)
	case errors.Is(err, storage.ErrRevoked):
		return g, err
	case err != nil:
		return storage.Grant{}, err
	}
	return g, nil
}

// rotate does the work of RotateRefreshToken. Reuse is reported by reused
// with a nil error, so that the revocation it makes is committed.
func rotate(ctx context.Context, tx *sql.Tx, r storage.Rotation) (g storage.Grant, reused bool, err error) {
	old, err := getRefreshToken(ctx, tx, r.OldHash)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return g, false, fmt.Errorf("sqlite: rotate refresh token: %w", err)
	}
	var next *storage.RefreshToken
	if err == nil {
		if g, err = getGrant(ctx, tx, old.GrantID); err != nil {
			return g, false, fmt.Errorf("sqlite: rotate refresh token of grant %q: %w", old.GrantID, err)
		}
		if next, err = successor(ctx, tx, old); err != nil {
			return g, false, fmt.Errorf("sqlite: rotate refresh token of grant %q: %w", g.ID, err)
		}
	}
	step, err := r.Decide(found(old, err), g, next)
	switch step {
	case storage.RotateUnknown:
		return storage.Grant{}, false, fmt.Errorf("sqlite: rotate refresh token: %w", storage.ErrNotFound)
	case storage.RotateRevoked:
		return g, false, fmt.Errorf("sqlite: rotate refresh token of grant %q: %w", g.ID, storage.ErrRevoked)
	case storage.RotateRefused:
		return g, false, err
	case storage.RotateCurrent:
		err = replace(ctx, tx, old, r)
	case storage.RotateGraceRetry:
		err = retire(ctx, tx, old, r)
	case storage.RotateReuse:
		g, err = revoke(ctx, tx, g.ID, reuseReason, r.Now)
		return g, err == nil, err
	}
	if err != nil {
		return g, false, fmt.Errorf("sqlite: rotate refresh token of grant %q: %w", g.ID, err)
	}
	return touchGrant(ctx, tx, g, r)
}

// found is the token read, or nil when there was none.
func found(t storage.RefreshToken, err error) *storage.RefreshToken {
	if err != nil {
		return nil
	}
	return &t
}

// successor reads the token old was exchanged for, for Rotation.Step: nil
// when it names none or that token is gone.
func successor(ctx context.Context, tx *sql.Tx, old storage.RefreshToken) (*storage.RefreshToken, error) {
	if old.ReplacedBy == "" {
		return nil, nil
	}
	next, err := getRefreshToken(ctx, tx, old.ReplacedBy)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &next, nil
}

// replace marks a current token rotated and stores its successor.
func replace(ctx context.Context, tx *sql.Tx, old storage.RefreshToken, r storage.Rotation) error {
	// at, not stamp: even a zero Now must leave the token marked rotated.
	_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET rotated_at = ?, replaced_by = ? WHERE hash = ?`,
		at(r.Now), r.New.Hash, old.Hash)
	if err != nil {
		return err
	}
	return storeSuccessor(ctx, tx, old, r)
}

// retire takes the unused successor out of service and stores the new token
// in its place (storage.RotateGraceRetry). Both old and the retired token are
// left rotated with no successor, so presenting either again is reuse: the
// retry is spent. old keeps its RotatedAt, so nothing stretches the window.
func retire(ctx context.Context, tx *sql.Tx, old storage.RefreshToken, r storage.Rotation) error {
	_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET rotated_at = ?, replaced_by = '' WHERE hash = ?`,
		at(r.Now), old.ReplacedBy)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE refresh_tokens SET replaced_by = '' WHERE hash = ?`, old.Hash)
	if err != nil {
		return err
	}
	return storeSuccessor(ctx, tx, old, r)
}

func storeSuccessor(ctx context.Context, tx *sql.Tx, old storage.RefreshToken, r storage.Rotation) error {
	next := r.New
	next.GrantID = old.GrantID
	next.RotatedAt, next.ReplacedBy = time.Time{}, ""
	return insertRefreshToken(ctx, tx, next)
}

// touchGrant records the refresh as the grant's last use.
func touchGrant(ctx context.Context, tx *sql.Tx, g storage.Grant, r storage.Rotation) (storage.Grant, bool, error) {
	_, err := tx.ExecContext(ctx, `UPDATE grants SET last_used_at = ? WHERE id = ?`, stamp(r.Now), g.ID)
	if err != nil {
		return g, false, fmt.Errorf("sqlite: rotate refresh token of grant %q: %w", g.ID, err)
	}
	g.LastUsedAt = utc(r.Now)
	return g, false, nil
}
