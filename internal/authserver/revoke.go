package authserver

import (
	"context"
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// revoke is the revocation endpoint (RFC 7009). Revoking either token of a
// grant revokes the grant: its refresh tokens are deleted and its access
// tokens are refused by every replica within one revocation-list sync
// (immediately on this one). The answer is 200 whether or not the token
// was valid (§2.2), so the endpoint cannot be used to test tokens.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST, OPTIONS")
		return
	}
	form, oerr := parseTokenForm(w, r)
	var c *client
	if oerr == nil {
		c, oerr = s.authenticateClient(r, form)
	}
	if oerr == nil && form.Get("token") == "" {
		oerr = oauth.NewError(oauth.ErrInvalidRequest, "token is required")
	}
	if oerr == nil {
		oerr = s.revokeToken(r, c, form.Get("token"), form.Get("token_type_hint"))
	}
	if oerr != nil {
		if oerr.Code == oauth.ErrInvalidClient && r.Header.Get("Authorization") != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="drawbridge"`)
		}
		oauth.WriteJSON(w, oerr)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (s *Server) revokeToken(r *http.Request, c *client, token, hint string) *oauth.Error {
	g, err := s.grantOf(r.Context(), token, hint)
	if errors.Is(err, errNoSuchToken) {
		return nil
	}
	if err != nil {
		s.opt.Log.Error("revocation lookup", "err", err)
		return unavailable()
	}
	if g.ClientID != c.ID {
		// §2.1: the token must have been issued to the requesting client.
		return oauth.NewError(oauth.ErrUnauthorizedClient, "the token was not issued to this client")
	}
	if s.revokeGrant(r, g.ID, "revoked_by_client") == nil {
		s.opt.Log.Info("grant revoked by its client", "client_id", c.ID, "grant", g.ID)
	}
	return nil
}

var errNoSuchToken = errors.New("no such token")

// grantOf finds the grant a token belongs to: an access token (a JWT
// verified for any audience) or a refresh token (by hash). The hint only
// orders the two lookups (RFC 7009 §2.1).
func (s *Server) grantOf(ctx context.Context, token, hint string) (*storage.Grant, error) {
	lookups := []func(context.Context, string) (*storage.Grant, error){s.grantOfAccessToken, s.grantOfRefreshToken}
	if hint == "refresh_token" {
		lookups[0], lookups[1] = lookups[1], lookups[0]
	}
	for _, find := range lookups {
		g, err := find(ctx, token)
		if !errors.Is(err, errNoSuchToken) {
			return g, err
		}
	}
	return nil, errNoSuchToken
}

func (s *Server) grantOfAccessToken(ctx context.Context, token string) (*storage.Grant, error) {
	if s.opt.Tokens == nil {
		return nil, errNoSuchToken
	}
	c, err := s.opt.Tokens.Inspect(ctx, token)
	if err != nil {
		return nil, errNoSuchToken
	}
	return s.liveGrant(ctx, c.GrantID)
}

func (s *Server) grantOfRefreshToken(ctx context.Context, token string) (*storage.Grant, error) {
	rt, err := s.opt.Store.GetRefreshToken(ctx, tokens.Hash(token), s.opt.Now())
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !rt.RotatedAt.IsZero()) {
		return nil, errNoSuchToken
	}
	if err != nil {
		return nil, err
	}
	return s.liveGrant(ctx, rt.GrantID)
}

func (s *Server) liveGrant(ctx context.Context, id string) (*storage.Grant, error) {
	g, err := s.opt.Store.GetGrant(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, errNoSuchToken
	case err != nil:
		return nil, err
	case g.Revoked() || (!g.ExpiresAt.IsZero() && !s.opt.Now().Before(g.ExpiresAt)):
		return nil, errNoSuchToken
	}
	return &g, nil
}
