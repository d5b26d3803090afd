package authserver

import (
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// codeGrant redeems an authorization code (OAuth 2.1 §4.1.3).
func (s *Server) codeGrant(r *http.Request, tr *tokenRequest) (*oauth.TokenResponse, *oauth.Error) {
	f := tr.form
	code, verifier := f.Get("code"), f.Get("code_verifier")
	switch {
	case code == "":
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "code is required")
	case verifier == "":
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "code_verifier is required (PKCE)")
	case f.Get("redirect_uri") == "":
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "redirect_uri is required")
	}
	var g storage.Grant
	var refresh string
	ac, err := s.opt.Store.RedeemAuthCode(r.Context(), storage.Redemption{Hash: tokens.Hash(code), Now: s.opt.Now(),
		Issue: func(ac storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
			var rt *storage.RefreshToken
			var err error
			g, refresh, rt, err = s.issueCodeGrant(&ac, tr)
			return g, rt, err
		}})
	var refused *oauth.Error
	switch {
	case errors.Is(err, storage.ErrAlreadyUsed):
		return nil, s.codeReplayed(r, &ac, tr)
	case errors.Is(err, storage.ErrNotFound):
		return nil, codeInvalid()
	case errors.As(err, &refused):
		// The code is used up all the same (storage.Redemption).
		if ac.ClientID == tr.client.ID {
			tr.grantID = ac.GrantID
		}
		return nil, refused
	case err != nil:
		s.opt.Log.Error("redeeming authorization code", "err", err)
		return nil, unavailable()
	}
	tr.grantID = g.ID
	if oerr := s.recheckGrant(r, tr.client, &g); oerr != nil {
		return nil, oerr
	}
	s.opt.Log.Info("tokens issued", "grant_type", grantAuthorizationCode, "client_id", g.ClientID, "sub", g.Identity.Subject, "grant", g.ID, "resource", g.Resource)
	resp, oerr := s.issueTokens(tr, &g, g.Scopes, refresh)
	if oerr == nil {
		s.recordIssued(r, grantAuthorizationCode, &g, g.Scopes)
	}
	return resp, oerr
}

// issueCodeGrant is the redemption's part inside the store's transaction,
// once the code is marked used: it checks the code's bindings and builds
// the grant and, if the client gets one, its first refresh token. It is
// pure but for the refresh token's randomness, so the store may call it
// again (a retried transaction): the last call's token is the one stored
// and answered.
func (s *Server) issueCodeGrant(ac *storage.AuthCode, tr *tokenRequest) (g storage.Grant, refresh string, rt *storage.RefreshToken, err error) {
	if oerr := checkCodeBinding(ac, tr); oerr != nil {
		return storage.Grant{}, "", nil, oerr
	}
	now := s.opt.Now()
	g = storage.Grant{
		ID: ac.GrantID, ClientID: ac.ClientID, Identity: ac.Identity, Scopes: ac.Scopes,
		Resource: ac.Resource, UpstreamSessionID: ac.UpstreamSessionID, AuthTime: ac.AuthTime,
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(s.opt.GrantTTL), DPoPJKT: refreshBinding(tr),
	}
	if wantsRefreshToken(tr.client, ac.Scopes) {
		var rec storage.RefreshToken
		refresh, rec = s.newRefreshToken(&g)
		rt = &rec
	}
	return g, refresh, rt, nil
}

// recheckGrant looks again, once a code's grant is stored, at what the
// code was issued on: the client, and the user's consent to it. If an
// administrator disabled, deleted or blocked the client, or the consent was
// withdrawn, meanwhile, the grant is revoked. Each of those actions stores
// its change first and then revokes the grants it finds
// (admin.SetClientDisabled, admin.BlockClient, admin.WithdrawConsent),
// while this request looked the client up before its grant was stored (a
// client that fetches its keys from its own jwks_uri can hold it there as
// long as it likes), and the code may have been issued before the consent
// was withdrawn. A grant stored after the action listed the grants is not
// among those it revoked, but then this look, made after the grant was
// stored, sees the change.
//
// The same holds for the sign-in the code was issued from: revoking the
// user's grants and a back-channel logout record that the sign-ins they
// name ended (revoke.Revoker.EndSignIns) before they list the grants, and
// the sign-in may have been made before that, the user then approving on
// the consent page after. Either this look, made after the grant was
// stored, sees the record, or the grant was stored before the record was
// written, hence before the list, and is revoked with the others.
func (s *Server) recheckGrant(r *http.Request, c *client, g *storage.Grant) *oauth.Error {
	reason, err := s.refusedSince(r, c, g)
	if err == nil && reason == "" {
		reason, err = s.signInEndedSince(r, g)
	}
	switch {
	case err != nil:
		// No token leaves, so nobody holds the grant; the code's retry is
		// a replay, which revokes it.
		s.opt.Log.Error("token: looking up the client, consent and sign-in again", "err", err)
		return unavailable()
	case reason == "":
		return nil
	}
	_ = s.revokeGrant(r, g.ID, reason)
	if reason == reasonSignInEnded {
		s.opt.Log.Warn("sign-in ended while its code was pending; grant revoked", "client_id", c.ID, "grant", g.ID)
		return oauth.NewError(oauth.ErrInvalidGrant, "the sign-in this code was issued from has ended; the user must sign in again")
	}
	if reason == "consent_revoked" {
		s.opt.Log.Warn("consent withdrawn while its code was redeemed; grant revoked", "client_id", c.ID, "grant", g.ID)
		return oauth.NewError(oauth.ErrInvalidGrant, "the user has withdrawn their consent to this client")
	}
	s.opt.Log.Warn("client refused while its code was redeemed; grant revoked", "client_id", c.ID, "grant", g.ID)
	return oauth.InvalidClient("client authentication failed")
}

// refusedSince is the revocation reason recheckGrant finds, "" for none;
// err when the store could not be read. Clients from the configuration
// cannot be refused, and those that skip consent have none to withdraw.
func (s *Server) refusedSince(r *http.Request, c *client, g *storage.Grant) (string, error) {
	ctx := r.Context()
	var err error
	switch c.Kind {
	case storage.ClientKindConfig:
	case storage.ClientKindCIMD:
		err = s.checkBlocked(ctx, c.ID)
	default:
		_, err = s.lookupClient(ctx, c.ID)
	}
	switch {
	case errors.Is(err, errClientBlocked):
		return "client_blocked", nil
	case errors.Is(err, errStoreFailed):
		return "", err
	case err != nil:
		return "client_disabled", nil
	case c.skipConsent:
		return "", nil
	}
	consent, err := s.opt.Store.GetConsent(ctx, g.Identity.Subject, c.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return "", err
	}
	if approved, ok := consent.ScopesFor(g.Resource); err != nil || !ok || !oauth.ScopeSubset(g.Scopes, approved) {
		return "consent_revoked", nil
	}
	return "", nil
}

// reasonSignInEnded revokes a grant whose sign-in was ended (the user's
// grants revoked, an upstream logout) before the grant was made.
const reasonSignInEnded = "sign_in_ended"

// signInEndedSince is reasonSignInEnded if the sign-in g was made from has
// ended since, "" if not.
func (s *Server) signInEndedSince(r *http.Request, g *storage.Grant) (string, error) {
	ended, err := revoke.SignInEnded(r.Context(), s.opt.Store, g.Identity, g.ClientID, g.AuthTime)
	if err != nil || !ended {
		return "", err
	}
	return reasonSignInEnded, nil
}

func codeInvalid() *oauth.Error {
	return oauth.NewError(oauth.ErrInvalidGrant, "the authorization code is invalid or expired")
}

// codeReplayed answers a code presented again. A replayed code may have
// been stolen, so what its first redemption issued is revoked (OAuth 2.1
// §4.1.3, RFC 9700 §4.5) — but only when the caller proves to be the
// party the code was issued to: the authenticated client, with the code's
// redirect URI and the PKCE verifier. Otherwise anyone who saw a used code
// (in a log, a browser history, a Referer) could end another client's
// grant by presenting it. For a public client the client_id proves
// nothing, since anyone may send it; the verifier is known only to whoever
// started the flow, or to a thief who has it as well, in which case the
// revocation is just what is needed. A caller who proves nothing learns
// nothing either: the answer is that of an unknown code.
func (s *Server) codeReplayed(r *http.Request, ac *storage.AuthCode, tr *tokenRequest) *oauth.Error {
	if checkCodeBinding(ac, tr) != nil {
		s.opt.Log.Warn("authorization code replayed by a caller that is not its client; nothing revoked", "client_id", tr.client.ID)
		return codeInvalid()
	}
	_ = s.revokeGrant(r, ac.GrantID, "code_replay")
	s.opt.Log.Warn("authorization code replayed; grant revoked", "client_id", ac.ClientID, "grant", ac.GrantID)
	s.record(r, audit.Event{Type: audit.CodeReplay, Subject: ac.Identity.Subject, ClientID: ac.ClientID, GrantID: ac.GrantID})
	return oauth.NewError(oauth.ErrInvalidGrant, "the authorization code was already used")
}

// checkCodeBinding: the code is only good for the client, redirect URI,
// PKCE verifier and resource it was issued with.
func checkCodeBinding(ac *storage.AuthCode, tr *tokenRequest) *oauth.Error {
	f := tr.form
	if ac.ClientID != tr.client.ID {
		return oauth.NewError(oauth.ErrInvalidGrant, "the authorization code was issued to another client")
	}
	if f.Get("redirect_uri") != ac.RedirectURI {
		return oauth.NewError(oauth.ErrInvalidGrant, "redirect_uri does not match the authorization request")
	}
	if !oauth.VerifyCodeVerifier(f.Get("code_verifier"), ac.CodeChallenge) {
		return oauth.NewError(oauth.ErrInvalidGrant, "the code_verifier does not match the code_challenge")
	}
	if res := f.Get("resource"); res != "" {
		if canon, err := oauth.CanonicalResource(res); err != nil || canon != ac.Resource {
			return oauth.NewError(oauth.ErrInvalidTarget, "the resource does not match the authorization request")
		}
	}
	if ac.DPoPJKT != "" && ac.DPoPJKT != tr.jkt {
		// RFC 9449 §10: a code issued for dpop_jkt is redeemed only with a
		// proof of that key.
		return oauth.NewError(oauth.ErrInvalidGrant, "the authorization code is bound to a DPoP key: send a DPoP proof signed with it")
	}
	return nil
}

// revokeGrant revokes a grant through the Revoker (which records it) and
// logs a failure of the store, which the caller may answer or not: the
// grant is in this replica's revocation list either way.
func (s *Server) revokeGrant(r *http.Request, grantID, reason string) error {
	err := s.opt.Revoker.Revoke(r.Context(), grantID, reason, actor(r))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		s.opt.Log.Error("revoking grant", "grant", grantID, "err", err)
		return err
	}
	return nil
}
