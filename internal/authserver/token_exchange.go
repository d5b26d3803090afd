package authserver

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// Token exchange (RFC 8693) and the token types it names (§3).
const (
	grantTokenExchange    = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeIDJAG        = "urn:ietf:params:oauth:token-type:id-jag"
	tokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
	tokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
)

// IssueAudience is another authorization server that Drawbridge, as an
// enterprise IdP, issues identity assertion grants (ID-JAG) for.
type IssueAudience struct {
	// Audience is that server's issuer identifier (the grant's aud).
	Audience string
	// Resources are the canonical resource identifiers there that a grant
	// may name.
	Resources []string
	// Scopes are the most a grant may carry; none: no scope.
	Scopes []string
	// Clients map the id of a client here that may ask to its id at the
	// audience (the grant's client_id; draft §5, client ID mapping).
	Clients map[string]string
	// Lifetime is exp - iat.
	Lifetime time.Duration
}

// exchange is a token exchange request, once its parameters are read.
type exchange struct {
	aud      *IssueAudience
	resource string
	scopes   []string
}

// tokenExchangeGrant issues an Identity Assertion JWT Authorization Grant
// for another authorization server (draft-ietf-oauth-identity-assertion-
// authz-grant §4.3, token exchange at the IdP): Drawbridge is then the
// enterprise IdP that server trusts. The subject token is a refresh token
// Drawbridge issued to this client: it proves that a user signed in here
// and approved the client, and its grant is still live. It is checked as
// the refresh grant checks it (draft §4.3.2), reuse of a rotated one
// included, but neither rotated nor spent: the draft leaves rotation on
// this exchange to the IdP, and the client keeps refreshing its own tokens
// with it. Who may get a grant for which audience, resources and scopes is
// the operator's policy (Options.Issue).
func (s *Server) tokenExchangeGrant(r *http.Request, tr *tokenRequest) (*oauth.TokenResponse, *oauth.Error) {
	if oerr := checkExchangeTypes(tr); oerr != nil {
		return nil, oerr
	}
	g, oerr := s.subjectGrant(r, tr)
	if oerr != nil {
		return nil, oerr
	}
	x, oerr := s.exchangePolicy(tr)
	if oerr != nil {
		return nil, oerr
	}
	now := s.opt.Now()
	c := idjagClaims{
		Issuer: s.opt.Issuer, Subject: g.Identity.Subject, Audience: x.aud.Audience,
		ClientID: x.aud.Clients[tr.client.ID], ID: tokens.NewID(),
		IssuedAt: now.Unix(), Expiry: now.Add(x.aud.Lifetime).Unix(),
		Resource: x.resource, Scope: oauth.FormatScope(x.scopes),
		Email: g.Identity.Email, Name: g.Identity.Name, Groups: g.Identity.Groups,
	}
	if !g.AuthTime.IsZero() {
		c.AuthTime = g.AuthTime.Unix()
	}
	raw, err := s.opt.Keys.SignGrant(c)
	if err != nil {
		s.opt.Log.Error("signing an ID-JAG", "err", err)
		return nil, oauth.ServerError()
	}
	s.opt.Log.Info("identity assertion grant issued", "client_id", tr.client.ID, "grant", g.ID,
		"audience", c.Audience, "resource", c.Resource, "jti", c.ID)
	s.record(r, audit.Event{Type: audit.TokenExchanged, GrantType: grantTokenExchange, Subject: g.Identity.Subject,
		ClientID: tr.client.ID, GrantID: g.ID, Scope: c.Scope, Resource: c.Resource, Audience: c.Audience,
		AssertionID: c.ID, UserAgent: userAgent(r)})
	// RFC 8693 §2.2.1 as the draft profiles it (§4.3.3): the grant is in
	// access_token, token_type N_A since it is not an access token; scope
	// always, for it may differ from the request's; no refresh token.
	return &oauth.TokenResponse{AccessToken: raw, IssuedTokenType: tokenTypeIDJAG, TokenType: "N_A",
		ExpiresIn: int64(x.aud.Lifetime.Seconds()), Scope: c.Scope}, nil
}

// idjagClaims are the claims of an ID-JAG (draft §3): the required ones,
// and the optional ones Drawbridge knows (auth_time; email, name and groups
// as in an ID token).
type idjagClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience string   `json:"aud"`
	ClientID string   `json:"client_id"`
	ID       string   `json:"jti"`
	IssuedAt int64    `json:"iat"`
	Expiry   int64    `json:"exp"`
	Resource string   `json:"resource,omitempty"`
	Scope    string   `json:"scope,omitempty"`
	AuthTime int64    `json:"auth_time,omitempty"`
	Email    string   `json:"email,omitempty"`
	Name     string   `json:"name,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// checkExchangeTypes reads what is asked for and with what (RFC 8693
// §2.1): an ID-JAG, for a refresh token, no actor. A type Drawbridge does
// not issue or accept is invalid_request (§2.2.2).
func checkExchangeTypes(tr *tokenRequest) *oauth.Error {
	f := tr.form
	switch {
	case f.Get("requested_token_type") == "":
		return oauth.NewError(oauth.ErrInvalidRequest, "requested_token_type is required")
	case f.Get("requested_token_type") != tokenTypeIDJAG:
		return oauth.NewError(oauth.ErrInvalidRequest, "requested_token_type must be "+tokenTypeIDJAG+": the only token this server issues by token exchange")
	case f.Get("actor_token") != "" || f.Get("actor_token_type") != "":
		return oauth.NewError(oauth.ErrInvalidRequest, "actor_token is not used for identity assertion grants")
	case f.Get("subject_token_type") == tokenTypeIDToken:
		return oauth.NewError(oauth.ErrInvalidRequest, "unsupported subject_token_type: this server issues no ID tokens; send the refresh token of the user's sign-in with subject_token_type "+tokenTypeRefreshToken)
	case f.Get("subject_token_type") != tokenTypeRefreshToken:
		return oauth.NewError(oauth.ErrInvalidRequest, "unsupported subject_token_type: it must be "+tokenTypeRefreshToken)
	case f.Get("subject_token") == "":
		return oauth.NewError(oauth.ErrInvalidRequest, "subject_token is required")
	}
	return nil
}

// subjectGrant is the live grant of the subject token, a refresh token of
// this client. It is inspected, not rotated (storage.Rotation.Inspect), by
// the one rule of rotation: a current token is good, a replayed one is
// reuse and revokes its grant, exactly as at the refresh grant.
func (s *Server) subjectGrant(r *http.Request, tr *tokenRequest) (storage.Grant, *oauth.Error) {
	var refusal *oauth.Error
	g, err := s.opt.Store.RotateRefreshToken(r.Context(), storage.Rotation{
		OldHash: tokens.Hash(tr.form.Get("subject_token")), Now: s.opt.Now(), Grace: s.opt.RefreshReuseGrace,
		Inspect: true,
		Check: func(g storage.Grant) error {
			if refusal = checkSubjectGrant(&g, tr); refusal != nil {
				return refusal
			}
			return nil
		},
	})
	if refusal != nil {
		return g, refusal
	}
	return g, s.rotationRefusal(r, tr, g, err)
}

// checkSubjectGrant: the refresh token must have been issued to the client
// that presents it (draft §4.3.2) and, when bound to a DPoP key, come with
// a proof of that key, as at the refresh grant.
func checkSubjectGrant(g *storage.Grant, tr *tokenRequest) *oauth.Error {
	switch {
	case g.ClientID != tr.client.ID:
		return oauth.NewError(oauth.ErrInvalidGrant, "the subject token was issued to another client")
	case g.DPoPJKT != "" && g.DPoPJKT != tr.jkt:
		return oauth.NewError(oauth.ErrInvalidGrant, "the subject token is bound to a DPoP key: send a DPoP proof signed with it")
	}
	return nil
}

// exchangePolicy applies the operator's policy: the audience must be
// listed (else invalid_target, RFC 8693 §2.2.2), the client listed for it
// (unauthorized_client), the resource one it may grant (invalid_target;
// without one, the only one), and the scopes are what was asked for within
// what it may grant (none left: invalid_scope).
func (s *Server) exchangePolicy(tr *tokenRequest) (*exchange, *oauth.Error) {
	name := tr.form.Get("audience")
	if name == "" {
		return nil, oauth.NewError(oauth.ErrInvalidRequest, "audience is required: the issuer of the authorization server the grant is for")
	}
	aud, ok := s.issue[name]
	if !ok {
		return nil, oauth.NewError(oauth.ErrInvalidTarget, "this server issues no identity assertion grants for that audience")
	}
	if _, ok := aud.Clients[tr.client.ID]; !ok {
		return nil, oauth.NewError(oauth.ErrUnauthorizedClient, "this client may not request identity assertion grants for that audience")
	}
	x := &exchange{aud: aud}
	var oerr *oauth.Error
	if x.resource, oerr = exchangeResource(tr, aud); oerr != nil {
		return nil, oerr
	}
	requested, oerr := parseOptionalScope(tr.form.Get("scope"))
	switch {
	case oerr != nil:
		return nil, oerr
	case requested == nil:
		x.scopes = aud.Scopes
	default:
		if x.scopes = intersect(requested, aud.Scopes); len(x.scopes) == 0 {
			return nil, oauth.NewError(oauth.ErrInvalidScope, "none of the requested scopes may be granted for that audience")
		}
	}
	return x, nil
}

// exchangeResource is the resource the grant names: the one asked for, if
// the audience's list has it, or the only one. With several and none
// asked for, the request is refused rather than the grant left without a
// resource, which the other server could read as any of its resources.
func exchangeResource(tr *tokenRequest, aud *IssueAudience) (string, *oauth.Error) {
	q := tr.form.Get("resource")
	if q == "" {
		if len(aud.Resources) != 1 {
			return "", oauth.NewError(oauth.ErrInvalidTarget, "resource is required: several resources may be granted for that audience")
		}
		return aud.Resources[0], nil
	}
	canon, err := oauth.CanonicalResource(q)
	if err != nil || !containsString(aud.Resources, canon) {
		return "", oauth.NewError(oauth.ErrInvalidTarget, "that resource may not be granted for that audience")
	}
	return canon, nil
}

// newIssue indexes the audiences by issuer. Drawbridge's own issuer is
// refused: an IdP must not redeem the grants it issued (draft §8,
// cross-domain use).
func newIssue(issuer string, list []IssueAudience) (map[string]*IssueAudience, error) {
	out := map[string]*IssueAudience{}
	for i := range list {
		a := list[i]
		a.Resources = slices.Clone(a.Resources)
		switch {
		case a.Audience == "" || a.Audience == issuer:
			return nil, fmt.Errorf("authserver: issue audience %q: not another authorization server", a.Audience)
		case a.Lifetime <= 0 || len(a.Resources) == 0 || len(a.Clients) == 0:
			return nil, fmt.Errorf("authserver: issue audience %q: lifetime, resources and clients are required", a.Audience)
		}
		for j, r := range a.Resources {
			canon, err := oauth.CanonicalResource(r)
			if err != nil {
				return nil, fmt.Errorf("authserver: issue audience %q: resource %q: %w", a.Audience, r, err)
			}
			a.Resources[j] = canon
		}
		out[a.Audience] = &a
	}
	return out, nil
}
