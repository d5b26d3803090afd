package authserver

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/idjag"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// jwtBearerGrant redeems an Identity Assertion JWT Authorization Grant
// (ID-JAG; MCP's enterprise-managed authorization, SEP-990) sent as an RFC
// 7523 §2.1 jwt-bearer grant in the assertion parameter. The enterprise
// IdP has decided already that this user's agent may reach this server, so
// no one signs in or consents here; what Drawbridge decides is whether it
// trusts that IdP for this client, server and these scopes.
//
// A refused assertion is invalid_grant (RFC 7523 §3.1); a client or a
// resource the IdP may not grant for is unauthorized_client or
// invalid_target. No refresh token is issued (draft §4.4: the client gets
// a new ID-JAG from the IdP, which can then say no).
func (s *Server) jwtBearerGrant(r *http.Request, tr *tokenRequest) (*oauth.TokenResponse, *oauth.Error) {
	raw := tr.form.Get("assertion")
	if raw == "" {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "assertion is required")
	}
	a, err := s.idjag.Verify(r.Context(), raw)
	var ierr *idjag.Error
	if errors.As(err, &ierr) {
		return nil, oauth.NewError(oauth.ErrInvalidGrant, ierr.Description)
	}
	if err != nil {
		s.opt.Log.Error("token: verifying an ID-JAG", "err", err)
		return nil, unavailable()
	}
	res, scopes, oerr := s.checkAssertion(tr, a)
	if oerr != nil {
		return nil, oerr
	}
	if oerr := s.useAssertionOnce(r, a); oerr != nil {
		return nil, oerr
	}
	now := s.opt.Now()
	g := &storage.Grant{
		ID: tokens.NewID(), ClientID: tr.client.ID, Scopes: scopes, Resource: res.URL,
		Identity: storage.Identity{Subject: a.Subject, Email: a.Email, Name: a.Name, Groups: a.Groups,
			Provider: providerEnterprise},
		CreatedAt: now, LastUsedAt: now, AuthTime: now, ExpiresAt: now.Add(s.opt.AccessTokenTTL),
	}
	if err := s.opt.Store.CreateGrant(r.Context(), *g, nil); err != nil {
		s.opt.Log.Error("storing grant", "err", err)
		return nil, unavailable()
	}
	s.opt.Log.Info("tokens issued", "grant_type", grantJWTBearer, "client_id", g.ClientID, "grant", g.ID,
		"resource", g.Resource, "idp", a.Issuer.Issuer)
	resp, oerr := s.issueTokens(tr, g, scopes, "")
	if oerr == nil {
		s.record(r, audit.Event{Type: audit.TokenIssued, GrantType: grantJWTBearer, Subject: g.Identity.Subject,
			ClientID: g.ClientID, GrantID: g.ID, Scope: oauth.FormatScope(scopes), Resource: g.Resource,
			UserAgent: userAgent(r), IdP: a.Issuer.Issuer, AssertionID: audit.Detail(a.ID)})
	}
	return resp, oerr
}

// providerEnterprise names, in grants, identities an enterprise IdP
// asserted.
const providerEnterprise = "enterprise"

// checkAssertion applies Drawbridge's side of the trust: the assertion was
// issued to the client that presents it (draft §4.3), that client may
// redeem this IdP's grants, the resource is one of Drawbridge's servers the
// IdP may grant, and the scopes are within what the IdP may grant there.
func (s *Server) checkAssertion(tr *tokenRequest, a *idjag.Assertion) (*Resource, []string, *oauth.Error) {
	switch {
	case a.ClientID != tr.client.ID:
		return nil, nil, oauth.NewError(oauth.ErrInvalidGrant, "the assertion was issued to another client")
	case !slices.Contains(a.Issuer.Clients, tr.client.ID):
		return nil, nil, oauth.NewError(oauth.ErrUnauthorizedClient, "this client may not redeem grants of this identity provider")
	}
	if q := tr.form["resource"]; len(q) > 0 && q[0] != a.Resource {
		return nil, nil, oauth.NewError(oauth.ErrInvalidTarget, "the resource parameter differs from the assertion's resource")
	}
	res, oerr := s.resource([]string{a.Resource})
	if oerr != nil {
		return nil, nil, oerr
	}
	if !slices.Contains(a.Issuer.Resources, res.URL) {
		return nil, nil, oauth.NewError(oauth.ErrInvalidTarget, "this identity provider may not grant access to this server")
	}
	allowed := machineScopes(res, a.Issuer.Scopes, s.sensitive)
	scopes := allowed
	if a.Scopes != nil {
		if !oauth.ScopeSubset(a.Scopes, allowed) {
			return nil, nil, oauth.NewError(oauth.ErrInvalidScope, "the assertion grants scopes this identity provider may not grant for this server")
		}
		scopes = a.Scopes
	}
	requested, oerr := parseOptionalScope(tr.form.Get("scope"))
	if oerr != nil {
		return nil, nil, oerr
	}
	if requested != nil {
		// A client may ask for less than it was granted, never more.
		if !oauth.ScopeSubset(requested, scopes) {
			return nil, nil, oauth.NewError(oauth.ErrInvalidScope, "the requested scope exceeds what the assertion grants")
		}
		scopes = requested
	}
	return res, scopes, nil
}

// useAssertionOnce records the assertion's jti until it expires, in the
// store all replicas share, so that a grant is redeemed once (draft §4.3,
// RFC 7523 §3 item 7).
func (s *Server) useAssertionOnce(r *http.Request, a *idjag.Assertion) *oauth.Error {
	err := s.opt.Store.UseOnce(r.Context(), "id-jag "+a.Issuer.Issuer+" "+a.ID, a.Expiry.Add(idjag.Leeway+time.Minute), s.opt.Now())
	if errors.Is(err, storage.ErrAlreadyUsed) {
		return oauth.NewError(oauth.ErrInvalidGrant, "the assertion was already used")
	}
	if err != nil {
		s.opt.Log.Error("recording an ID-JAG", "err", err)
		return unavailable()
	}
	return nil
}
