package authserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// A token request that passes the phase under test ends at the grant,
// which refuses this unknown refresh token with invalid_grant: that answer
// is the proof that parsing and client authentication let it through.
const unknownRefresh = "rt_unknown"

// TestTokenParse: the first phase (OAuth 2.1 §3.2.2) reads the request once
// and refuses a malformed one before anybody is authenticated; the grant
// type is checked after client authentication.
func TestTokenParse(t *testing.T) {
	h := newHarness(t)
	valid := form("grant_type", grantRefreshToken, "refresh_token", unknownRefresh, "client_id", publicApp)
	raw := func(method, target, contentType, body string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(method, target, strings.NewReader(body))
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			return r
		}
	}
	const formType = "application/x-www-form-urlencoded"
	tests := []struct {
		rule   string
		req    func() *http.Request
		status int
		err    string
	}{
		{"control: a well-formed request reaches the grant",
			raw(http.MethodPost, PathToken, formType, valid.Encode()), 400, oauth.ErrInvalidGrant},
		{"RFC 6749 §3.2: the token endpoint takes POST only",
			raw(http.MethodGet, PathToken+"?"+valid.Encode(), "", ""), 405, oauth.ErrInvalidRequest},
		{"RFC 6749 §3.2: the body is application/x-www-form-urlencoded, not JSON",
			raw(http.MethodPost, PathToken, "application/json", `{"grant_type":"refresh_token"}`), 400, oauth.ErrInvalidRequest},
		{"RFC 6749 §3.2: a body without a content type is refused",
			raw(http.MethodPost, PathToken, "", valid.Encode()), 400, oauth.ErrInvalidRequest},
		{"RFC 6749 §3.2: a charset parameter on the form type is fine",
			raw(http.MethodPost, PathToken, formType+"; charset=UTF-8", valid.Encode()), 400, oauth.ErrInvalidGrant},
		{"OAuth 2.1 §3.2.2: grant_type may not repeat",
			raw(http.MethodPost, PathToken, formType, valid.Encode()+"&grant_type=client_credentials"), 400, oauth.ErrInvalidRequest},
		{"OAuth 2.1 §3.2.2: client_id may not repeat, even with the same value",
			raw(http.MethodPost, PathToken, formType, valid.Encode()+"&client_id="+publicApp), 400, oauth.ErrInvalidRequest},
		{"OAuth 2.1 §3.2.2: a repeated parameter is refused before client authentication",
			raw(http.MethodPost, PathToken, formType, "client_id=nobody&code=a&code=b"), 400, oauth.ErrInvalidRequest},
		{"RFC 8707 §2: resource is the one parameter that may repeat; more than one is invalid_target, not a malformed request",
			raw(http.MethodPost, PathToken, formType, valid.Encode()+"&resource="+resSnippets+"&resource="+resFiles), 400, oauth.ErrInvalidTarget},
		{"the other parameters are still checked when resource repeats",
			raw(http.MethodPost, PathToken, formType, valid.Encode()+"&resource=a&resource=b&code=a&code=b"), 400, oauth.ErrInvalidRequest},
		{"RFC 6749 §3.2: parameters in the URL are refused",
			raw(http.MethodPost, PathToken+"?client_secret=x", formType, valid.Encode()), 400, oauth.ErrInvalidRequest},
		{"the body is bounded (64 KiB)",
			raw(http.MethodPost, PathToken, formType, valid.Encode()+"&pad="+strings.Repeat("a", 65<<10)), 400, oauth.ErrInvalidRequest},
		{"RFC 6749 §5.2: grant_type is required",
			raw(http.MethodPost, PathToken, formType, "client_id="+publicApp), 400, oauth.ErrInvalidRequest},
		{"RFC 6749 §5.2: an unknown grant type is unsupported_grant_type",
			raw(http.MethodPost, PathToken, formType, "grant_type=password&username=alice&password=x&client_id="+publicApp), 400, oauth.ErrUnsupportedGrantType},
		{"the grant type is looked at only after the client authenticated",
			raw(http.MethodPost, PathToken, formType, "grant_type=password&client_id=nobody"), 401, oauth.ErrInvalidClient},
		{"RFC 6749 §5.2: a client uses only the grants it registered (unauthorized_client)",
			func() *http.Request {
				return withBasic(formRequest(PathToken, form("grant_type", grantAuthorizationCode, "code", "c", "code_verifier", flowVerifier, "redirect_uri", appRedirect)), machine, machineKey)
			}, 400, oauth.ErrUnauthorizedClient},
		{"RFC 6749 §4.4: client_credentials is not for a client that did not register it",
			raw(http.MethodPost, PathToken, formType, form("grant_type", grantClientCredentials, "client_id", publicApp).Encode()), 400, oauth.ErrUnauthorizedClient},
		{"issue #13: client_credentials is only for clients the operator configured, whatever a registration says",
			raw(http.MethodPost, PathToken, formType, form("grant_type", grantClientCredentials, "client_id", dynCC).Encode()), 400, oauth.ErrUnauthorizedClient},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			before := h.grants()
			rec := h.do(tt.req())
			wantAnswer(t, rec, tt.status, tt.err)
			if h.grants() != before {
				t.Error("a refused request stored a grant")
			}
		})
	}
}

// TestTokenClientAuthentication: the second phase identifies the client
// (RFC 6749 §2.3) by exactly one method, the one it registered. Every
// request carries an unknown refresh token, so invalid_grant means the
// client was authenticated and invalid_client that it was not.
func TestTokenClientAuthentication(t *testing.T) {
	h := newHarness(t)
	expired := storage.Client{ID: "dyn-expired", Name: "x", RedirectURIs: []string{publicRedirect}, ResponseTypes: []string{"code"},
		GrantTypes: []string{grantAuthorizationCode, grantRefreshToken}, TokenEndpointAuthMethod: authSecretPost, SecretHash: tokens.Hash(dynPostKey),
		Kind: storage.ClientKindDynamic, CreatedAt: hT0.Add(-clientTTL), ExpiresAt: hT0}
	if err := h.store.CreateClient(t.Context(), expired); err != nil {
		t.Fatal(err)
	}
	refresh := func(kv ...string) *http.Request {
		return formRequest(PathToken, form(append([]string{"grant_type", grantRefreshToken, "refresh_token", unknownRefresh}, kv...)...))
	}
	withAssertion := func(a string, kv ...string) func() *http.Request {
		return func() *http.Request {
			return refresh(append([]string{"client_assertion_type", assertionTypeJWTBearer, "client_assertion", a}, kv...)...)
		}
	}
	signed := func(edit func(*jwt.Claims)) func() *http.Request {
		return func() *http.Request { return withAssertion(h.assertion(edit))() }
	}
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := func() jwt.Claims {
		return jwt.Claims{Issuer: jwtApp, Subject: jwtApp, Audience: jwt.Audience{hIssuer + PathToken}, ID: tokens.NewID(),
			Expiry: jwt.NewNumericDate(hT0.Add(time.Minute))}
	}
	tests := []struct {
		rule   string
		req    func() *http.Request
		status int
		err    string
		// challenge: a 401 to a client that used the Authorization header
		// carries WWW-Authenticate (RFC 6749 §5.2).
		challenge bool
	}{
		// none
		{"RFC 6749 §2.1: a public client names itself with client_id",
			func() *http.Request { return refresh("client_id", publicApp) }, 400, oauth.ErrInvalidGrant, false},
		{"a public client must not send a secret in the body",
			func() *http.Request { return refresh("client_id", publicApp, "client_secret", "guess") }, 401, oauth.ErrInvalidClient, false},
		{"a public client must not send a secret in Basic",
			func() *http.Request { return withBasic(refresh(), publicApp, "guess") }, 401, oauth.ErrInvalidClient, true},
		{"RFC 6749 §2.3: a confidential client must authenticate",
			func() *http.Request { return refresh("client_id", secretApp) }, 401, oauth.ErrInvalidClient, false},
		{"RFC 6749 §5.2: an unknown client is invalid_client",
			func() *http.Request { return refresh("client_id", "nobody") }, 401, oauth.ErrInvalidClient, false},
		{"RFC 6749 §5.2: a request naming no client is invalid_client",
			func() *http.Request { return refresh() }, 401, oauth.ErrInvalidClient, false},
		// client_secret_basic
		{"RFC 6749 §2.3.1: client_secret_basic, both parts form-encoded",
			func() *http.Request { return withBasic(refresh(), secretApp, secretAppKey) }, 400, oauth.ErrInvalidGrant, false},
		{"RFC 6749 §2.3.1: Basic credentials are form-decoded ('+' is a space)",
			func() *http.Request { r := refresh(); r.SetBasicAuth(secretApp, secretAppKey); return r }, 401, oauth.ErrInvalidClient, true},
		{"client_secret_basic: a wrong secret",
			func() *http.Request { return withBasic(refresh(), secretApp, "wrong") }, 401, oauth.ErrInvalidClient, true},
		{"client_secret_basic: an unknown client",
			func() *http.Request { return withBasic(refresh(), "nobody", "x") }, 401, oauth.ErrInvalidClient, true},
		{"RFC 6749 §2.3: one method only, not Basic and client_secret",
			func() *http.Request {
				return withBasic(refresh("client_secret", secretAppKey), secretApp, secretAppKey)
			}, 400, oauth.ErrInvalidRequest, false},
		{"a client_id in the body must name the client of Basic",
			func() *http.Request { return withBasic(refresh("client_id", publicApp), secretApp, secretAppKey) }, 400, oauth.ErrInvalidRequest, false},
		// client_secret_post
		{"RFC 6749 §2.3.1: a configured client may send its secret in the body",
			func() *http.Request { return refresh("client_id", secretApp, "client_secret", secretAppKey) }, 400, oauth.ErrInvalidGrant, false},
		{"client_secret_post: a wrong secret (no challenge without Authorization)",
			func() *http.Request { return refresh("client_id", secretApp, "client_secret", "wrong") }, 401, oauth.ErrInvalidClient, false},
		{"RFC 7591 §2: a registered client uses its registered method (client_secret_post)",
			func() *http.Request { return refresh("client_id", dynPost, "client_secret", dynPostKey) }, 400, oauth.ErrInvalidGrant, false},
		{"RFC 7591 §2: a registered client may not switch to another method",
			func() *http.Request { return withBasic(refresh(), dynPost, dynPostKey) }, 401, oauth.ErrInvalidClient, true},
		{"an expired registration is an unknown client",
			func() *http.Request { return refresh("client_id", expired.ID, "client_secret", dynPostKey) }, 401, oauth.ErrInvalidClient, false},
		// private_key_jwt
		{"RFC 7523 §2.2: private_key_jwt, aud the token endpoint",
			signed(nil), 400, oauth.ErrInvalidGrant, false},
		{"RFC 7523 §3: aud may be the issuer",
			signed(func(c *jwt.Claims) { c.Audience = jwt.Audience{hIssuer} }), 400, oauth.ErrInvalidGrant, false},
		{"RFC 7523 §3: a client_id in the body must name the assertion's subject",
			func() *http.Request { return withAssertion(h.assertion(nil), "client_id", publicApp)() }, 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: aud must be this server",
			signed(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example/token"} }), 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: an expired assertion",
			signed(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(hT0.Add(-time.Minute)) }), 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: an assertion without exp",
			signed(func(c *jwt.Claims) { c.Expiry = nil }), 401, oauth.ErrInvalidClient, false},
		{"an assertion valid for over 10 minutes (its jti could not be remembered)",
			signed(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(hT0.Add(11 * time.Minute)) }), 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: not before a future nbf",
			signed(func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(hT0.Add(time.Minute)) }), 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: iss must be the client",
			signed(func(c *jwt.Claims) { c.Issuer = "someone-else" }), 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: an assertion needs a jti",
			signed(func(c *jwt.Claims) { c.ID = "" }), 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: a jti is used once (replay)",
			func() *http.Request {
				a := h.assertion(nil)
				if rec := h.do(withAssertion(a)()); oauthError(t, rec) != oauth.ErrInvalidGrant {
					t.Fatalf("first use: %d %s", rec.Code, rec.Body)
				}
				return withAssertion(a)()
			}, 401, oauth.ErrInvalidClient, false},
		{"RFC 7523 §3: signed by a key the client did not register",
			withAssertion(signJWT(t, jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: otherKey, KeyID: "jwt-app-1"}}, claims())),
			401, oauth.ErrInvalidClient, false},
		{"only asymmetric algorithms: HS256 with a guessable key is refused",
			withAssertion(signJWT(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, claims())),
			401, oauth.ErrInvalidClient, false},
		{"alg none is refused",
			withAssertion(unsignedJWT(t, claims())), 401, oauth.ErrInvalidClient, false},
		{"RFC 7521 §4.2: client_assertion_type must be jwt-bearer",
			func() *http.Request {
				return refresh("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer", "client_assertion", h.assertion(nil))
			}, 401, oauth.ErrInvalidClient, false},
		{"RFC 6749 §2.3: an assertion and a secret are two methods",
			withAssertion(h.assertion(nil), "client_secret", "x"), 400, oauth.ErrInvalidRequest, false},
		{"a private_key_jwt client may not use a secret",
			func() *http.Request { return refresh("client_id", jwtApp, "client_secret", "x") }, 401, oauth.ErrInvalidClient, false},
		{"a private_key_jwt client may not go without authentication",
			func() *http.Request { return refresh("client_id", jwtApp) }, 401, oauth.ErrInvalidClient, false},
		{"a secret client may not authenticate with an assertion",
			signed(func(c *jwt.Claims) { c.Issuer, c.Subject = secretApp, secretApp }), 401, oauth.ErrInvalidClient, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			rec := h.do(tt.req())
			wantAnswer(t, rec, tt.status, tt.err)
			if got := rec.Header().Get("WWW-Authenticate") != ""; got != tt.challenge {
				t.Errorf("WWW-Authenticate %q, want one: %v", rec.Header().Get("WWW-Authenticate"), tt.challenge)
			}
		})
	}
}

// unsignedJWT is a JWT with alg none, which go-jose will not make.
func unsignedJWT(t *testing.T, claims jwt.Claims) string {
	t.Helper()
	payload := signJWT(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, claims)
	parts := strings.Split(payload, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
}
