package authserver

import (
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// clientCredentialsGrant issues a token to a machine client acting for
// itself (RFC 6749 §4.4; MCP's OAuth client credentials extension). There is
// no user: the token's subject is the client id (RFC 9068 §2.2) and no
// refresh token is issued (§4.4.3). Each token gets a short grant of its own,
// so that revoking the client's grants cuts its tokens off like any other.
func (s *Server) clientCredentialsGrant(r *http.Request, tr *tokenRequest) (*oauth.TokenResponse, *oauth.Error) {
	res, oerr := s.resource(tr.form["resource"])
	if oerr != nil {
		return nil, oerr
	}
	requested, oerr := parseOptionalScope(tr.form.Get("scope"))
	if oerr != nil {
		return nil, oerr
	}
	allowed := machineScopes(res, tr.client.ccScopes, s.sensitive)
	scopes := allowed
	if requested != nil {
		// Unlike the interactive flow, nobody can approve more here, so
		// asking for what the client may not have is an error (§5.2).
		if !oauth.ScopeSubset(requested, allowed) {
			return nil, oauth.NewError(oauth.ErrInvalidScope, "the client may not request these scopes")
		}
		scopes = requested
	}
	now := s.opt.Now()
	g := &storage.Grant{
		ID: tokens.NewID(), ClientID: tr.client.ID, Scopes: scopes, Resource: res.URL,
		Identity:  storage.Identity{Subject: tr.client.ID, Name: tr.client.Name, Provider: "client"},
		CreatedAt: now, LastUsedAt: now, AuthTime: now, ExpiresAt: now.Add(s.opt.AccessTokenTTL),
	}
	if err := s.opt.Store.CreateGrant(r.Context(), *g, nil); err != nil {
		s.opt.Log.Error("storing grant", "err", err)
		return nil, unavailable()
	}
	s.opt.Log.Info("tokens issued", "grant_type", grantClientCredentials, "client_id", g.ClientID, "grant", g.ID, "resource", g.Resource)
	resp, oerr := s.issueTokens(tr, g, scopes, "")
	if oerr == nil {
		s.recordIssued(r, grantClientCredentials, g, scopes)
	}
	return resp, oerr
}

// machineScopes is what a client_credentials token for res may carry: the
// resource's scopes that the client's configuration lists or, when it lists
// none, those that are not sensitive. No user approves what a machine
// client receives, so a powerful scope (admin, or one the operator marked
// sensitive) takes someone with the configuration in hand naming that
// client and that scope; leaving the list out never means "everything".
func machineScopes(res *Resource, listed []string, sensitive func(string) bool) []string {
	if listed != nil {
		return intersect(res.Scopes, listed)
	}
	var out []string
	for _, sc := range res.Scopes {
		if !sensitive(sc) {
			out = append(out, sc)
		}
	}
	return out
}

// sensitive reports whether a scope is one no machine client gets unless
// it is listed for it: the admin API's scope always, and those the
// operator marked.
func (s *Server) sensitive(scope string) bool {
	return scope == admin.Scope || containsString(s.opt.SensitiveScopes, scope)
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if containsString(b, x) {
			out = append(out, x)
		}
	}
	return out
}
