package authserver

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/drawbridge-mcp/drawbridge/internal/idjag"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// signRawIDJAG signs payload as it is, so that a test can send JSON that
// json.Marshal never produces (duplicated members).
func signRawIDJAG(t *testing.T, key *ecdsa.PrivateKey, payload string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "idp-1"}},
		(&jose.SignerOptions{}).WithType(idjag.TokenType))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := sig.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

// TestJWTBearerGrantAttacks: what an attacker holding some signed
// assertion, or the keys of one trusted IdP, tries next.
func TestJWTBearerGrantAttacks(t *testing.T) {
	e := newEnterprise(t)
	b := newEnterprise(t) // a second trusted IdP, with its own key
	b.issuer = "https://idp-b.example"
	h := newHarness(t, withEnterprise(e), func(o *Options) {
		o.Enterprise = append(o.Enterprise, idjag.Issuer{Issuer: b.issuer, JWKSURI: b.jwks.URL, Clients: []string{entAgent},
			Resources: []string{resSnippets}, Scopes: []string{"snippets"}, Claims: idjag.Claims{Subject: "sub"}})
	})
	// dup is a payload whose iss, aud and client_id are given twice.
	dup := func(first, last string) string {
		now := h.clock()
		return fmt.Sprintf(`{"iss":%q,"sub":"s","oid":"u","jti":%q,"iat":%d,"exp":%d,"resource":%q,%s,%s}`,
			e.issuer, tokens.NewID(), now.Unix(), now.Add(5*time.Minute).Unix(), resSnippets, first, last)
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	tests := []struct {
		attack string
		req    *http.Request
		status int
		err    string
	}{
		{"aud an array holding this issuer and another audience",
			jwtBearer(entAgent, entAgentKey, h.idJAG(e, func(c map[string]any) { c["aud"] = []string{hIssuer, "https://other-as.example"} })),
			400, oauth.ErrInvalidGrant},
		{"one trusted IdP signs an assertion in another trusted IdP's name",
			jwtBearer(entAgent, entAgentKey, signIDJAG(t, b.key, "idp-1", idjag.TokenType, map[string]any{
				"iss": e.issuer, "sub": "s", "oid": "u", "aud": hIssuer, "client_id": entAgent, "jti": tokens.NewID(),
				"iat": h.clock().Unix(), "exp": h.clock().Add(5 * time.Minute).Unix(), "resource": resSnippets})),
			400, oauth.ErrInvalidGrant},
		// RFC 7519 §4: duplicated claim names are read as the last one, by
		// every check alike.
		{"duplicated aud, this issuer first",
			jwtBearer(entAgent, entAgentKey, signRawIDJAG(t, e.key, dup(`"client_id":"agent","aud":`+q(hIssuer), `"aud":"https://evil.example"`))),
			400, oauth.ErrInvalidGrant},
		{"duplicated client_id, the presenting client first",
			jwtBearer(entAgent, entAgentKey, signRawIDJAG(t, e.key, dup(`"aud":`+q(hIssuer)+`,"client_id":"agent"`, `"client_id":"other-agent"`))),
			400, oauth.ErrInvalidGrant},
		{"a listed confidential client that does not authenticate",
			formRequest(PathToken, form("grant_type", idjag.GrantType, "client_id", entAgent, "assertion", h.idJAG(e, nil))),
			401, oauth.ErrInvalidClient},
		{"a listed confidential client with a wrong secret",
			jwtBearer(entAgent, "wrong-secret-of-some-length", h.idJAG(e, nil)),
			401, oauth.ErrInvalidClient},
	}
	for _, tt := range tests {
		t.Run(tt.attack, func(t *testing.T) {
			before := h.grants()
			wantAnswer(t, h.do(tt.req), tt.status, tt.err)
			if h.grants() != before {
				t.Error("a refused request stored a grant")
			}
		})
	}
	t.Run("duplicated aud, this issuer last, is read as this issuer", func(t *testing.T) {
		rec := h.do(jwtBearer(entAgent, entAgentKey, signRawIDJAG(t, e.key, dup(`"client_id":"agent","aud":"https://evil.example"`, `"aud":`+q(hIssuer)))))
		wantAnswer(t, rec, http.StatusOK, "")
	})
}
