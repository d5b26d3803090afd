package oidctest

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Microsoft Entra ID's on-behalf-of flow (learn.microsoft.com/entra/
// identity-platform/v2-oauth2-on-behalf-of-flow): a middle-tier API
// presents the access token a user's client sent it, and gets a token for
// a downstream API with the same user. The op library does not implement
// it (its jwt-bearer grant is RFC 7523's, for service accounts), so in
// Entra-like mode this provider answers it itself, checking exactly the
// form Entra ID requires:
//
//   - grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and
//     requested_token_use=on_behalf_of;
//   - client_id, and client_secret or a certificate client assertion
//     (client_assertion_type jwt-bearer), in the body: AADSTS7000218 when
//     neither is there;
//   - assertion: an access token this provider issued to that same client
//     (its audience is the middle tier), live, and carrying a scope of
//     the middle tier's own API (api://<client_id>/...), else invalid_grant
//     with AADSTS500131 or AADSTS50013;
//   - scope: the downstream API's scopes, such as api://snippets/.default;
//   - no resource (refused for every token request, see ServeHTTP).
//
// The answer is a JWT access token signed with the provider's key: iss the
// tenant issuer, aud the downstream API (the scope's resource part), sub,
// oid and tid of the user, scp, azp the middle tier, ver 2.0.
const (
	grantJWTBearer       = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	clientAssertionJWT   = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	oboAccessTokenLength = time.Hour
)

func isOBO(params url.Values) bool {
	return params.Get("grant_type") == grantJWTBearer
}

// serveOBO answers an on-behalf-of token request.
func (p *Provider) serveOBO(w http.ResponseWriter, r *http.Request, params url.Values) {
	resp, oerr := p.obo(r.Context(), params)
	if oerr != nil {
		op.RequestError(w, r, oerr, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

func missing(name string) *oidc.Error {
	return oidc.ErrInvalidRequest().WithDescription("AADSTS900144: The request body must contain the following parameter: '%s'.", name)
}

func (p *Provider) obo(ctx context.Context, params url.Values) (map[string]any, *oidc.Error) {
	for _, name := range []string{"client_id", "assertion", "scope", "requested_token_use"} {
		if params.Get(name) == "" {
			return nil, missing(name)
		}
	}
	if params.Get("requested_token_use") != "on_behalf_of" {
		return nil, oidc.ErrInvalidRequest().WithDescription("AADSTS70003: requested_token_use must be on_behalf_of")
	}
	clientID := params.Get("client_id")
	if oerr := p.authenticateOBOClient(ctx, clientID, params); oerr != nil {
		return nil, oerr
	}
	user, oerr := p.oboUser(clientID, params.Get("assertion"))
	if oerr != nil {
		return nil, oerr
	}
	scopes := strings.Fields(params.Get("scope"))
	aud, scp, oerr := p.oboTarget(scopes)
	if oerr != nil {
		return nil, oerr
	}
	return p.issueOBO(user, clientID, aud, scp)
}

// authenticateOBOClient accepts a client secret or a certificate assertion
// in the body, never both and never neither.
func (p *Provider) authenticateOBOClient(ctx context.Context, clientID string, params url.Values) *oidc.Error {
	secret, assertion := params.Get("client_secret"), params.Get("client_assertion")
	switch {
	case secret == "" && assertion == "":
		return oidc.ErrInvalidClient().WithDescription("AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	case secret != "" && assertion != "":
		return oidc.ErrInvalidRequest().WithDescription("AADSTS50027: send client_secret or client_assertion, not both")
	case secret != "":
		p.store.mu.Lock()
		c, ok := p.store.clients[clientID]
		p.store.mu.Unlock()
		if !ok || c.secret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
			return oidc.ErrInvalidClient().WithDescription("AADSTS7000215: Invalid client secret provided.")
		}
		return nil
	}
	if params.Get("client_assertion_type") != clientAssertionJWT {
		return oidc.ErrInvalidClient().WithDescription("AADSTS700021: client_assertion_type must be " + clientAssertionJWT)
	}
	// The library's verifier with this provider's certificate checks
	// (certKeySet): signature, thumbprint header, aud = token endpoint,
	// lifetime, jti replay. checkAssertionClientID has compared iss with
	// client_id already.
	if _, err := op.VerifyJWTAssertion(ctx, assertion, assertionOP{p: p}.JWTProfileVerifier(ctx)); err != nil {
		if oerr, ok := err.(*oidc.Error); ok {
			return oerr
		}
		return oidc.ErrInvalidClient().WithDescription("AADSTS700027: Client assertion failed signature validation.")
	}
	return nil
}

// oboUser checks the user's token (the assertion) and returns its user.
func (p *Provider) oboUser(clientID, assertion string) (string, *oidc.Error) {
	id := p.accessTokenID(assertion)
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	at, ok := p.store.access[id]
	switch {
	case !ok || time.Now().After(at.expires):
		return "", oidc.ErrInvalidGrant().WithDescription("AADSTS50013: Assertion failed signature validation or has expired.")
	case at.clientID != clientID:
		return "", oidc.ErrInvalidGrant().WithDescription("AADSTS500131: Assertion audience does not match the Client app presenting the assertion.")
	case !slices.ContainsFunc(at.scopes, func(s string) bool { return strings.HasPrefix(s, "api://"+clientID+"/") }):
		// A token for Microsoft Graph (what a sign-in with only openid
		// scopes gets) is not a token for the middle tier.
		return "", oidc.ErrInvalidGrant().WithDescription("AADSTS500131: Assertion audience does not match the Client app presenting the assertion.")
	}
	if p.store.interaction[at.username] {
		return "", (&oidc.Error{ErrorType: "interaction_required"}).WithDescription("AADSTS50079: Due to a configuration change made by your administrator, you must enroll in multi-factor authentication.")
	}
	return at.username, nil
}

// accessTokenID finds the ID of an access token this provider issued,
// opaque (encrypted by the library) or a JWT it signed; "" if neither.
func (p *Provider) accessTokenID(raw string) string {
	if plain, err := p.op.Crypto().Decrypt(raw); err == nil {
		id, _, _ := strings.Cut(plain, ":")
		return id
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return ""
	}
	var c jwt.Claims
	if tok.Claims(&p.store.key.priv.PublicKey, &c) != nil || c.Issuer != p.issuer {
		return ""
	}
	return c.ID
}

// oboTarget reads the downstream API from the scopes: one resource, as
// Entra ID v2 requires, with .default or named scopes.
func (p *Provider) oboTarget(scopes []string) (aud, scp string, oerr *oidc.Error) {
	var names []string
	for _, s := range scopes {
		if s == oidc.ScopeOpenID || s == oidc.ScopeProfile || s == oidc.ScopeEmail || s == oidc.ScopeOfflineAccess {
			continue
		}
		i := strings.LastIndex(s, "/")
		if i <= 0 || !strings.Contains(s, "://") {
			return "", "", oidc.ErrInvalidScope().WithDescription("AADSTS70011: The provided value for the input parameter 'scope' is not valid.")
		}
		if aud != "" && aud != s[:i] {
			return "", "", oidc.ErrInvalidScope().WithDescription("AADSTS28000: scopes for more than one resource")
		}
		aud = s[:i]
		if name := s[i+1:]; name == ".default" {
			names = append(names, "user_impersonation")
		} else {
			names = append(names, name)
		}
	}
	if aud == "" {
		return "", "", oidc.ErrInvalidScope().WithDescription("AADSTS70011: The provided value for the input parameter 'scope' is not valid.")
	}
	if len(p.store.exchangeAudiences) > 0 && !slices.Contains(p.store.exchangeAudiences, aud) {
		return "", "", oidc.ErrInvalidScope().WithDescription("AADSTS65001: The user or administrator has not consented to use the application.")
	}
	return aud, strings.Join(names, " "), nil
}

// issueOBO signs the downstream token.
func (p *Provider) issueOBO(username, clientID, aud, scp string) (map[string]any, *oidc.Error) {
	p.store.mu.Lock()
	u := p.store.users[username]
	key := p.store.key
	id := newID()
	exp := time.Now().Add(oboAccessTokenLength)
	p.store.access[id] = &accessToken{username: username, clientID: clientID, scopes: strings.Fields(scp), audience: []string{aud}, expires: exp}
	p.store.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.priv, KeyID: key.id}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, oidc.ErrServerError()
	}
	now := time.Now()
	claims := map[string]any{
		"iss": p.issuer, "aud": aud, "sub": u.subject(), "tid": p.opts.TenantID, "azp": clientID, "scp": scp,
		"ver": "2.0", "jti": id, "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(),
	}
	if u.OID != "" {
		claims["oid"] = u.OID
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return nil, oidc.ErrServerError()
	}
	return map[string]any{"token_type": "Bearer", "scope": scp, "expires_in": int(oboAccessTokenLength.Seconds()),
		"ext_expires_in": int(oboAccessTokenLength.Seconds()), "access_token": raw}, nil
}

// RequireInteraction makes on-behalf-of requests for username fail with
// interaction_required, as Entra ID answers when the downstream API needs
// multi-factor authentication the user has not done.
func (p *Provider) RequireInteraction(username string, on bool) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if p.store.interaction == nil {
		p.store.interaction = map[string]bool{}
	}
	p.store.interaction[username] = on
}
