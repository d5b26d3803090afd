package authserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
)

const tokenURL = hIssuer + PathToken

// dpopClient is a DPoP client on the harness's clock.
func (h *harness) dpopClient() *dpoptest.Client {
	c := dpoptest.New(h.t)
	c.Now = h.clock
	return c
}

// withProof adds a DPoP proof for the token endpoint.
func withProof(t *testing.T, r *http.Request, c *dpoptest.Client, o dpoptest.Options) *http.Request {
	r.Header.Add("DPoP", c.Proof(t, http.MethodPost, tokenURL, o))
	return r
}

// wantBound checks a token answer: token_type DPoP and an access token
// whose cnf.jkt names c's key.
func (h *harness) wantBound(tr oauth.TokenResponse, c *dpoptest.Client) {
	h.t.Helper()
	if tr.TokenType != "DPoP" {
		h.t.Errorf("token_type %q, want DPoP", tr.TokenType)
	}
	if got := h.accessClaims(tr.AccessToken, resSnippets).BoundKey(); got != c.JKT(h.t) {
		h.t.Errorf("cnf.jkt %q, want %q", got, c.JKT(h.t))
	}
}

func TestTokenDPoPCodeGrant(t *testing.T) {
	h := newHarness(t)
	c := h.dpopClient()
	code, ac := h.issueCode(nil)
	tr := tokenResponse(t, h.do(withProof(t, formRequest(PathToken, redeemForm(code, ac)), c, dpoptest.Options{})))
	h.wantBound(tr, c)
	// A public client's refresh tokens are bound to the key (RFC 9449 §5).
	if g := h.grant(ac.GrantID); g.DPoPJKT != c.JKT(t) {
		t.Errorf("grant DPoPJKT %q, want the proof's key", g.DPoPJKT)
	}
}

func TestTokenWithoutProofStaysBearer(t *testing.T) {
	h := newHarness(t)
	tr, ac := h.redeem(nil)
	if tr.TokenType != "Bearer" || h.accessClaims(tr.AccessToken, resSnippets).Confirmation != nil {
		t.Errorf("token_type %q with cnf %v, want a plain Bearer token", tr.TokenType, h.accessClaims(tr.AccessToken, resSnippets).Confirmation)
	}
	if g := h.grant(ac.GrantID); g.DPoPJKT != "" {
		t.Errorf("grant bound to %q without a proof", g.DPoPJKT)
	}
}

func TestTokenDPoPRefreshBoundForPublicClient(t *testing.T) {
	h := newHarness(t)
	c := h.dpopClient()
	code, ac := h.issueCode(nil)
	first := tokenResponse(t, h.do(withProof(t, formRequest(PathToken, redeemForm(code, ac)), c, dpoptest.Options{})))
	refresh := func(proof *dpoptest.Client) *httptest.ResponseRecorder {
		r := formRequest(PathToken, form("grant_type", grantRefreshToken, "refresh_token", first.RefreshToken, "client_id", publicApp))
		if proof != nil {
			withProof(t, r, proof, dpoptest.Options{})
		}
		return h.do(r)
	}
	// A thief with the refresh token but not the key gets nothing, and
	// the token is not spent: the refusal runs inside the rotation.
	wantAnswer(t, refresh(nil), http.StatusBadRequest, oauth.ErrInvalidGrant)
	wantAnswer(t, refresh(h.dpopClient()), http.StatusBadRequest, oauth.ErrInvalidGrant)
	rec := refresh(c)
	wantAnswer(t, rec, http.StatusOK, "")
	h.wantBound(tokenResponse(t, rec), c)
	if h.grant(ac.GrantID).Revoked() {
		t.Error("the refused refreshes revoked the grant")
	}
}

func TestTokenDPoPConfidentialClientRefreshNotBound(t *testing.T) {
	h := newHarness(t)
	c := h.dpopClient()
	code, ac := h.issueCode(func(ac *storage.AuthCode) { ac.ClientID, ac.RedirectURI = secretApp, appRedirect })
	f := redeemForm(code, ac)
	f.Del("client_id")
	tr := tokenResponse(t, h.do(withProof(t, withBasic(formRequest(PathToken, f), secretApp, secretAppKey), c, dpoptest.Options{})))
	h.wantBound(tr, c)
	if g := h.grant(ac.GrantID); g.DPoPJKT != "" {
		t.Errorf("a confidential client's grant was bound to %q; its refresh tokens are bound to its credentials", g.DPoPJKT)
	}
}

func TestTokenDPoPClientCredentials(t *testing.T) {
	h := newHarness(t)
	c := h.dpopClient()
	r := withBasic(formRequest(PathToken, form("grant_type", grantClientCredentials, "resource", resSnippets)), machine, machineKey)
	tr := tokenResponse(t, h.do(withProof(t, r, c, dpoptest.Options{})))
	h.wantBound(tr, c)
}

func TestTokenDPoPCodeBoundByDPoPJKT(t *testing.T) {
	h := newHarness(t)
	c := h.dpopClient()
	q := authorizeQuery()
	q.Set("dpop_jkt", c.JKT(t))
	code := h.authorizeCode(&browser{}, q)
	redeem := func(proof *dpoptest.Client) *httptest.ResponseRecorder {
		r := formRequest(PathToken, form("grant_type", grantAuthorizationCode, "code", code, "code_verifier", flowVerifier,
			"redirect_uri", q.Get("redirect_uri"), "client_id", publicApp))
		if proof != nil {
			withProof(t, r, proof, dpoptest.Options{})
		}
		return h.do(r)
	}
	// The code was consumed by the first refusal: a bound code is good
	// only with its key, and a stolen one is burnt by the attempt.
	wantAnswer(t, redeem(h.dpopClient()), http.StatusBadRequest, oauth.ErrInvalidGrant)

	code = h.authorizeCode(&browser{}, q)
	wantAnswer(t, redeem(nil), http.StatusBadRequest, oauth.ErrInvalidGrant)

	code = h.authorizeCode(&browser{}, q)
	rec := redeem(c)
	wantAnswer(t, rec, http.StatusOK, "")
	h.wantBound(tokenResponse(t, rec), c)
}

func TestAuthorizeRefusesMalformedDPoPJKT(t *testing.T) {
	h := newHarness(t)
	for _, bad := range []string{"short", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs=", "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs"} {
		q := authorizeQuery()
		q.Set("dpop_jkt", bad)
		loc := location(h.get(&browser{}, PathAuthorize+"?"+q.Encode()))
		if loc == nil || loc.Query().Get("error") != oauth.ErrInvalidRequest {
			t.Errorf("dpop_jkt %q: redirect %v, want error=invalid_request", bad, loc)
		}
	}
}

func TestTokenDPoPRefusesBadProofs(t *testing.T) {
	h := newHarness(t)
	c := h.dpopClient()
	replayed := c.Proof(t, http.MethodPost, tokenURL, dpoptest.Options{})
	for name, tc := range map[string]struct {
		proof []string
		desc  string
	}{
		"wrong htu":       {[]string{c.Proof(t, http.MethodPost, "https://as.example/other", dpoptest.Options{})}, dpop.ErrURL.Error()},
		"htu of the host": {[]string{c.Proof(t, http.MethodPost, "https://evil.example/token", dpoptest.Options{})}, dpop.ErrURL.Error()},
		"wrong htm":       {[]string{c.Proof(t, http.MethodGet, tokenURL, dpoptest.Options{})}, dpop.ErrMethod.Error()},
		"stale iat":       {[]string{c.Proof(t, http.MethodPost, tokenURL, dpoptest.Options{IssuedAt: h.clock().Add(-2 * time.Minute)})}, dpop.ErrTime.Error()},
		"wrong typ":       {[]string{c.Proof(t, http.MethodPost, tokenURL, dpoptest.Options{Typ: "JWT"})}, dpop.ErrType.Error()},
		"two proofs":      {[]string{replayed, replayed}, dpop.ErrMultiple.Error()},
		"not a JWT":       {[]string{"nonsense"}, dpop.ErrMalformed.Error()},
	} {
		t.Run(name, func(t *testing.T) {
			code, ac := h.issueCode(nil)
			r := formRequest(PathToken, redeemForm(code, ac))
			for _, p := range tc.proof {
				r.Header.Add("DPoP", p)
			}
			rec := h.do(r)
			wantAnswer(t, rec, http.StatusBadRequest, dpop.CodeInvalidProof)
			if d := description(t, rec); d != tc.desc {
				t.Errorf("error_description %q, want %q", d, tc.desc)
			}
			// The proof is checked before the grant: the code is unspent.
			tokenResponse(t, h.do(formRequest(PathToken, redeemForm(code, ac))))
		})
	}
	t.Run("replayed", func(t *testing.T) {
		code, ac := h.issueCode(nil)
		r := formRequest(PathToken, redeemForm(code, ac))
		r.Header.Set("DPoP", replayed)
		tokenResponse(t, h.do(r))
		code, ac = h.issueCode(nil)
		r = formRequest(PathToken, redeemForm(code, ac))
		r.Header.Set("DPoP", replayed)
		rec := h.do(r)
		wantAnswer(t, rec, http.StatusBadRequest, dpop.CodeInvalidProof)
		if d := description(t, rec); d != dpop.ErrReplayed.Error() {
			t.Errorf("error_description %q, want %q", d, dpop.ErrReplayed)
		}
	})
}

func TestTokenDPoPNonce(t *testing.T) {
	var h *harness
	h = newHarness(t, func(o *Options) {
		o.DPoPNonces = &dpop.Nonces{Key: []byte("test nonce key"), Now: func() time.Time { return h.clock() }}
	})
	c := h.dpopClient()
	code, ac := h.issueCode(nil)
	rec := h.do(withProof(t, formRequest(PathToken, redeemForm(code, ac)), c, dpoptest.Options{}))
	wantAnswer(t, rec, http.StatusBadRequest, dpop.CodeUseNonce)
	nonce := rec.Header().Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	rec = h.do(withProof(t, formRequest(PathToken, redeemForm(code, ac)), c, dpoptest.Options{Nonce: nonce}))
	wantAnswer(t, rec, http.StatusOK, "")
	h.wantBound(tokenResponse(t, rec), c)
	if rec.Header().Get("DPoP-Nonce") == "" {
		t.Error("a successful answer carries no fresh nonce")
	}
	// A nonce that has rotated out is refused the same way.
	h.advance(2*dpop.DefaultNoncePeriod + time.Second)
	c.Now = h.clock
	code, ac = h.issueCode(nil)
	rec = h.do(withProof(t, formRequest(PathToken, redeemForm(code, ac)), c, dpoptest.Options{Nonce: nonce}))
	wantAnswer(t, rec, http.StatusBadRequest, dpop.CodeUseNonce)
	// Requests without DPoP are not asked for a nonce.
	tokenResponse(t, h.do(formRequest(PathToken, redeemForm(code, ac))))
}

func TestIntrospectAndRevokeBoundToken(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Introspectors = []Introspector{{ID: "backend", Secret: "backend-secret"}} })
	c := h.dpopClient()
	code, ac := h.issueCode(nil)
	tr := tokenResponse(t, h.do(withProof(t, formRequest(PathToken, redeemForm(code, ac)), c, dpoptest.Options{})))
	rec := h.do(withBasic(formRequest(PathIntrospect, form("token", tr.AccessToken)), "backend", "backend-secret"))
	var got struct {
		Active    bool              `json:"active"`
		TokenType string            `json:"token_type"`
		Cnf       map[string]string `json:"cnf"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !got.Active {
		t.Fatalf("introspection %d %s", rec.Code, rec.Body)
	}
	if got.TokenType != "DPoP" || got.Cnf["jkt"] != c.JKT(t) {
		t.Errorf("introspection token_type %q cnf %v, want DPoP and jkt %s", got.TokenType, got.Cnf, c.JKT(t))
	}
	// Revocation needs no proof (RFC 7009 authenticates the client).
	rec = h.do(formRequest(PathRevoke, form("token", tr.AccessToken, "client_id", publicApp)))
	if rec.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if !h.grant(ac.GrantID).Revoked() {
		t.Error("revoking a bound token left its grant")
	}
}

func description(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		D string `json:"error_description"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	return e.D
}
