package sqlstore

import (
	"context"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var authRequestCols = columns{"id", "client_id", "redirect_uri", "state", "scopes", "resource",
	"code_challenge", "browser_hash", "upstream_state", "upstream_nonce", "identity", "auth_time",
	"created_at", "expires_at", "upstream_session_id", "dpop_jkt"}

func (s *Store) authRequestArgs(r storage.AuthRequest) []any {
	return []any{r.ID, r.ClientID, r.RedirectURI, r.State, s.e.List(r.Scopes), r.Resource,
		r.CodeChallenge, r.BrowserHash, r.UpstreamState, r.UpstreamNonce, optIdentity(r.Identity),
		Stamp(r.AuthTime), Stamp(r.CreatedAt), Stamp(r.ExpiresAt), r.UpstreamSessionID, r.DPoPJKT}
}

func (s *Store) scanAuthRequest(row Row) (storage.AuthRequest, error) {
	var r storage.AuthRequest
	err := row.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.State, s.e.ScanList(&r.Scopes), &r.Resource,
		&r.CodeChallenge, &r.BrowserHash, &r.UpstreamState, &r.UpstreamNonce, optIdentityCol{&r.Identity},
		timeCol{&r.AuthTime}, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt}, &r.UpstreamSessionID, &r.DPoPJKT)
	return r, err
}

// getAuthRequest reads a request that is still live at now; lock is "" or
// Engine.ForUpdate.
func (s *Store) getAuthRequest(ctx context.Context, q Querier, id string, now time.Time, lock string) (storage.AuthRequest, error) {
	return s.scanAuthRequest(q.QueryRow(ctx, authRequestCols.selectFrom("auth_requests")+
		" WHERE id = $1 AND expires_at > $2"+lock, id, At(now)))
}

// errAuthRequest wraps an error about an authorization request. The request
// ID stays out of the message: it travels through the browser as a handle.
func (s *Store) errAuthRequest(op string, err error) error {
	return s.errorf("%s auth request: %w", op, err)
}

// CreateAuthRequest stores a new authorization request.
func (s *Store) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	if err := inserted(s.e.Write.Exec(ctx, authRequestCols.insert("auth_requests"), s.authRequestArgs(r)...)); err != nil {
		return s.errAuthRequest("create", err)
	}
	return nil
}

// GetAuthRequest returns the request if it has not expired at now.
func (s *Store) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	r, err := s.getAuthRequest(ctx, s.e.Read, id, now, "")
	if err != nil {
		return storage.AuthRequest{}, s.errAuthRequest("get", err)
	}
	return r, nil
}

// UpdateAuthRequest rewrites a live request with what fn makes of it, on a
// row locked from the read to the write (compare-and-swap across replicas).
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, now time.Time,
	fn func(storage.AuthRequest) (storage.AuthRequest, error)) error {
	return s.inTx(ctx, func(q Querier) error {
		r, err := s.getAuthRequest(ctx, q, id, now, s.e.ForUpdate)
		if err != nil {
			return s.errAuthRequest("update", err)
		}
		if r, err = fn(r); err != nil {
			return &CallerError{err}
		}
		r.ID = id
		if _, err := q.Exec(ctx, authRequestCols.update("auth_requests"), s.authRequestArgs(r)...); err != nil {
			return s.errAuthRequest("update", err)
		}
		return nil
	})
}

// DeleteAuthRequest removes the request, expired or not.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	if err := deleted(s.e.Write.Exec(ctx, `DELETE FROM auth_requests WHERE id = $1`, id)); err != nil {
		return s.errAuthRequest("delete", err)
	}
	return nil
}
