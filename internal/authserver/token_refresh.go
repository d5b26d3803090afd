package authserver

import (
	"errors"
	"net/http"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// refreshGrant exchanges a refresh token for new tokens (OAuth 2.1 §4.3).
// Every use rotates the refresh token; presenting a rotated one again
// revokes the whole grant (§4.3.1, RFC 9700 §4.14.2), except for one retry
// within a short grace, for a client that lost the response (the rule is
// storage.Rotation.Step).
func (s *Server) refreshGrant(r *http.Request, tr *tokenRequest) (*oauth.TokenResponse, *oauth.Error) {
	presented := tr.form.Get("refresh_token")
	if presented == "" {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "refresh_token is required")
	}
	requested, oerr := parseOptionalScope(tr.form.Get("scope"))
	if oerr != nil {
		return nil, oerr
	}
	now := s.opt.Now()
	next := tokens.NewOpaque(tokens.PrefixRefreshToken)
	// The checks run inside the rotation, so a refused request leaves the
	// presented token as it was.
	var refusal *oauth.Error
	check := func(g storage.Grant) error {
		refusal = checkRefresh(&g, tr, requested)
		if refusal != nil {
			return refusal
		}
		return nil
	}
	g, err := s.opt.Store.RotateRefreshToken(r.Context(), storage.Rotation{
		OldHash: tokens.Hash(presented), Now: now, Grace: s.opt.RefreshReuseGrace, Check: check,
		New: storage.RefreshToken{Hash: tokens.Hash(next), CreatedAt: now, ExpiresAt: s.refreshExpiry(now)},
	})
	if refusal != nil {
		return nil, refusal
	}
	if oerr := s.rotationRefusal(r, tr, g, err); oerr != nil {
		return nil, oerr
	}
	scopes := requested
	if scopes == nil {
		scopes = g.Scopes
	}
	s.opt.Log.Info("tokens refreshed", "client_id", g.ClientID, "sub", g.Identity.Subject, "grant", g.ID)
	resp, oerr := s.issueTokens(tr, &g, scopes, next)
	if oerr == nil {
		s.record(r, audit.Event{Type: audit.TokenRefreshed, Subject: g.Identity.Subject, ClientID: g.ClientID, GrantID: g.ID,
			Scope: oauth.FormatScope(scopes), Resource: g.Resource})
	}
	return resp, oerr
}

// rotationRefusal answers a refresh token that a rotation, or an
// inspection (token exchange), did not accept; nil when it did. A reused
// token's grant was revoked in the store: the revocation is finished
// (this replica's revocation list, the audit trail) and recorded as reuse,
// wherever the token was presented.
func (s *Server) rotationRefusal(r *http.Request, tr *tokenRequest, g storage.Grant, err error) *oauth.Error {
	switch {
	case errors.Is(err, storage.ErrReused):
		s.opt.Revoker.Finish(g, actor(r))
		s.opt.Log.Warn("refresh token reused; grant revoked", "client_id", tr.client.ID, "grant", g.ID)
		s.record(r, audit.Event{Type: audit.RefreshReuse, Subject: g.Identity.Subject, ClientID: tr.client.ID, GrantID: g.ID})
		return oauth.NewError(oauth.ErrInvalidGrant, "the refresh token was already used; the grant has been revoked")
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrRevoked):
		return oauth.NewError(oauth.ErrInvalidGrant, "the refresh token is invalid, expired or revoked")
	case err != nil:
		s.opt.Log.Error("rotating refresh token", "err", err)
		return unavailable()
	}
	return nil
}

// checkRefresh: a refresh token is good only for the client it was issued
// to, while that client would still be given one (it registered the grant,
// or the grant holds offline_access, which SEP-2207 lets stand for the
// registration), for the resource of its grant, and at most the grant's
// scopes.
func checkRefresh(g *storage.Grant, tr *tokenRequest, requested []string) *oauth.Error {
	if g.ClientID != tr.client.ID {
		return oauth.NewError(oauth.ErrInvalidGrant, "the refresh token was issued to another client")
	}
	if !wantsRefreshToken(tr.client, g.Scopes) {
		return notRegisteredFor(grantRefreshToken)
	}
	if res := tr.form.Get("resource"); res != "" {
		if canon, err := oauth.CanonicalResource(res); err != nil || canon != g.Resource {
			return oauth.NewError(oauth.ErrInvalidTarget, "a refresh token is only good for the resource it was issued for")
		}
	}
	if g.DPoPJKT != "" && g.DPoPJKT != tr.jkt {
		// RFC 9449 §5: a public client's refresh token is bound to its
		// DPoP key, and the binding is checked at every refresh.
		return oauth.NewError(oauth.ErrInvalidGrant, "the refresh token is bound to a DPoP key: send a DPoP proof signed with it")
	}
	if requested != nil && !oauth.ScopeSubset(requested, g.Scopes) {
		return oauth.NewError(oauth.ErrInvalidScope, "a refresh may narrow the scope but not widen it")
	}
	return nil
}

// refreshExpiry is when a new refresh token expires; the store refuses it
// sooner if its grant expires first.
func (s *Server) refreshExpiry(now time.Time) time.Time { return now.Add(s.opt.RefreshTokenTTL) }

func parseOptionalScope(raw string) ([]string, *oauth.Error) {
	if raw == "" {
		return nil, nil
	}
	sc, err := oauth.ParseScope(raw)
	if err != nil {
		return nil, oauth.NewError(oauth.ErrInvalidScope, err.Error())
	}
	return sc, nil
}
