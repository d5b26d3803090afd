package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
	err := s.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.State, listCol{&r.Scopes}, &r.Resource,
		&r.CodeChallenge, &r.BrowserHash, &r.UpstreamState, &r.UpstreamNonce, optIdentityCol{&r.Identity},
		timeCol{&r.AuthTime}, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt}, &r.UpstreamSessionID)
	return r, err
}

// getAuthRequest reads a request that is still live at now.
func getAuthRequest(ctx context.Context, q querier, id string, now time.Time) (storage.AuthRequest, error) {
	row := q.QueryRowContext(ctx, authRequestCols.selectFrom("auth_requests")+" WHERE id = ? AND expires_at > ?",
		id, at(now))
	r, err := scanAuthRequest(row)
	return r, notFound(err)
}

// errAuthRequest wraps an error about an authorization request. The request
// ID stays out of the message: it travels through the browser as a handle.
func errAuthRequest(op string, err error) error {
	return fmt.Errorf("sqlite: %s auth request: %w", op, err)
}

// CreateAuthRequest stores a new authorization request.
func (s *Store) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	err := inserted(s.write.ExecContext(ctx, authRequestCols.insert("auth_requests"), authRequestArgs(r)...))
	if err != nil {
		return errAuthRequest("create", err)
	}
	return nil
}

// GetAuthRequest returns the request if it has not expired at now.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	r, err := getAuthRequest(ctx, s.read, id, now)
	if err != nil {
		return storage.AuthRequest{}, errAuthRequest("get", err)
	}
	return r, nil
}

// UpdateAuthRequest rewrites a live request with what fn makes of it.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, now time.Time,
	fn func(storage.AuthRequest) (storage.AuthRequest, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := getAuthRequest(ctx, tx, id, now)
		if err != nil {
			return errAuthRequest("update", err)
		}
		if r, err = fn(r); err != nil {
			return err
		}
		r.ID = id
		_, err = tx.ExecContext(ctx, authRequestCols.update("auth_requests"), updateArgs(authRequestArgs(r))...)
		if err != nil {
			return errAuthRequest("update", err)
		}
		return nil
	})
}

// DeleteAuthRequest removes the request, expired or not.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := deleted(s.write.ExecContext(ctx, `DELETE FROM auth_requests WHERE id = ?`, id)); err != nil {
		return errAuthRequest("delete", err)
	}
	return nil
}
