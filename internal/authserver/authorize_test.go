package authserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// TestAuthorize: the authorization endpoint (OAuth 2.1 §4.1.1). A request
// whose client or redirect URI cannot be trusted gets a page and is never
// redirected (AS4, §4.1.2.1: that would be an open redirect); any other
// error goes back to the redirect URI with error, state and iss (RFC
// 9207, AS7); a good request is stored and sent to sign in. Each row
// changes one thing in a valid request of public-app (authorizeQuery).
func TestAuthorize(t *testing.T) {
	h := newHarness(t)
	set := func(kv ...string) func(url.Values) {
		return func(q url.Values) {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "" {
					q.Del(kv[i])
				} else {
					q.Set(kv[i], kv[i+1])
				}
			}
		}
	}
	add := func(name, value string) func(url.Values) { return func(q url.Values) { q.Add(name, value) } }
	tests := []struct {
		rule   string
		q      func(url.Values)
		method string // GET unless set
		// page is the status of an error page (no redirect); err the error
		// sent to the redirect URI; neither: on to sign-in.
		page int
		err  string
		// For requests that go on: what is stored, when it is not simply
		// the request's.
		resource string
		scopes   []string
	}{
		{rule: "control: a valid request goes on to sign-in"},
		{rule: "OAuth 2.1 §4.1.1: POST as well as GET", method: http.MethodPost},
		{rule: "OAuth 2.1 §4.1.1: other methods are refused with a page", method: http.MethodPut, page: 405},

		// The client and its redirect URI: pages.
		{rule: "an unknown client gets a page", q: set("client_id", "nobody"), page: 400},
		{rule: "a missing client_id gets a page", q: set("client_id", ""), page: 400},
		{rule: "AS4: a missing redirect_uri gets a page", q: set("redirect_uri", ""), page: 400},
		{rule: "AS4: an unregistered host gets a page, never a redirect", q: set("redirect_uri", "https://evil.example/cb"), page: 400},
		{rule: "AS4: exact match: another path", q: set("redirect_uri", "https://app.example/cb2"), page: 400},
		{rule: "AS4: exact match: an added query", q: set("redirect_uri", appRedirect+"?next=x"), page: 400},
		{rule: "AS4: exact match: a trailing slash", q: set("redirect_uri", appRedirect+"/"), page: 400},
		{rule: "AS4: exact match: another port on https", q: set("redirect_uri", "https://app.example:8443/cb"), page: 400},
		{rule: "AS4: exact match: a fragment", q: set("redirect_uri", "http://127.0.0.1:5000/cb#x"), page: 400},
		{rule: "RFC 8252 §7.3: loopback, but another path", q: set("redirect_uri", "http://127.0.0.1:5000/other"), page: 400},
		{rule: "RFC 8252 §7.3: loopback, but https is not the registered scheme", q: set("redirect_uri", "https://127.0.0.1:5000/cb"), page: 400},
		{rule: "RFC 8252 §7.3: loopback, but another loopback address", q: set("redirect_uri", "http://127.0.0.2:5000/cb"), page: 400},
		{rule: "RFC 8252 §7.3: loopback, but with user information", q: set("redirect_uri", "http://u@127.0.0.1:5000/cb"), page: 400},
		{rule: "RFC 8252 §8.3: any port only for IP literals, not the name localhost", q: set("redirect_uri", "http://localhost:9999/cb"), page: 400},
		{rule: "OAuth 2.1 §3.1: a repeated redirect_uri gets a page", q: add("redirect_uri", appRedirect), page: 400},
		{rule: "OAuth 2.1 §3.1: a repeated client_id gets a page", q: add("client_id", publicApp), page: 400},
		{rule: "OAuth 2.1 §3.1: a repeated state gets a page", q: add("state", "other"), page: 400},

		// Redirect URIs that match.
		{rule: "RFC 8252 §7.3: any port on the IPv4 loopback literal", q: set("redirect_uri", "http://127.0.0.1:61234/cb")},
		{rule: "RFC 8252 §7.3: any port on the IPv6 loopback literal", q: set("redirect_uri", "http://[::1]:61234/cb")},
		{rule: "RFC 8252 §7.3: the loopback URI as registered, without a port", q: set("redirect_uri", publicRedirect)},
		{rule: "AS4: an https URI as registered", q: set("redirect_uri", appRedirect)},
		{rule: "AS4: localhost exactly as registered", q: set("redirect_uri", "http://localhost:8080/cb")},

		// Everything else: back to the client.
		{rule: "OAuth 2.1 §4.1.1: response_type must be code", q: set("response_type", "token"), err: oauth.ErrUnsupportedResponseType},
		{rule: "OAuth 2.1 §4.1.1: response_type is required", q: set("response_type", ""), err: oauth.ErrUnsupportedResponseType},
		{rule: "OAuth 2.1 §4.1.1: no hybrid response types", q: set("response_type", "code id_token"), err: oauth.ErrUnsupportedResponseType},
		{rule: "AS2: code_challenge is required", q: set("code_challenge", ""), err: oauth.ErrInvalidRequest},
		{rule: "AS2: plain is refused", q: set("code_challenge_method", "plain"), err: oauth.ErrInvalidRequest},
		{rule: "AS2: no method means plain (RFC 7636 §4.3), refused", q: set("code_challenge_method", ""), err: oauth.ErrInvalidRequest},
		{rule: "RFC 7636 §4.2: an S256 challenge is 43 characters of base64url", q: set("code_challenge", "short"), err: oauth.ErrInvalidRequest},
		{rule: "AS3: an unknown resource is invalid_target", q: set("resource", "https://mcp.example/other"), err: oauth.ErrInvalidTarget},
		{rule: "AS3: a resource with a fragment is invalid_target", q: set("resource", resSnippets+"#x"), err: oauth.ErrInvalidTarget},
		{rule: "AS3: no resource while several MCP servers could be meant is invalid_target", q: set("resource", ""), err: oauth.ErrInvalidTarget},
		{rule: "AS3: one resource at a time", q: add("resource", resFiles), err: oauth.ErrInvalidTarget},
		{rule: "RFC 6749 §3.3: a malformed scope is invalid_scope", q: set("scope", `snippets "x"`), err: oauth.ErrInvalidScope},
		{rule: "state is bounded (2048 bytes)", q: set("state", strings.Repeat("s", 2049)), err: oauth.ErrInvalidRequest},
		{rule: "state must be storable text (no NUL)", q: set("state", "a\x00b"), err: oauth.ErrInvalidRequest},
		{rule: "RFC 6749 §4.1.2.1: a client not registered for the code grant is unauthorized_client",
			q: set("client_id", machine, "redirect_uri", "https://machine.example/cb"), err: oauth.ErrUnauthorizedClient},
		{rule: "RFC 6749 §4.1.2.1: without state, the error carries none", q: set("state", "", "response_type", "token"), err: oauth.ErrUnsupportedResponseType},

		// What is stored.
		{rule: "RFC 8707 §2: the resource is stored in canonical form", q: set("resource", "HTTPS://MCP.EXAMPLE:443/snippets/"), resource: resSnippets},
		{rule: "RFC 6749 §3.3: scopes the resource does not know are dropped", q: set("scope", "snippets other:thing"), scopes: []string{"snippets"}},
		{rule: "RFC 6749 §3.3: no scope means the resource's scopes", q: set("scope", ""), scopes: []string{"snippets", "deploy"}},
		{rule: "a step-up scope may be asked for", q: set("scope", "snippets:delete"), scopes: []string{"snippets:delete"}},
		{rule: "AS3: another server's scopes are not this one's", q: set("resource", resFiles, "scope", "snippets files"), resource: resFiles, scopes: []string{"files"}},
		{rule: "the state is optional", q: set("state", "")},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			q := authorizeQuery()
			if tt.q != nil {
				tt.q(q)
			}
			var r *http.Request
			switch tt.method {
			case "", http.MethodGet:
				r = httptest.NewRequest(http.MethodGet, PathAuthorize+"?"+q.Encode(), nil)
			default:
				r = httptest.NewRequest(tt.method, PathAuthorize, strings.NewReader(q.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			rec := h.do(r)
			loc := location(rec)
			switch {
			case tt.page != 0:
				if rec.Code != tt.page || loc != nil || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
					t.Errorf("%d to %v (%s), want a %d page and no redirect", rec.Code, loc, rec.Header().Get("Content-Type"), tt.page)
				}
			case tt.err != "":
				wantErrorRedirect(t, rec, q, tt.err)
			default:
				wantSignIn(t, h, rec, q, tt.resource, tt.scopes)
			}
		})
	}
}

// wantErrorRedirect: the error goes back to the client's redirect URI with
// the request's state and this server's iss (RFC 6749 §4.1.2.1, RFC 9207),
// and no code.
func wantErrorRedirect(t *testing.T, rec *httptest.ResponseRecorder, q url.Values, code string) {
	t.Helper()
	loc := location(rec)
	if rec.Code != http.StatusSeeOther || loc == nil {
		t.Fatalf("%d, want a redirect with error %s\n%s", rec.Code, code, rec.Body)
	}
	back := loc.Query()
	if withoutQuery(loc) != q.Get("redirect_uri") {
		t.Errorf("redirected to %s, want the request's redirect_uri %s", loc, q.Get("redirect_uri"))
	}
	if back.Get("error") != code || back.Get("iss") != hIssuer || back.Get("code") != "" {
		t.Errorf("error %q, iss %q, code %q; want %s, %s and no code", back.Get("error"), back.Get("iss"), back.Get("code"), code, hIssuer)
	}
	if !slices.Equal(back["state"], q["state"]) {
		t.Errorf("state %q, want the request's %q", back["state"], q["state"])
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q: an authorization response must not be cached", rec.Header().Get("Cache-Control"))
	}
}

// wantSignIn: the request is stored as asked, bound to the browser that
// sent it, and the browser goes to sign in.
func wantSignIn(t *testing.T, h *harness, rec *httptest.ResponseRecorder, q url.Values, resource string, scopes []string) {
	t.Helper()
	loc := location(rec)
	if rec.Code != http.StatusSeeOther || loc == nil || loc.Path != PathLogin {
		t.Fatalf("%d to %v, want the sign-in page\n%s", rec.Code, loc, rec.Body)
	}
	ar, err := h.store.GetAuthRequest(t.Context(), loc.Query().Get("req"), h.clock())
	if err != nil {
		t.Fatal(err)
	}
	if resource == "" {
		resource = q.Get("resource")
	}
	if scopes == nil {
		scopes, _ = oauth.ParseScope(q.Get("scope"))
	}
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == browserCookie {
			cookie = c.Value
		}
	}
	if ar.ClientID != q.Get("client_id") || ar.RedirectURI != q.Get("redirect_uri") || ar.State != q.Get("state") ||
		ar.CodeChallenge != q.Get("code_challenge") || ar.Resource != resource || !slices.Equal(ar.Scopes, scopes) {
		t.Errorf("stored %+v; want the request's client, redirect URI, state and challenge, resource %s, scopes %v", ar, resource, scopes)
	}
	if cookie == "" || ar.BrowserHash != tokens.Hash(cookie) {
		t.Error("the request is not bound to the browser's cookie")
	}
}

// TestAuthorizeDefaultResource: a request that names no resource means the
// only MCP server, when there is one (AS3: the conformance suite sends
// none); the admin API, which must always be named, does not count.
func TestAuthorizeDefaultResource(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.Resources = slices.DeleteFunc(o.Resources, func(r Resource) bool { return r.URL == resFiles })
	})
	q := authorizeQuery()
	q.Del("resource")
	rec := h.get(&browser{}, PathAuthorize+"?"+q.Encode())
	wantSignIn(t, h, rec, q, resSnippets, []string{"snippets", scopeOfflineAccess})
}

// TestAuthorizationCodeFlow: the pieces fit: authorize, sign in, consent,
// code, token. The access token is for the resource asked for (AS3), and
// the code redirect carries state and iss (AS7).
func TestAuthorizationCodeFlow(t *testing.T) {
	h := newHarness(t)
	q := authorizeQuery()
	code := h.authorizeCode(&browser{}, q)
	rec := h.do(formRequest(PathToken, form("grant_type", grantAuthorizationCode, "code", code, "code_verifier", flowVerifier,
		"redirect_uri", q.Get("redirect_uri"), "client_id", publicApp, "resource", resSnippets)))
	wantAnswer(t, rec, http.StatusOK, "")
	resp := tokenResponse(t, rec)
	c := h.accessClaims(resp.AccessToken, resSnippets)
	if c.Subject != aliceSubject || c.Email != "alice@example.com" || c.Scope != "snippets offline_access" || resp.RefreshToken == "" {
		t.Errorf("claims %+v, answer %+v", c, resp)
	}
	if _, err := h.verifier.Verify(t.Context(), resp.AccessToken, resFiles); err == nil {
		t.Error("RFC 8707: the token is accepted by another resource")
	}
}
