package authserver

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"slices"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// ReasonUpstreamLogout is the revocation reason of grants ended by the
// identity provider's back-channel logout.
const ReasonUpstreamLogout = "upstream_logout"

// backChannelLogout is Drawbridge's backchannel_logout_uri as a relying
// party of the upstream identity provider (OIDC Back-Channel Logout 1.0):
// when a user signs out there, the provider POSTs a logout token naming
// the user (sub) or one sign-in session (sid), and the grants made from
// the sign-ins it names end at once, through the same revocation as every
// other (refresh tokens and upstream tokens deleted, access tokens refused).
//
// Section 2.8: 200 when done, 400 with an OAuth error body for a request
// or token that is not valid, Cache-Control: no-store either way. A
// database that cannot be reached gives 503, as elsewhere, so that the
// provider's retry (if it makes one) is not told the token was bad.
func (s *Server) backChannelLogout(w http.ResponseWriter, r *http.Request) {
	if s.opt.Logout == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	raw, oerr := logoutToken(w, r)
	var lo *identity.Logout
	if oerr == nil {
		lo, oerr = s.verifyLogout(r, raw)
	}
	if oerr != nil {
		oauth.WriteJSON(w, oerr)
		return
	}
	if err := s.endLogoutSignIns(r.Context(), lo); err != nil {
		s.opt.Log.Error("back-channel logout: ending sign-ins", "err", err)
		oauth.WriteJSON(w, unavailable())
		return
	}
	codes, err := s.deleteLogoutCodes(r.Context(), lo)
	if err != nil {
		s.opt.Log.Error("back-channel logout: deleting codes", "err", err)
		oauth.WriteJSON(w, unavailable())
		return
	}
	// After the codes, never before: see deleteLogoutCodes.
	gs, err := s.logoutGrants(r.Context(), lo)
	if err != nil {
		s.opt.Log.Error("back-channel logout: finding grants", "err", err)
		oauth.WriteJSON(w, unavailable())
		return
	}
	// The jti is used up only once the store has answered, so that an
	// outage before this point leaves the provider's retry valid.
	if oerr := s.useLogoutToken(r, lo); oerr != nil {
		oauth.WriteJSON(w, oerr)
		return
	}
	n, err := s.endUpstreamSessions(r, lo, gs)
	if err != nil {
		oauth.WriteJSON(w, unavailable())
		return
	}
	s.opt.Log.Info("upstream back-channel logout", "provider", s.opt.Logout.Name(), "by", logoutKind(lo), "grants_ended", n, "codes_deleted", codes)
	w.WriteHeader(http.StatusOK)
}

// logoutToken reads the request (section 2.5): a form with one logout_token.
func logoutToken(w http.ResponseWriter, r *http.Request) (string, *oauth.Error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return "", oauth.NewError(oauth.ErrInvalidRequest, "the logout request must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return "", oauth.NewError(oauth.ErrInvalidRequest, "the logout request body could not be parsed")
	}
	switch v := r.PostForm["logout_token"]; {
	case len(v) == 0 || v[0] == "":
		return "", oauth.NewError(oauth.ErrInvalidRequest, "logout_token is required")
	case len(v) > 1:
		return "", oauth.NewError(oauth.ErrInvalidRequest, "logout_token appears more than once")
	default:
		return v[0], nil
	}
}

// verifyLogout validates the token.
func (s *Server) verifyLogout(r *http.Request, raw string) (*identity.Logout, *oauth.Error) {
	ctx := r.Context()
	lo, err := s.opt.Logout.VerifyLogoutToken(ctx, raw)
	var bad *identity.InvalidLogoutToken
	switch {
	case errors.As(err, &bad):
		// The reason is ours and quotes nothing from the token; err may
		// name what go-oidc saw (an issuer, an audience), never the token.
		s.opt.Log.Warn("back-channel logout refused", "provider", s.opt.Logout.Name(), "err", err)
		s.record(r, audit.Event{Type: audit.UpstreamLogout, Reason: "invalid_logout_token", Status: http.StatusBadRequest})
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "the logout token is not valid: "+bad.Reason)
	case err != nil:
		s.opt.Log.Error("back-channel logout: cannot check the token", "provider", s.opt.Logout.Name(), "err", err)
		return nil, oauth.NewError(oauth.ErrTemporarilyUnavailable,
			"the identity provider's keys cannot be loaded right now; try again shortly").WithStatus(http.StatusServiceUnavailable)
	}
	return lo, nil
}

// useLogoutToken refuses a replay of the token's jti (section 2.6, step 6)
// for as long as the token would otherwise be accepted. The jti is recorded
// in the store, so a replay to another replica is refused too.
func (s *Server) useLogoutToken(r *http.Request, lo *identity.Logout) *oauth.Error {
	ctx := r.Context()
	now := s.opt.Now()
	key := "backchannel-logout " + tokens.Hash(lo.Issuer+" "+lo.JTI)
	switch err := s.opt.Store.UseOnce(ctx, key, now.Add(lo.ReplayWindow), now); {
	case errors.Is(err, storage.ErrAlreadyUsed):
		s.opt.Log.Warn("back-channel logout refused: the logout token was used before", "provider", s.opt.Logout.Name())
		s.record(r, audit.Event{Type: audit.UpstreamLogout, Reason: "replayed", Status: http.StatusBadRequest})
		return oauth.NewError(oauth.ErrInvalidRequest, "the logout token is not valid: it was used before")
	case err != nil:
		s.opt.Log.Error("back-channel logout: recording the token", "err", err)
		return unavailable()
	}
	return nil
}

// endUpstreamSessions revokes the grants logoutGrants found.
func (s *Server) endUpstreamSessions(r *http.Request, lo *identity.Logout, gs []storage.Grant) (int, error) {
	for _, g := range gs {
		if err := s.revokeGrant(r, g.ID, ReasonUpstreamLogout); err != nil {
			return 0, err
		}
	}
	e := audit.Event{Type: audit.UpstreamLogout, Reason: "by_" + logoutKind(lo), Count: len(gs), Status: http.StatusOK}
	if len(gs) > 0 && !slices.ContainsFunc(gs, func(g storage.Grant) bool { return g.Identity.Subject != gs[0].Identity.Subject }) {
		e.Subject = gs[0].Identity.Subject
	}
	s.record(r, e)
	return len(gs), nil
}

// endLogoutSignIns records that the sign-ins the logout names end now,
// named as logoutGrants names them: with a sid, that provider session's;
// with only a sub, every sign-in of that user at this provider and issuer.
// A sign-in made before, for an authorization still in progress (the user
// on the consent page), then makes no grant: the token endpoint looks for
// this record once it has stored a code's grant (recheckGrant). It runs
// first, before the codes are deleted and the grants listed: a grant that
// look missed was stored before the record, so before the list, which
// includes it. Like the codes, it runs before useLogoutToken; a replay,
// refused there, moves the end of those sign-ins to its own time, which
// ends authorizations in progress, never a grant.
//
// A session ended by its sid ends for good (revoke.Revoker.EndSession): a
// sign-in whose ID token names it, even one whose callback comes after the
// logout, was made at the provider before it.
func (s *Server) endLogoutSignIns(ctx context.Context, lo *identity.Logout) error {
	switch {
	case lo.SID != "":
		return s.opt.Revoker.EndSession(ctx, revoke.UpstreamSessionKey(s.opt.Logout.Name(), lo.Issuer, lo.SID))
	case lo.Subject != "":
		return s.opt.Revoker.EndSignIns(ctx, []string{revoke.UpstreamUserKey(s.opt.Logout.Name(), lo.Issuer, lo.Subject)})
	}
	return nil
}

// deleteLogoutCodes deletes the unredeemed authorization codes of the
// sign-ins the logout names, matched as logoutGrants matches grants, so
// that a code issued before the logout cannot make a grant after it. It
// must run before logoutGrants lists the grants: a redemption that
// consumed its code before the deletion reached it has stored its grant
// by the time the deletion returns (storage.Store.DeleteAuthCodes), so the
// list includes it, and a later one finds no code. It runs before
// useLogoutToken too, which uses the jti up only once the store has
// answered; so a replay of a token naming only a sub, refused there,
// still deletes the unredeemed codes of that user's sign-ins since (the
// client's redemption fails and the user signs in again), never a grant.
func (s *Server) deleteLogoutCodes(ctx context.Context, lo *identity.Logout) (int, error) {
	f := storage.CodeFilter{Provider: s.opt.Logout.Name(), UpstreamIssuer: lo.Issuer,
		UpstreamSubject: lo.Subject, UpstreamSID: lo.SID}
	if f.Empty() {
		return 0, nil // an empty filter would select every code
	}
	return s.opt.Store.DeleteAuthCodes(ctx, f, s.opt.Now())
}

// logoutGrants lists the live grants whose sign-in the logout names
// (section 2.7), from this provider and issuer only: with a sid, the grants
// of that provider session (and of that sub, if the token has one too);
// with only a sub, every grant of that user at this provider. It matches
// the identifiers the provider's ID token carried at sign-in, never
// Drawbridge's own subject, which may come from another claim.
func (s *Server) logoutGrants(ctx context.Context, lo *identity.Logout) ([]storage.Grant, error) {
	if lo.Subject == "" && lo.SID == "" {
		return nil, nil // an empty filter would select every grant
	}
	gs, err := s.opt.Store.ListGrants(ctx, storage.GrantFilter{UpstreamSubject: lo.Subject, UpstreamSID: lo.SID})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(gs, func(g storage.Grant) bool {
		return g.Identity.Provider != s.opt.Logout.Name() || g.Identity.Upstream.Issuer != lo.Issuer
	}), nil
}

// logoutKind says what the logout named: one session (sid) or the user (sub).
func logoutKind(lo *identity.Logout) string {
	if lo.SID != "" {
		return "sid"
	}
	return "sub"
}
