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
// A refused assertion is invalid_grant (RFC 7523 §3.1), also when its
// resource or scopes are not the IdP's to grant; a client the IdP does not
// list is unauthorized_client. No refresh token is issued (draft §4.4: the client gets
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
// issued to the client that presents it (draft §4.4.1), that client may
// redeem this IdP's grants, the resource is one of Drawbridge's servers the
// IdP may grant, and the scopes are within what the IdP may grant there.
// A resource or scope claim that does not match is invalid_grant (MCP
// enterprise-managed authorization §7.6.2).
func (s *Server) checkAssertion(tr *tokenRequest, a *idjag.Assertion) (*Resource, []string, *oauth.Error) {
	switch {
	case a.ClientID != tr.client.ID:
		return nil, nil, oauth.NewError(oauth.ErrInvalidGrant, "the assertion was issued to another client")
	case !slices.Contains(a.Issuer.Clients, tr.client.ID):
		return nil, nil, oauth.NewError(oauth.ErrUnauthorizedClient, "this client may not redeem grants of this identity provider")
	}
	res, oerr := s.assertionResource(tr, a)
	if oerr != nil {
		return nil, nil, oerr
	}
	allowed := machineScopes(res, a.Issuer.Scopes, s.sensitive)
	scopes := allowed
	if a.Scopes != nil {
		if !oauth.ScopeSubset(a.Scopes, allowed) {
			return nil, nil, oauth.NewError(oauth.ErrInvalidGrant, "the assertion grants scopes this identity provider may not grant for this server")
		}
		scopes = a.Scopes
	}
	requested, oerr := parseOptionalScope(tr.form.Get("scope"))
	if oerr != nil {
		return nil, nil, oerr
	}
	if requested != nil {
		// §7.2.1: the token gets what was both asked for and granted.
		if scopes = intersect(requested, scopes); len(scopes) == 0 {
			return nil, nil, oauth.NewError(oauth.ErrInvalidScope, "none of the requested scopes is granted by the assertion")
		}
	}
	return res, scopes, nil
}

// assertionResource is the server the token is for: the assertion's
// resource claim, or, when it has none, the request's resource parameter
// or the only server (RFC 8707, as for every grant). Either way it must be
// one the IdP may grant.
func (s *Server) assertionResource(tr *tokenRequest, a *idjag.Assertion) (*Resource, *oauth.Error) {
	q := tr.form["resource"]
	if a.Resource != "" {
		if len(q) > 0 && q[0] != a.Resource {
			return nil, oauth.NewError(oauth.ErrInvalidTarget, "the resource parameter differs from the assertion's resource")
		}
		q = []string{a.Resource}
	}
	res, oerr := s.resource(q)
	switch {
	case oerr != nil && a.Resource != "":
		return nil, oauth.NewError(oauth.ErrInvalidGrant, "the assertion's resource is not a server of this authorization server")
	case oerr != nil:
		return nil, oerr
	case !slices.Contains(a.Issuer.Resources, res.URL):
		return nil, oauth.NewError(oauth.ErrInvalidGrant, "this identity provider may not grant access to this server")
	}
	return res, nil
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
