package authserver

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// TestCodeGrant: an authorization code is good once, before it expires,
// for the client, redirect URI, PKCE verifier and resource it was issued
// with (OAuth 2.1 §4.1.3, AS5). Each row redeems a fresh code issued to
// public-app for snippets at http://127.0.0.1:49152/cb.
func TestCodeGrant(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		rule string
		// code edits the issued code; req edits the token request.
		code   func(*storage.AuthCode)
		req    func(url.Values)
		expire bool // the clock passes the code's lifetime first
		status int
		err    string
		// refresh: a refresh token is in the answer.
		refresh bool
	}{
		{rule: "OAuth 2.1 §4.1.3: the code redeemed as issued", status: 200, refresh: true},
		{rule: "OAuth 2.1 §4.1.3: code is required",
			req: func(f url.Values) { f.Del("code") }, status: 400, err: oauth.ErrInvalidRequest},
		{rule: "OAuth 2.1 §4.1.3: code_verifier is required (PKCE)",
			req: func(f url.Values) { f.Del("code_verifier") }, status: 400, err: oauth.ErrInvalidRequest},
		{rule: "OAuth 2.1 §4.1.3: redirect_uri is required (it was in the request)",
			req: func(f url.Values) { f.Del("redirect_uri") }, status: 400, err: oauth.ErrInvalidRequest},
		{rule: "RFC 6749 §5.2: an unknown code",
			req: func(f url.Values) { f.Set("code", tokens.NewOpaque(tokens.PrefixCode)) }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "AS5: an expired code", expire: true, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "RFC 7636 §4.6: a verifier that does not match the challenge",
			req: func(f url.Values) { f.Set("code_verifier", "x"+flowVerifier[1:]) }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "AS2: plain is refused: the challenge itself as the verifier",
			req: func(f url.Values) { f.Set("code_verifier", oauth.S256Challenge(flowVerifier)) }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "AS2: plain is refused: a code whose challenge is its verifier",
			code: func(ac *storage.AuthCode) { ac.CodeChallenge = flowVerifier }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "RFC 7636 §4.1: a verifier shorter than 43 characters",
			code: func(ac *storage.AuthCode) { ac.CodeChallenge = oauth.S256Challenge(flowVerifier[:42]) },
			req:  func(f url.Values) { f.Set("code_verifier", flowVerifier[:42]) }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "OAuth 2.1 §4.1.3: redirect_uri exactly as in the request: not another loopback port",
			req: func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:50000/cb") }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "OAuth 2.1 §4.1.3: redirect_uri exactly as in the request: not another registered one",
			req: func(f url.Values) { f.Set("redirect_uri", appRedirect) }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "OAuth 2.1 §4.1.3: redirect_uri exactly as in the request: no trailing slash",
			req: func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:49152/cb/") }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "OAuth 2.1 §4.1.3: the code is bound to its client (another public client)",
			req: func(f url.Values) { f.Set("client_id", dynPublic) }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "OAuth 2.1 §4.1.3: the code is bound to its client (a confidential one)",
			req: func(f url.Values) { f.Set("client_id", secretApp); f.Set("client_secret", secretAppKey) }, status: 400, err: oauth.ErrInvalidGrant},
		{rule: "RFC 8707 §2.2: the resource of the request",
			req: func(f url.Values) { f.Set("resource", resSnippets) }, status: 200, refresh: true},
		{rule: "RFC 8707 §2.2: the resource compared in canonical form",
			req: func(f url.Values) { f.Set("resource", "HTTPS://MCP.example:443/snippets/") }, status: 200, refresh: true},
		{rule: "RFC 8707 §2.2: another resource is invalid_target",
			req: func(f url.Values) { f.Set("resource", resFiles) }, status: 400, err: oauth.ErrInvalidTarget},
		{rule: "RFC 8707 §2: resource may repeat, but one at a time is this server's limit: invalid_target",
			req: func(f url.Values) { f.Set("resource", resSnippets); f.Add("resource", resFiles) }, status: 400, err: oauth.ErrInvalidTarget},
		{rule: "RFC 8707 §2.2: a resource that is no URI is invalid_target",
			req: func(f url.Values) { f.Set("resource", "snippets") }, status: 400, err: oauth.ErrInvalidTarget},
		{rule: "MCP: no refresh token for a client without the grant that did not ask for offline_access",
			code: func(ac *storage.AuthCode) { ac.ClientID, ac.Scopes = dynPublic, []string{"snippets"} },
			req:  func(f url.Values) { f.Set("client_id", dynPublic) }, status: 200, refresh: false},
		{rule: "MCP: a refresh token for offline_access, whatever the client registered",
			code: func(ac *storage.AuthCode) { ac.ClientID = dynPublic },
			req:  func(f url.Values) { f.Set("client_id", dynPublic) }, status: 200, refresh: true},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			code, ac := h.issueCode(tt.code)
			f := redeemForm(code, ac)
			if tt.req != nil {
				tt.req(f)
			}
			if tt.expire {
				h.advance(codeTTL)
			}
			before := h.grants()
			rec := h.do(formRequest(PathToken, f))
			wantAnswer(t, rec, tt.status, tt.err)
			if tt.status != http.StatusOK {
				if h.grants() != before {
					t.Error("a refused code created a grant")
				}
				return
			}
			resp := tokenResponse(t, rec)
			if (resp.RefreshToken != "") != tt.refresh {
				t.Errorf("refresh token issued: %v, want %v", resp.RefreshToken != "", tt.refresh)
			}
			// AS3, AS5: the token carries what the code was bound to.
			c := h.accessClaims(resp.AccessToken, resSnippets)
			g := h.grant(ac.GrantID)
			if c.Subject != aliceSubject || c.ClientID != ac.ClientID || c.GrantID != ac.GrantID || c.Scope != oauth.FormatScope(ac.Scopes) ||
				resp.Scope != c.Scope || resp.TokenType != "Bearer" || g.Resource != resSnippets || !slices.Equal(g.Scopes, ac.Scopes) {
				t.Errorf("token %+v, answer %+v, grant %+v; want what the code was issued with %+v", c, resp, g, ac)
			}
		})
	}
}

// TestCodeReplay: a code presented again may have been stolen, so what its
// first redemption issued is revoked (OAuth 2.1 §4.1.3, RFC 9700 §4.5) —
// that grant only, and only when the caller proves to be the code's client
// (client, redirect URI and verifier). Anyone else learns only that the
// code is invalid and ends nothing.
func TestCodeReplay(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		rule    string
		replay  func(url.Values)
		revoked bool
	}{
		{"OAuth 2.1 §4.1.3: the code's own client replays it: its grant is revoked", nil, true},
		{"another client presenting the used code ends nothing",
			func(f url.Values) { f.Set("client_id", dynPublic) }, false},
		{"a confidential client presenting the used code ends nothing",
			func(f url.Values) { f.Set("client_id", secretApp); f.Set("client_secret", secretAppKey) }, false},
		{"a caller without the verifier ends nothing",
			func(f url.Values) { f.Set("code_verifier", "x"+flowVerifier[1:]) }, false},
		{"a caller with another redirect URI ends nothing",
			func(f url.Values) { f.Set("redirect_uri", appRedirect) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			// alice's other grants, to this client and another: untouched.
			other, _ := h.redeem(nil)
			otherClient, _ := h.redeem(func(ac *storage.AuthCode) { ac.ClientID = skipApp })
			code, ac := h.issueCode(nil)
			first := tokenResponse(t, h.do(formRequest(PathToken, redeemForm(code, ac))))
			f := redeemForm(code, ac)
			if tt.replay != nil {
				tt.replay(f)
			}
			replays := h.events.count(audit.CodeReplay)
			wantAnswer(t, h.do(formRequest(PathToken, f)), 400, oauth.ErrInvalidGrant)

			if got := h.grant(ac.GrantID).Revoked(); got != tt.revoked {
				t.Errorf("the code's grant revoked: %v, want %v", got, tt.revoked)
			}
			if got := h.revoked.IsRevoked(ac.GrantID); got != tt.revoked {
				t.Errorf("the code's grant in this replica's revocation list: %v, want %v", got, tt.revoked)
			}
			if _, err := h.verifier.Verify(t.Context(), first.AccessToken, resSnippets); (err != nil) != tt.revoked {
				t.Errorf("the first access token: %v; want it refused: %v", err, tt.revoked)
			}
			refresh := h.do(formRequest(PathToken, form("grant_type", grantRefreshToken, "refresh_token", first.RefreshToken, "client_id", publicApp)))
			if (refresh.Code != http.StatusOK) != tt.revoked {
				t.Errorf("the first refresh token: %d; want it refused: %v", refresh.Code, tt.revoked)
			}
			if got := h.events.count(audit.CodeReplay) - replays; got != map[bool]int{true: 1}[tt.revoked] {
				t.Errorf("%d code_replay audit records", got)
			}
			for _, g := range []string{h.accessClaims(other.AccessToken, resSnippets).GrantID, h.accessClaims(otherClient.AccessToken, resSnippets).GrantID} {
				if h.grant(g).Revoked() || h.revoked.IsRevoked(g) {
					t.Errorf("grant %s of the same user was revoked too", g)
				}
			}
		})
	}
}

// TestCodeRefusalUsesCodeUp: a code refused for its bindings is used up,
// as a code is presented once (OAuth 2.1 §4.1.2): the right request after
// a wrong one gets invalid_grant and no grant. The refusal and the code's
// use are one store transaction, so a refusal cannot leave the code
// unused either.
func TestCodeRefusalUsesCodeUp(t *testing.T) {
	h := newHarness(t)
	for name, wrong := range map[string]func(url.Values){
		"another verifier":     func(f url.Values) { f.Set("code_verifier", "x"+flowVerifier[1:]) },
		"another redirect URI": func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:50000/cb") },
		"another client":       func(f url.Values) { f.Set("client_id", dynPublic) },
		"another resource":     func(f url.Values) { f.Set("resource", resFiles) },
	} {
		t.Run(name, func(t *testing.T) {
			code, ac := h.issueCode(nil)
			f := redeemForm(code, ac)
			wrong(f)
			if rec := h.do(formRequest(PathToken, f)); rec.Code != http.StatusBadRequest {
				t.Fatalf("the wrong request: %d, want 400", rec.Code)
			}
			before := h.grants()
			wantAnswer(t, h.do(formRequest(PathToken, redeemForm(code, ac))), http.StatusBadRequest, oauth.ErrInvalidGrant)
			if h.grants() != before {
				t.Error("the code refused once gave a grant afterwards")
			}
		})
	}
}
