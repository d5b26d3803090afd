package authserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/idjag"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// The enterprise side of the harness: an IdP whose keys are served at a
// jwks_uri, and the clients that may redeem its grants.
const (
	entAgent    = "agent"
	entAgentKey = "agent-secret-of-some-length"
	entOther    = "other-agent" // configured, confidential, not listed by the IdP
	entOtherKey = "other-agent-secret-of-some"
	entPublic   = "public-agent"                         // public, listed by the IdP
	entSubject  = "0f5c1a6e-8d1b-4a8e-9d5e-2b3c4d5e6f70" // an Entra object id
)

// enterprise is a test enterprise IdP: it signs ID-JAGs with key, and
// publishes key's public half (only) at its jwks_uri.
type enterprise struct {
	issuer string
	key    *ecdsa.PrivateKey
	jwks   *httptest.Server
}

func newEnterprise(t *testing.T) *enterprise {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &enterprise{issuer: "https://idp.example/tenant", key: key}
	e.jwks = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "idp-1", Algorithm: "ES256", Use: "sig"}}})
	}))
	t.Cleanup(e.jwks.Close)
	return e
}

// withEnterprise trusts e for agent, for the snippets server's snippets
// scope, with the user named by oid as Entra sign-ins are.
func withEnterprise(e *enterprise) func(*Options) {
	return func(o *Options) {
		o.Clients = append(o.Clients,
			ConfigClient{ID: entAgent, Secret: entAgentKey, Name: "Agent", GrantTypes: []string{grantJWTBearer}},
			ConfigClient{ID: entOther, Secret: entOtherKey, Name: "Other agent", GrantTypes: []string{grantJWTBearer}},
			ConfigClient{ID: entPublic, Name: "Public agent", GrantTypes: []string{grantJWTBearer}})
		o.Enterprise = []idjag.Issuer{{Issuer: e.issuer, JWKSURI: e.jwks.URL, Clients: []string{entAgent, entPublic, secretApp},
			Resources: []string{resSnippets}, Scopes: []string{"snippets"},
			Claims: idjag.Claims{Subject: "oid", Email: "email", Name: "name", Groups: "groups", Roles: "roles"}}}
	}
}

// idJAG is a valid ID-JAG for agent and the snippets server, as the IdP
// issues it now; edit changes the claims first.
func (h *harness) idJAG(e *enterprise, edit func(map[string]any)) string {
	h.t.Helper()
	now := h.clock()
	c := map[string]any{
		"iss": e.issuer, "sub": "pairwise-sub", "oid": entSubject, "aud": hIssuer, "client_id": entAgent,
		"jti": tokens.NewID(), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"resource": resSnippets, "scope": "snippets", "email": "bob@example.com", "groups": []string{"engineering"},
		"roles": []string{"Snippets.Reader", "engineering"},
	}
	if edit != nil {
		edit(c)
	}
	return signIDJAG(h.t, e.key, "idp-1", idjag.TokenType, c)
}

func signIDJAG(t *testing.T, key *ecdsa.PrivateKey, kid, typ string, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

const onlyConfigured = "only confidential clients configured by the operator for the jwt-bearer grant may redeem an identity assertion grant"

func jwtBearer(id, secret, assertion string, kv ...string) *http.Request {
	return withBasic(formRequest(PathToken, form(append([]string{"grant_type", idjag.GrantType, "assertion", assertion}, kv...)...)), id, secret)
}

// TestJWTBearerGrant: a trusted IdP's ID-JAG, presented by the client it
// was issued to, gets an access token for the user it names, for the
// server and scopes it grants, without a refresh token; the redemption is
// audited with the IdP and the assertion's id.
func TestJWTBearerGrant(t *testing.T) {
	e := newEnterprise(t)
	h := newHarness(t, withEnterprise(e))
	jti := "assertion-1"
	rec := h.do(jwtBearer(entAgent, entAgentKey, h.idJAG(e, func(c map[string]any) { c["jti"] = jti })))
	wantAnswer(t, rec, http.StatusOK, "")
	resp := tokenResponse(t, rec)
	c := h.accessClaims(resp.AccessToken, resSnippets)
	if c.Subject != entSubject || c.ClientID != entAgent || c.Scope != "snippets" || c.Email != "bob@example.com" ||
		strings.Join(c.Groups, ",") != "engineering,Snippets.Reader" || resp.TokenType != "Bearer" {
		t.Errorf("token %+v (type %s): want sub = the oid claim, client agent, scope snippets, the IdP's email, groups and roles", c, resp.TokenType)
	}
	if resp.RefreshToken != "" {
		t.Error("draft §4.4: a refresh token was issued for an ID-JAG")
	}
	if g := h.grant(c.GrantID); g.Identity.Provider != providerEnterprise || !g.ExpiresAt.Equal(h.clock().Add(accessTTL)) {
		t.Errorf("grant %+v: want an enterprise identity, as long as the token", g)
	}
	var issued *audit.Event
	for i, ev := range h.events.events {
		if ev.Type == audit.TokenIssued {
			issued = &h.events.events[i]
		}
	}
	if issued == nil || issued.IdP != e.issuer || issued.AssertionID != jti || issued.GrantType != idjag.GrantType || issued.Subject != entSubject {
		t.Errorf("audit event %+v: want the IdP, the assertion id, the grant type and the subject", issued)
	}
}

// TestJWTBearerGrantScopeAndResource: MCP EMA §7.2.1, the token carries
// the scopes both requested and granted; an assertion without a resource
// claim is for the resource parameter's server (RFC 8707).
func TestJWTBearerGrantScopeAndResource(t *testing.T) {
	e := newEnterprise(t)
	h := newHarness(t, withEnterprise(e))
	resp := tokenResponse(t, h.do(jwtBearer(entAgent, entAgentKey, h.idJAG(e, nil), "scope", "snippets files")))
	if c := h.accessClaims(resp.AccessToken, resSnippets); c.Scope != "snippets" || resp.Scope != "snippets" {
		t.Errorf("scope %q (response %q), want the intersection snippets", c.Scope, resp.Scope)
	}
	noRes := h.idJAG(e, func(c map[string]any) { delete(c, "resource") })
	resp = tokenResponse(t, h.do(jwtBearer(entAgent, entAgentKey, noRes, "resource", resSnippets)))
	h.accessClaims(resp.AccessToken, resSnippets)
}

// TestJWTBearerGrantDPoP: with a DPoP proof the token is bound to its key
// (RFC 9449 §5), as for every grant.
func TestJWTBearerGrantDPoP(t *testing.T) {
	e := newEnterprise(t)
	h := newHarness(t, withEnterprise(e))
	c := h.dpopClient()
	tr := tokenResponse(t, h.do(withProof(t, jwtBearer(entAgent, entAgentKey, h.idJAG(e, nil)), c, dpoptest.Options{})))
	h.wantBound(tr, c)
}

// TestJWTBearerGrantRefusals: every rule of the grant, broken once, with
// its exact answer; none stores a grant.
func TestJWTBearerGrantRefusals(t *testing.T) {
	e := newEnterprise(t)
	h := newHarness(t, withEnterprise(e))
	stranger := newEnterprise(t) // same issuer name, a key the real IdP never published
	set := func(k string, v any) func(map[string]any) { return func(c map[string]any) { c[k] = v } }
	agent := func(a string, kv ...string) func() *http.Request {
		return func() *http.Request { return jwtBearer(entAgent, entAgentKey, a, kv...) }
	}
	replayed := h.idJAG(e, nil)
	wantAnswer(t, h.do(jwtBearer(entAgent, entAgentKey, replayed)), http.StatusOK, "")
	tests := []struct {
		rule   string
		req    func() *http.Request
		status int
		err    string
		desc   string
	}{
		{"RFC 7523 §2.1: the assertion is required",
			agent(""), 400, oauth.ErrInvalidRequest, "assertion is required"},
		{"untrusted issuer",
			agent(h.idJAG(e, set("iss", "https://evil.example"))), 400, oauth.ErrInvalidGrant,
			"the assertion's issuer is not a trusted identity provider"},
		{"bad signature: a key the IdP never published",
			agent(signIDJAG(t, stranger.key, "idp-1", idjag.TokenType, map[string]any{"iss": e.issuer})), 400, oauth.ErrInvalidGrant,
			"the assertion's signature does not verify with the identity provider's keys"},
		{"draft §3.1: typ must be oauth-id-jag+jwt (an ID token is not a grant)",
			agent(signIDJAG(t, e.key, "idp-1", "JWT", map[string]any{"iss": e.issuer})), 400, oauth.ErrInvalidGrant,
			"the assertion is not an ID-JAG (typ must be oauth-id-jag+jwt)"},
		{"not a JWT",
			agent("not.a.jwt"), 400, oauth.ErrInvalidGrant, "the assertion is not a signed JWT with an accepted algorithm"},
		{"aud must be this server's issuer",
			agent(h.idJAG(e, set("aud", "https://other-as.example"))), 400, oauth.ErrInvalidGrant,
			"the assertion's aud must be this authorization server's issuer"},
		{"client_id must be the authenticated client",
			agent(h.idJAG(e, set("client_id", entOther))), 400, oauth.ErrInvalidGrant, "the assertion was issued to another client"},
		{"a configured client the IdP does not list",
			func() *http.Request {
				return jwtBearer(entOther, entOtherKey, h.idJAG(e, set("client_id", entOther)))
			}, 400, oauth.ErrUnauthorizedClient, "this client may not redeem grants of this identity provider"},
		{"a public client, even one the IdP lists, may not redeem",
			func() *http.Request {
				return formRequest(PathToken, form("grant_type", idjag.GrantType, "client_id", entPublic,
					"assertion", h.idJAG(e, set("client_id", entPublic))))
			}, 400, oauth.ErrUnauthorizedClient, onlyConfigured},
		{"a client the IdP lists but the operator did not give the grant",
			func() *http.Request {
				return jwtBearer(secretApp, secretAppKey, h.idJAG(e, set("client_id", secretApp)))
			}, 400, oauth.ErrUnauthorizedClient, onlyConfigured},
		{"an unconfigured client",
			func() *http.Request { return jwtBearer("nobody", "secret", h.idJAG(e, set("client_id", "nobody"))) },
			401, oauth.ErrInvalidClient, "client authentication failed"},
		{"MCP EMA §7.6.2: a resource that is not one of this server's",
			agent(h.idJAG(e, set("resource", "https://mcp.example/other"))), 400, oauth.ErrInvalidGrant,
			"the assertion's resource is not a server of this authorization server"},
		{"a server the IdP may not grant",
			agent(h.idJAG(e, set("resource", resFiles))), 400, oauth.ErrInvalidGrant,
			"this identity provider may not grant access to this server"},
		{"no resource claim and a resource parameter the IdP may not grant",
			agent(h.idJAG(e, func(c map[string]any) { delete(c, "resource") }), "resource", resFiles), 400, oauth.ErrInvalidGrant,
			"this identity provider may not grant access to this server"},
		{"no resource claim, no parameter, several servers: RFC 8707 invalid_target",
			agent(h.idJAG(e, func(c map[string]any) { delete(c, "resource") })), 400, oauth.ErrInvalidTarget, ""},
		{"a resource claim that is not one string",
			agent(h.idJAG(e, set("resource", []string{resSnippets, resFiles}))), 400, oauth.ErrInvalidGrant,
			"the assertion's resource must be one resource identifier"},
		{"a resource parameter other than the assertion's",
			agent(h.idJAG(e, nil), "resource", resFiles), 400, oauth.ErrInvalidTarget,
			"the resource parameter differs from the assertion's resource"},
		{"MCP EMA §7.6.2: a scope beyond what the IdP may grant",
			agent(h.idJAG(e, set("scope", "snippets deploy"))), 400, oauth.ErrInvalidGrant,
			"the assertion grants scopes this identity provider may not grant for this server"},
		{"MCP EMA §7.2.1: requested scopes none of which the assertion grants",
			agent(h.idJAG(e, set("scope", "snippets")), "scope", "files"), 400, oauth.ErrInvalidScope,
			"none of the requested scopes is granted by the assertion"},
		{"expired",
			agent(h.idJAG(e, set("exp", h.clock().Add(-time.Minute).Unix()))), 400, oauth.ErrInvalidGrant, "the assertion has expired"},
		{"issued in the future",
			agent(h.idJAG(e, set("iat", h.clock().Add(5*time.Minute).Unix()))), 400, oauth.ErrInvalidGrant,
			"the assertion was issued in the future"},
		{"too long a lifetime",
			agent(h.idJAG(e, set("exp", h.clock().Add(time.Hour).Unix()))), 400, oauth.ErrInvalidGrant,
			"the assertion's lifetime exceeds 10m0s"},
		{"no jti",
			agent(h.idJAG(e, func(c map[string]any) { delete(c, "jti") })), 400, oauth.ErrInvalidGrant,
			"the assertion must carry sub, exp, iat and jti"},
		{"no sub (draft §3.1), even when the user is named by another claim",
			agent(h.idJAG(e, func(c map[string]any) { delete(c, "sub") })), 400, oauth.ErrInvalidGrant,
			"the assertion must carry sub, exp, iat and jti"},
		{"RFC 7523 §3: a jti used once already",
			agent(replayed), 400, oauth.ErrInvalidGrant, "the assertion was already used"},
		{"cnf present",
			agent(h.idJAG(e, set("cnf", map[string]any{"jkt": "abc"}))), 400, oauth.ErrInvalidGrant,
			"the assertion carries cnf, which this server does not support for ID-JAGs"},
		{"authorization_details present",
			agent(h.idJAG(e, set("authorization_details", []any{map[string]any{"type": "x"}}))), 400, oauth.ErrInvalidGrant,
			"the assertion carries authorization_details, which this server does not support"},
		{"groups of the wrong type are refused, not ignored (they feed policy)",
			agent(h.idJAG(e, set("groups", []any{"eng", 7}))), 400, oauth.ErrInvalidGrant,
			"the assertion's groups claim is not a list of strings"},
		{"a subject of the wrong type",
			agent(h.idJAG(e, set("oid", 42))), 400, oauth.ErrInvalidGrant,
			"the assertion's oid claim is not a string"},
		{"no subject claim",
			agent(h.idJAG(e, func(c map[string]any) { delete(c, "oid") })), 400, oauth.ErrInvalidGrant,
			"the assertion has no oid claim to identify the user"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			before := h.grants()
			rec := h.do(tt.req())
			wantAnswer(t, rec, tt.status, tt.err)
			if tt.desc != "" && description(t, rec) != tt.desc {
				t.Errorf("error_description %q, want %q", description(t, rec), tt.desc)
			}
			if h.grants() != before {
				t.Error("a refused request stored a grant")
			}
		})
	}
}

// TestJWTBearerGrantOff: without a trusted IdP the grant does not exist
// and is not advertised; with one it is.
func TestJWTBearerGrantOff(t *testing.T) {
	e := newEnterprise(t)
	h := newHarness(t)
	wantAnswer(t, h.do(jwtBearer(secretApp, secretAppKey, "x.y.z")), 400, oauth.ErrUnsupportedGrantType)
	for _, g := range h.s.Metadata().GrantTypesSupported {
		if g == idjag.GrantType {
			t.Error("jwt-bearer advertised without a trusted IdP")
		}
	}
	if p := h.s.Metadata().AuthorizationGrantProfilesSupported; p != nil {
		t.Errorf("grant profiles %v advertised without a trusted IdP", p)
	}
	on := newHarness(t, withEnterprise(e)).s.Metadata()
	found := false
	for _, g := range on.GrantTypesSupported {
		found = found || g == idjag.GrantType
	}
	if !found || len(on.AuthorizationGrantProfilesSupported) != 1 || on.AuthorizationGrantProfilesSupported[0] != idjag.Profile {
		t.Errorf("grant types %v, profiles %v: want jwt-bearer and the id-jag profile", on.GrantTypesSupported, on.AuthorizationGrantProfilesSupported)
	}
}
