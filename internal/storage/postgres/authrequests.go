package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var authRequestCols = columns{"id", "client_id", "redirect_uri", "state", "scopes", "resource",
	"code_challenge", "browser_hash", "upstream_state", "upstream_nonce", "identity", "auth_time",
	"created_at", "expires_at", "upstream_session_id"}

func authRequestArgs(r storage.AuthRequest) []any {
	return []any{r.ID, r.ClientID, r.RedirectURI, r.State, list(r.Scopes), r.Resource,
		r.CodeChallenge, r.BrowserHash, r.UpstreamState, r.UpstreamNonce, optIdentity(r.Identity),
		stamp(r.AuthTime), stamp(r.CreatedAt), stamp(r.ExpiresAt), r.UpstreamSessionID}
}

func scanAuthRequest(s scanner) (storage.AuthRequest, error) {
	var r storage.AuthRequest
	var id []byte
	err := s.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.State, &r.Scopes, &r.Resource,
		&r.CodeChallenge, &r.BrowserHash, &r.UpstreamState, &r.UpstreamNonce, &id,
		(*nanoTime)(&r.AuthTime), (*nanoTime)(&r.CreatedAt), (*nanoTime)(&r.ExpiresAt), &r.UpstreamSessionID)
	if err != nil {
		return r, err
	}
	nilIfEmpty(&r.Scopes)
	r.Identity, err = decodeOptIdentity(id)
	return r, err
}

// getAuthRequest reads a request that is still live at now; lock is "" or
// " FOR UPDATE".
func getAuthRequest(ctx context.Context, q querier, id string, now time.Time, lock string) (storage.AuthRequest, error) {
	row := q.QueryRow(ctx, authRequestCols.selectFrom("auth_requests")+" WHERE id = $1 AND expires_at > $2"+lock,
		id, at(now))
	r, err := scanAuthRequest(row)
	return r, notFound(err)
}

// errAuthRequest wraps an error about an authorization request. The request
// ID stays out of the message: it travels through the browser as a handle.
func errAuthRequest(op string, err error) error {
	return fmt.Errorf("postgres: %s auth request: %w", op, err)
}

// CreateAuthRequest stores a new authorization request.
func (s *Store) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	if err := inserted(s.pool.Exec(ctx, authRequestCols.insert("auth_requests"), authRequestArgs(r)...)); err != nil {
		return errAuthRequest("create", err)
	}
	return nil
}

// GetAuthRequest returns the request if it has not expired at now.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	r, err := getAuthRequest(ctx, s.pool, id, now, "")
	if err != nil {
		return storage.AuthRequest{}, errAuthRequest("get", err)
	}
	return r, nil
}

// UpdateAuthRequest rewrites a live request with what fn makes of it, on a
// row locked from the read to the write (compare-and-swap across replicas).
// fn may run again if PostgreSQL aborts the transaction for a deadlock.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, now time.Time,
	fn func(storage.AuthRequest) (storage.AuthRequest, error)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		r, err := getAuthRequest(ctx, tx, id, now, " FOR UPDATE")
		if err != nil {
			return errAuthRequest("update", err)
		}
		if r, err = fn(r); err != nil {
			return &callerError{err}
		}
		r.ID = id
		if _, err := tx.Exec(ctx, authRequestCols.update("auth_requests"), authRequestArgs(r)...); err != nil {
			return errAuthRequest("update", err)
		}
		return nil
	})
}

// DeleteAuthRequest removes the request, expired or not.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := deleted(s.pool.Exec(ctx, `DELETE FROM auth_requests WHERE id = $1`, id)); err != nil {
		return errAuthRequest("delete", err)
	}
	return nil
}
