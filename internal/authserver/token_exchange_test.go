package authserver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// What the exchange tests add to the harness: two confidential clients
// allowed to exchange, and two other authorization servers Drawbridge
// issues ID-JAGs for.
const (
	xApp    = "x-app" // exchanges for chat and wiki
	xAppKey = "x-app-secret-of-some-length"
	xOther  = "x-other" // exchanges for wiki only
	xOthKey = "x-other-secret-of-some-length"

	audChat   = "https://chat.example.net"
	chatAPI   = "https://api.chat.example.net/mcp"
	chatFiles = "https://api.chat.example.net/files"
	audWiki   = "https://wiki.example.org"
	wikiAPI   = "https://wiki.example.org/api"
	chatTTL   = 4 * time.Minute
)

// exchangeHarness is the harness with the exchange configured.
func exchangeHarness(t *testing.T) *harness {
	return newHarness(t, func(o *Options) {
		grants := []string{grantAuthorizationCode, grantRefreshToken, grantTokenExchange}
		o.Clients = append(o.Clients,
			ConfigClient{ID: xApp, Secret: xAppKey, GrantTypes: grants, RedirectURIs: []string{appRedirect}},
			ConfigClient{ID: xOther, Secret: xOthKey, GrantTypes: grants, RedirectURIs: []string{appRedirect}})
		o.Issue = []IssueAudience{
			{Audience: audChat, Resources: []string{chatAPI, chatFiles}, Scopes: []string{"chat.read", "chat.history"},
				Clients: map[string]string{xApp: "x-app-at-chat", secretApp: "secret-app-at-chat"}, Lifetime: chatTTL},
			{Audience: audWiki, Resources: []string{wikiAPI}, Clients: map[string]string{xApp: "x-app-at-wiki", xOther: "x-other-at-wiki"},
				Lifetime: time.Minute},
		}
	})
}

// refreshTokenOf is alice's sign-in for client (a code redeemed with the client's
// secret): its refresh token and grant.
func (h *harness) refreshTokenOf(client, secret string) (string, string) {
	h.t.Helper()
	code, ac := h.issueCode(func(ac *storage.AuthCode) {
		ac.ClientID, ac.RedirectURI = client, appRedirect
		ac.Identity.Email, ac.Identity.Name, ac.Identity.Groups = "alice@example.com", "Alice", []string{"eng"}
	})
	resp := tokenResponse(h.t, h.do(withBasic(formRequest(PathToken, redeemForm(code, ac)), client, secret)))
	if resp.RefreshToken == "" {
		h.t.Fatal("no refresh token")
	}
	return resp.RefreshToken, ac.GrantID
}

// exchangeForm asks for an ID-JAG for chat's API with rt.
func exchangeForm(rt string) url.Values {
	return form("grant_type", grantTokenExchange, "requested_token_type", tokenTypeIDJAG,
		"subject_token", rt, "subject_token_type", tokenTypeRefreshToken,
		"audience", audChat, "resource", chatAPI, "scope", "chat.read")
}

func (h *harness) exchange(f url.Values, client, secret string) *httptest.ResponseRecorder {
	return h.do(withBasic(formRequest(PathToken, f), client, secret))
}

// TestTokenExchangeIssuesIDJAG: Drawbridge as an enterprise IdP. alice's
// refresh token of x-app becomes an ID-JAG for chat (draft-ietf-oauth-
// identity-assertion-authz-grant §3, §4.3): signed with Drawbridge's
// current key, typed oauth-id-jag+jwt, naming x-app as chat knows it. The
// refresh token is neither rotated nor spent, and the exchange is audited
// without the grant.
func TestTokenExchangeIssuesIDJAG(t *testing.T) {
	h := exchangeHarness(t)
	rt, grantID := h.refreshTokenOf(xApp, xAppKey)
	h.advance(time.Minute)
	rec := h.exchange(exchangeForm(rt), xApp, xAppKey)
	wantAnswer(t, rec, http.StatusOK, "")
	var resp map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp["issued_token_type"] != tokenTypeIDJAG || resp["token_type"] != "N_A" || resp["expires_in"] != float64(240) ||
		resp["scope"] != "chat.read" || resp["refresh_token"] != nil {
		t.Errorf("response %v: want issued_token_type id-jag, token_type N_A, expires_in 240, scope chat.read, no refresh token", resp)
	}
	raw, _ := resp["access_token"].(string)
	tok, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	hdr := tok.Signatures[0].Protected
	pub, ok := h.s.opt.Keys.PublicKey(hdr.KeyID)
	if !ok || hdr.KeyID != h.s.opt.Keys.Current() || hdr.ExtraHeaders[jose.HeaderType] != "oauth-id-jag+jwt" {
		t.Fatalf("header kid %q typ %v: want the current key, published, and oauth-id-jag+jwt", hdr.KeyID, hdr.ExtraHeaders[jose.HeaderType])
	}
	payload, err := tok.Verify(pub)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	now := h.clock()
	want := map[string]any{
		"iss": hIssuer, "sub": aliceSubject, "aud": audChat, "client_id": "x-app-at-chat", "jti": c["jti"],
		"iat": float64(now.Unix()), "exp": float64(now.Add(chatTTL).Unix()), "auth_time": float64(now.Add(-time.Minute).Unix()),
		"resource": chatAPI, "scope": "chat.read", "email": "alice@example.com", "name": "Alice", "groups": []any{"eng"},
	}
	if s, _ := c["jti"].(string); len(s) < 16 {
		t.Errorf("jti %v: want a random id", c["jti"])
	}
	if got, _ := json.Marshal(c); string(got) != mustJSON(t, want) {
		t.Errorf("claims\n%s\nwant\n%s", got, mustJSON(t, want))
	}

	// The refresh token is still current: it refreshes (and exchanges) as before.
	again := h.exchange(exchangeForm(rt), xApp, xAppKey)
	wantAnswer(t, again, http.StatusOK, "")
	refreshed := h.do(withBasic(formRequest(PathToken, form("grant_type", grantRefreshToken, "refresh_token", rt)), xApp, xAppKey))
	wantAnswer(t, refreshed, http.StatusOK, "")

	if n := h.events.count(audit.TokenExchanged); n != 2 {
		t.Fatalf("%d token.exchanged records, want 2", n)
	}
	all := h.events.since(0)
	e := all[slices.IndexFunc(all, func(e audit.Event) bool { return e.Type == audit.TokenExchanged })]
	if e.Audience != audChat || e.Resource != chatAPI || e.AssertionID != c["jti"] || e.GrantID != grantID ||
		e.ClientID != xApp || e.Subject != aliceSubject || e.Scope != "chat.read" {
		t.Errorf("audit record %+v", e)
	}
	if b, _ := json.Marshal(all); strings.Contains(string(b), raw) || strings.Contains(string(b), rt) {
		t.Error("the ID-JAG or the refresh token reached the audit trail")
	}
}

// TestTokenExchangeScopesAndResource: scopes are what was asked for
// within what the audience may be granted, all of them when none are
// asked for; a single resource is the default, several need one named.
func TestTokenExchangeScopesAndResource(t *testing.T) {
	h := exchangeHarness(t)
	rt, _ := h.refreshTokenOf(xApp, xAppKey)
	tests := []struct {
		name               string
		set                map[string]string
		wantScope, wantRes string
	}{
		{"intersection", map[string]string{"scope": "chat.history admin chat.read"}, "chat.history chat.read", chatAPI},
		{"no scope asked: all the audience allows", map[string]string{"scope": ""}, "chat.read chat.history", chatAPI},
		{"the other resource", map[string]string{"resource": chatFiles}, "chat.read", chatFiles},
		{"resource in another spelling of the same URI", map[string]string{"resource": "HTTPS://API.chat.example.net:443/mcp/"}, "chat.read", chatAPI},
		{"one resource: the default", map[string]string{"audience": audWiki, "resource": "", "scope": ""}, "", wikiAPI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := exchangeForm(rt)
			for k, v := range tt.set {
				if v == "" {
					f.Del(k)
				} else {
					f.Set(k, v)
				}
			}
			rec := h.exchange(f, xApp, xAppKey)
			wantAnswer(t, rec, http.StatusOK, "")
			resp := tokenResponse(t, rec)
			c := h.idjagClaims(resp.AccessToken)
			if resp.Scope != tt.wantScope || c["scope"] != nilIfEmpty(tt.wantScope) || c["resource"] != tt.wantRes {
				t.Errorf("scope %q (claim %v), resource %v; want %q, %q", resp.Scope, c["scope"], c["resource"], tt.wantScope, tt.wantRes)
			}
		})
	}
}

// TestTokenExchangeRefusals: every way the exchange says no, each with its
// error (RFC 8693 §2.2.2, RFC 6749 §5.2), and none of them spends the
// refresh token or revokes its grant.
func TestTokenExchangeRefusals(t *testing.T) {
	h := exchangeHarness(t)
	rt, grantID := h.refreshTokenOf(xApp, xAppKey)
	otherRT, _ := h.refreshTokenOf(xOther, xOthKey)
	secretRT, _ := h.refreshTokenOf(secretApp, secretAppKey)
	tests := []struct {
		rule           string
		client, secret string
		set            map[string]string // "" deletes
		status         int
		code           string
	}{
		{"draft §7.1: a public client is refused", publicApp, "", nil, http.StatusUnauthorized, oauth.ErrInvalidClient},
		{"a wrong secret", xApp, "wrong", nil, http.StatusUnauthorized, oauth.ErrInvalidClient},
		{"a client that did not register the grant", secretApp, secretAppKey, map[string]string{"subject_token": secretRT},
			http.StatusBadRequest, oauth.ErrUnauthorizedClient},
		{"requested_token_type missing", xApp, xAppKey, map[string]string{"requested_token_type": ""}, 400, oauth.ErrInvalidRequest},
		{"an access token asked for", xApp, xAppKey, map[string]string{"requested_token_type": "urn:ietf:params:oauth:token-type:access_token"},
			400, oauth.ErrInvalidRequest},
		{"draft §4.3.1: no actor token", xApp, xAppKey, map[string]string{"actor_token": "x", "actor_token_type": tokenTypeRefreshToken},
			400, oauth.ErrInvalidRequest},
		{"RFC 8693 §2.2.2: an ID token (Drawbridge issues none)", xApp, xAppKey, map[string]string{"subject_token_type": tokenTypeIDToken},
			400, oauth.ErrInvalidRequest},
		{"subject_token_type missing", xApp, xAppKey, map[string]string{"subject_token_type": ""}, 400, oauth.ErrInvalidRequest},
		{"subject_token missing", xApp, xAppKey, map[string]string{"subject_token": ""}, 400, oauth.ErrInvalidRequest},
		{"an unknown subject token", xApp, xAppKey, map[string]string{"subject_token": "rt_unknown"}, 400, oauth.ErrInvalidGrant},
		{"draft §4.3.2: another client's refresh token", xApp, xAppKey, map[string]string{"subject_token": otherRT},
			400, oauth.ErrInvalidGrant},
		{"audience missing", xApp, xAppKey, map[string]string{"audience": ""}, 400, oauth.ErrInvalidRequest},
		{"an audience not listed", xApp, xAppKey, map[string]string{"audience": "https://evil.example"}, 400, oauth.ErrInvalidTarget},
		{"Drawbridge itself as the audience", xApp, xAppKey, map[string]string{"audience": hIssuer}, 400, oauth.ErrInvalidTarget},
		{"two audiences", xApp, xAppKey, map[string]string{"audience": audChat + "&audience=" + audWiki}, 400, oauth.ErrInvalidRequest},
		{"a client not listed for that audience", xOther, xOthKey, map[string]string{"subject_token": otherRT},
			400, oauth.ErrUnauthorizedClient},
		{"a resource not allowed for the audience", xApp, xAppKey, map[string]string{"resource": wikiAPI}, 400, oauth.ErrInvalidTarget},
		{"a resource that is not a URI", xApp, xAppKey, map[string]string{"resource": "chat"}, 400, oauth.ErrInvalidTarget},
		{"several resources and none named", xApp, xAppKey, map[string]string{"resource": ""}, 400, oauth.ErrInvalidTarget},
		{"two resources", xApp, xAppKey, map[string]string{"resource": chatAPI + "&resource=" + chatFiles}, 400, oauth.ErrInvalidTarget},
		{"no scope in common", xApp, xAppKey, map[string]string{"scope": "admin snippets"}, 400, oauth.ErrInvalidScope},
		{"a scope on the wiki, which grants none", xApp, xAppKey, map[string]string{"audience": audWiki, "resource": wikiAPI},
			400, oauth.ErrInvalidScope},
		{"a malformed scope", xApp, xAppKey, map[string]string{"scope": "chat.read\"x"}, 400, oauth.ErrInvalidScope},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			f := exchangeForm(rt)
			for k, v := range tt.set {
				switch {
				case v == "":
					f.Del(k)
				case strings.Contains(v, "&"+k+"="):
					f[k] = strings.Split(v, "&"+k+"=")
				default:
					f.Set(k, v)
				}
			}
			r := formRequest(PathToken, f)
			if tt.secret != "" {
				r = withBasic(r, tt.client, tt.secret)
			} else {
				f.Set("client_id", tt.client)
				r = formRequest(PathToken, f)
			}
			wantAnswer(t, h.do(r), tt.status, tt.code)
		})
	}
	if g := h.grant(grantID); g.Revoked() {
		t.Fatalf("a refusal revoked the grant: %+v", g)
	}
	wantAnswer(t, h.exchange(exchangeForm(rt), xApp, xAppKey), http.StatusOK, "")
	if n := h.events.count(audit.TokenExchanged); n != 1 {
		t.Errorf("%d token.exchanged records, want the 1 success", n)
	}
}

// TestTokenExchangeLiveGrantOnly: the subject token proves a live grant.
// A revoked grant gives no ID-JAG; a rotated refresh token presented here
// is reuse exactly as at the refresh grant (the grant is revoked, the reuse
// recorded), except in its grace window, where it proves nothing and
// changes nothing: the client that lost a refresh response may still retry
// at the refresh grant.
func TestTokenExchangeLiveGrantOnly(t *testing.T) {
	h := exchangeHarness(t)
	refresh := func(rt string) *httptest.ResponseRecorder {
		return h.exchange(form("grant_type", grantRefreshToken, "refresh_token", rt), xApp, xAppKey)
	}

	t.Run("revoked grant", func(t *testing.T) {
		rt, grantID := h.refreshTokenOf(xApp, xAppKey)
		if _, err := h.store.RevokeGrant(t.Context(), grantID, "admin", h.clock()); err != nil {
			t.Fatal(err)
		}
		wantAnswer(t, h.exchange(exchangeForm(rt), xApp, xAppKey), http.StatusBadRequest, oauth.ErrInvalidGrant)
	})
	t.Run("expired refresh token", func(t *testing.T) {
		rt, _ := h.refreshTokenOf(xApp, xAppKey)
		h.advance(refreshTTL)
		wantAnswer(t, h.exchange(exchangeForm(rt), xApp, xAppKey), http.StatusBadRequest, oauth.ErrInvalidGrant)
	})
	t.Run("rotated token in its grace window", func(t *testing.T) {
		rt, grantID := h.refreshTokenOf(xApp, xAppKey)
		wantAnswer(t, refresh(rt), http.StatusOK, "")
		reuses := h.events.count(audit.RefreshReuse)
		wantAnswer(t, h.exchange(exchangeForm(rt), xApp, xAppKey), http.StatusBadRequest, oauth.ErrInvalidGrant)
		if h.grant(grantID).Revoked() || h.events.count(audit.RefreshReuse) != reuses {
			t.Fatal("a token in its grace window revoked the grant")
		}
		wantAnswer(t, refresh(rt), http.StatusOK, "") // the lost response's one retry
	})
	t.Run("rotated token after the grace: reuse", func(t *testing.T) {
		rt, grantID := h.refreshTokenOf(xApp, xAppKey)
		next := tokenResponse(t, refresh(rt)).RefreshToken
		h.advance(reuseGrace)
		reuses := h.events.count(audit.RefreshReuse)
		rec := h.exchange(exchangeForm(rt), xApp, xAppKey)
		wantAnswer(t, rec, http.StatusBadRequest, oauth.ErrInvalidGrant)
		if !strings.Contains(rec.Body.String(), "the grant has been revoked") {
			t.Errorf("answer %s: want the refresh grant's reuse answer", rec.Body)
		}
		if g := h.grant(grantID); !g.Revoked() || g.RevokeReason != "refresh_token_reuse" || !h.revoked.IsRevoked(grantID) {
			t.Errorf("grant %+v: want it revoked for reuse, in this replica's list too", g)
		}
		if h.events.count(audit.RefreshReuse) != reuses+1 {
			t.Error("the reuse was not recorded")
		}
		wantAnswer(t, refresh(next), http.StatusBadRequest, oauth.ErrInvalidGrant)
	})
}

// TestTokenExchangeOff: without audiences the grant is not supported and
// not advertised; with them, the metadata says what an IdP that issues
// ID-JAGs says (draft, "Authorization Server (IdP) Metadata").
func TestTokenExchangeOff(t *testing.T) {
	off := newHarness(t)
	rec := off.do(withBasic(formRequest(PathToken, exchangeForm("rt_x")), secretApp, secretAppKey))
	wantAnswer(t, rec, http.StatusBadRequest, oauth.ErrUnsupportedGrantType)
	m := off.s.Metadata()
	if slices.Contains(m.GrantTypesSupported, grantTokenExchange) || m.IdentityChainingRequestedTokenTypesSupported != nil {
		t.Errorf("metadata without audiences: %v, %v", m.GrantTypesSupported, m.IdentityChainingRequestedTokenTypesSupported)
	}
	m = exchangeHarness(t).s.Metadata()
	if !slices.Contains(m.GrantTypesSupported, grantTokenExchange) ||
		!slices.Equal(m.IdentityChainingRequestedTokenTypesSupported, []string{tokenTypeIDJAG}) {
		t.Errorf("metadata with audiences: %v, %v", m.GrantTypesSupported, m.IdentityChainingRequestedTokenTypesSupported)
	}
}

// TestIssueOwnIssuerRefused: an IdP must not issue grants to itself
// (draft, cross-domain use): the server does not start so configured.
func TestIssueOwnIssuerRefused(t *testing.T) {
	_, err := New(Options{Issuer: hIssuer, Resources: []Resource{{URL: resSnippets}},
		Issue: []IssueAudience{{Audience: hIssuer, Resources: []string{chatAPI}, Clients: map[string]string{xApp: "x"}, Lifetime: time.Minute}}})
	if err == nil || !strings.Contains(err.Error(), "not another authorization server") {
		t.Errorf("New with its own issuer as an audience: %v", err)
	}
}

// idjagClaims reads an ID-JAG's claims after checking its signature.
func (h *harness) idjagClaims(raw string) map[string]any {
	h.t.Helper()
	tok, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		h.t.Fatal(err)
	}
	pub, _ := h.s.opt.Keys.PublicKey(tok.Signatures[0].Protected.KeyID)
	payload, err := tok.Verify(pub)
	if err != nil {
		h.t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		h.t.Fatal(err)
	}
	return c
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTokenExchangeDebugTraceRedacts: with the OAuth debug trace on, the
// subject token (a refresh token) and an actor token appear in the log by
// their length only, as every other credential does.
func TestTokenExchangeDebugTraceRedacts(t *testing.T) {
	var logs strings.Builder
	h := newHarness(t, func(o *Options) {
		o.Debug, o.Log = true, slog.New(slog.NewTextHandler(&logs, nil))
		o.Clients = append(o.Clients, ConfigClient{ID: xApp, Secret: xAppKey, RedirectURIs: []string{appRedirect},
			GrantTypes: []string{grantAuthorizationCode, grantRefreshToken, grantTokenExchange}})
		o.Issue = []IssueAudience{{Audience: audChat, Resources: []string{chatAPI}, Scopes: []string{"chat.read"},
			Clients: map[string]string{xApp: "x"}, Lifetime: time.Minute}}
	})
	rt, _ := h.refreshTokenOf(xApp, xAppKey)
	f := exchangeForm(rt)
	f.Set("actor_token", "actor-token-secret-value")
	wantAnswer(t, h.exchange(f, xApp, xAppKey), http.StatusBadRequest, oauth.ErrInvalidRequest)
	f.Del("actor_token")
	wantAnswer(t, h.exchange(f, xApp, xAppKey), http.StatusOK, "")
	out := logs.String()
	if !strings.Contains(out, "subject_token=\"[redacted") || strings.Contains(out, rt) || strings.Contains(out, "actor-token-secret-value") {
		t.Errorf("the debug trace logged a subject or actor token:\n%s", out)
	}
}
