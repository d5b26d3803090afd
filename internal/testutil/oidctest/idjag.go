package oidctest

import (
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

// An enterprise IdP's half of MCP's enterprise-managed authorization
// (SEP-990; draft-ietf-oauth-identity-assertion-authz-grant §4): a client
// exchanges the ID token of a user's sign-in (RFC 8693 token exchange,
// subject_token_type id_token) for an Identity Assertion JWT Authorization
// Grant (requested_token_type id-jag) naming another authorization server
// (audience) and its resource. The op library's token exchange issues only
// access, refresh and ID tokens, so this provider answers these requests
// itself, checking:
//
//   - the client: client_secret in the body or HTTP Basic;
//   - subject_token: an ID token this provider issued to that client,
//     unexpired;
//   - audience and resource present (ExchangeAudiences, if set, limits
//     audience).
//
// The ID-JAG is signed with the provider's key (typ oauth-id-jag+jwt): iss,
// sub, aud the audience, client_id (the client's id at the audience, see
// SetIDJAGClient), jti, iat, exp (5 minutes), resource, scope, and the
// user's email, name, groups and oid.
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeIDJAG     = "urn:ietf:params:oauth:token-type:id-jag"
	tokenTypeIDToken   = "urn:ietf:params:oauth:token-type:id_token"
	idJAGLifetime      = 5 * time.Minute
)

func isIDJAGRequest(params url.Values) bool {
	return params.Get("grant_type") == grantTokenExchange && params.Get("requested_token_type") == tokenTypeIDJAG
}

// SetIDJAGClient makes the ID-JAGs that idpClient gets for audience name
// clientID, its registration at that authorization server; default the
// same id as here.
func (p *Provider) SetIDJAGClient(idpClient, audience, clientID string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if p.store.idjagClients == nil {
		p.store.idjagClients = map[string]string{}
	}
	p.store.idjagClients[idpClient+" "+audience] = clientID
}

func (p *Provider) serveIDJAG(w http.ResponseWriter, r *http.Request, params url.Values) {
	resp, oerr := p.idJAG(r, params)
	if oerr != nil {
		op.RequestError(w, r, oerr, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

func (p *Provider) idJAG(r *http.Request, f url.Values) (map[string]any, *oidc.Error) {
	clientID, oerr := p.idJAGClient(r, f)
	if oerr != nil {
		return nil, oerr
	}
	aud, resource := f.Get("audience"), f.Get("resource")
	switch {
	case f.Get("subject_token_type") != tokenTypeIDToken:
		return nil, oidc.ErrInvalidRequest().WithDescription("subject_token_type must be " + tokenTypeIDToken)
	case aud == "" || resource == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("audience and resource are required")
	case len(p.store.exchangeAudiences) > 0 && !slices.Contains(p.store.exchangeAudiences, aud):
		return nil, oidc.ErrInvalidTarget().WithDescription("this audience may not be requested")
	}
	sub, oerr := p.idTokenSubject(f.Get("subject_token"), clientID)
	if oerr != nil {
		return nil, oerr
	}
	return p.signIDJAG(sub, clientID, aud, resource, f.Get("scope"))
}

// idJAGClient authenticates the client with its secret.
func (p *Provider) idJAGClient(r *http.Request, f url.Values) (string, *oidc.Error) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	p.store.mu.Lock()
	c, found := p.store.clients[id]
	p.store.mu.Unlock()
	if !found || c.secret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return "", oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return id, nil
}

// idTokenSubject checks an ID token this provider issued to clientID and
// returns its sub.
func (p *Provider) idTokenSubject(raw, clientID string) (string, *oidc.Error) {
	bad := oidc.ErrInvalidGrant().WithDescription("subject_token is not a valid ID token issued to this client")
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "", bad
	}
	var c jwt.Claims
	if tok.Claims(&p.store.key.priv.PublicKey, &c) != nil || c.Issuer != p.issuer || !c.Audience.Contains(clientID) ||
		c.ValidateWithLeeway(jwt.Expected{Time: time.Now()}, time.Second) != nil {
		return "", bad
	}
	return c.Subject, nil
}

func (p *Provider) signIDJAG(sub, clientID, aud, resource, scope string) (map[string]any, *oidc.Error) {
	p.store.mu.Lock()
	var u User
	for _, x := range p.store.users {
		if x.subject() == sub {
			u = x
		}
	}
	key := p.store.key
	if mapped := p.store.idjagClients[clientID+" "+aud]; mapped != "" {
		clientID = mapped
	}
	p.store.mu.Unlock()
	now := time.Now()
	claims := map[string]any{
		"iss": p.issuer, "sub": sub, "aud": aud, "client_id": clientID, "jti": newID(),
		"iat": now.Unix(), "exp": now.Add(idJAGLifetime).Unix(), "resource": resource,
	}
	if scope != "" {
		claims["scope"] = strings.Join(strings.Fields(scope), " ")
	}
	for k, v := range map[string]string{"email": u.Email, "name": u.Name, "oid": u.OID} {
		if v != "" {
			claims[k] = v
		}
	}
	if len(u.Groups) > 0 {
		claims["groups"] = slices.Clone(u.Groups)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.priv, KeyID: key.id}},
		(&jose.SignerOptions{}).WithType("oauth-id-jag+jwt"))
	if err != nil {
		return nil, oidc.ErrServerError()
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return nil, oidc.ErrServerError()
	}
	resp := map[string]any{"access_token": raw, "issued_token_type": tokenTypeIDJAG, "token_type": "N_A",
		"expires_in": int(idJAGLifetime.Seconds())}
	if scope != "" {
		resp["scope"] = claims["scope"]
	}
	return resp, nil
}
