package server_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
)

const otherServer = `  - name: other
    path: /other/mcp
    upstream: http://127.0.0.1:9/mcp
    scopes: [other]
`

func wantChallenge(t *testing.T, resp *http.Response, status int, errCode string, gw *gwtest.Gateway) {
	t.Helper()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status = %d, want %d: %s", resp.StatusCode, status, b)
	}
	ch := resp.Header.Get("WWW-Authenticate")
	if !strings.Contains(ch, `resource_metadata="`+gw.URL+`/.well-known/oauth-protected-resource/mcp"`) || !strings.Contains(ch, `scope="snippets"`) {
		t.Errorf("WWW-Authenticate = %q", ch)
	}
	if errCode == "" && strings.Contains(ch, "error=") {
		t.Errorf("a request without credentials must get no error code: %q", ch)
	}
	if errCode != "" && !strings.Contains(ch, `error="`+errCode+`"`) {
		t.Errorf("WWW-Authenticate = %q, want error %q", ch, errCode)
	}
}

func TestResourceServerRejectsBadTokens(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: otherServer})
	c := gwtest.RegisterClient(t, gw, nil)
	good := c.Tokens(gwtest.User)["access_token"].(string)

	t.Run("valid token passes", func(t *testing.T) {
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+good); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("no token", func(t *testing.T) {
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, ""), http.StatusUnauthorized, "", gw)
	})
	t.Run("token in the query string", func(t *testing.T) {
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP+"?access_token="+url.QueryEscape(good), ""), http.StatusBadRequest, "invalid_request", gw)
	})
	t.Run("another scheme", func(t *testing.T) {
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, "Basic "+good), http.StatusUnauthorized, "", gw)
	})
	t.Run("tampered signature", func(t *testing.T) {
		parts := strings.Split(good, ".")
		sig := []byte(parts[2])
		sig[10] ^= 0x01
		if sig[10] == '.' {
			sig[10] = 'A'
		}
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, "Bearer "+parts[0]+"."+parts[1]+"."+string(sig)), http.StatusUnauthorized, "invalid_token", gw)
	})
	t.Run("tampered claims", func(t *testing.T) {
		parts := strings.Split(good, ".")
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		forged := strings.Replace(string(claims), "local:alice", "local:bobby", 1)
		tok := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, "Bearer "+tok), http.StatusUnauthorized, "invalid_token", gw)
	})
	t.Run("alg none", func(t *testing.T) {
		parts := strings.Split(good, ".")
		hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, "Bearer "+hdr+"."+parts[1]+"."), http.StatusUnauthorized, "invalid_token", gw)
	})
	t.Run("garbage", func(t *testing.T) {
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, "Bearer not-a-jwt"), http.StatusUnauthorized, "invalid_token", gw)
	})
	t.Run("token for another resource", func(t *testing.T) {
		v := gwtest.NewVerifier()
		p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": gw.URL + "/other/mcp", "scope": "other"}), gwtest.User, gwtest.Password, true)
		if err != nil || p.Callback == nil {
			t.Fatalf("authorize for the other resource: %v", err)
		}
		status, body := c.Redeem(p.Callback.Query().Get("code"), v)
		if status != http.StatusBadRequest || body["error"] != "invalid_target" {
			t.Fatalf("redeeming with a different resource: %d %v", status, body)
		}
		p, _ = c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": gw.URL + "/other/mcp", "scope": "other"}), gwtest.User, gwtest.Password, true)
		status, body = c.Token(url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")}, "code_verifier": {v}, "redirect_uri": {c.Redirect}})
		if status != http.StatusOK {
			t.Fatalf("token for /other/mcp: %d %v", status, body)
		}
		other := body["access_token"].(string)
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, "Bearer "+other), http.StatusUnauthorized, "invalid_token", gw)
	})
	t.Run("unknown resource at authorize", func(t *testing.T) {
		p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), map[string]string{"resource": "https://elsewhere.example/mcp"}))
		if err != nil || p.Callback == nil || p.Callback.Query().Get("error") != "invalid_target" || p.Callback.Query().Get("iss") != gw.URL {
			t.Fatalf("want a redirect with invalid_target and iss, got %v %+v", err, p)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		gw.Clock.Advance(time.Hour + 2*time.Minute)
		defer gw.Clock.Advance(-(time.Hour + 2*time.Minute))
		wantChallenge(t, gwtest.MCPCall(t, gw.MCP, "Bearer "+good), http.StatusUnauthorized, "invalid_token", gw)
	})
}

func TestInsufficientScopeGetsStepUpChallenge(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	// The client asks only for offline_access, so its token lacks "snippets".
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"scope": "offline_access"}), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatal(err)
	}
	status, body := c.Redeem(p.Callback.Query().Get("code"), v)
	if status != http.StatusOK || body["scope"] != "offline_access" {
		t.Fatalf("token: %d %v", status, body)
	}
	resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+body["access_token"].(string))
	wantChallenge(t, resp, http.StatusForbidden, "insufficient_scope", gw)
}

func TestAuthorizationCodeRules(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)

	t.Run("wrong PKCE verifier", func(t *testing.T) {
		v := gwtest.NewVerifier()
		code := c.Code(v, gwtest.User)
		status, body := c.Redeem(code, gwtest.NewVerifier())
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", status, body)
		}
		// A failed attempt burns the code.
		if status, body = c.Redeem(code, v); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("second attempt: %d %v", status, body)
		}
	})
	t.Run("plain PKCE refused", func(t *testing.T) {
		v := gwtest.NewVerifier()
		p, err := c.Browser.Get(c.AuthorizeURL(v, map[string]string{"code_challenge": v, "code_challenge_method": "plain"}))
		if err != nil || p.Callback == nil {
			t.Fatalf("want a redirect: %v", err)
		}
		q := p.Callback.Query()
		if q.Get("error") != "invalid_request" || q.Get("state") != "st-123" || q.Get("iss") != gw.URL || q.Get("code") != "" {
			t.Fatalf("redirect = %s", p.Callback)
		}
	})
	t.Run("no PKCE refused", func(t *testing.T) {
		p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), map[string]string{"code_challenge": "", "code_challenge_method": ""}))
		if err != nil || p.Callback == nil || p.Callback.Query().Get("error") != "invalid_request" {
			t.Fatalf("want invalid_request: %v %+v", err, p)
		}
	})
	t.Run("replayed code revokes the grant", func(t *testing.T) {
		v := gwtest.NewVerifier()
		code := c.Code(v, gwtest.User)
		status, first := c.Redeem(code, v)
		if status != http.StatusOK {
			t.Fatalf("first redemption: %d %v", status, first)
		}
		status, body := c.Redeem(code, v)
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("replay: %d %v", status, body)
		}
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+first["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("access token of a replayed code still works: %d", resp.StatusCode)
		}
		if status, body := c.Refresh(first["refresh_token"].(string)); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("refresh token of a replayed code still works: %d %v", status, body)
		}
	})
	t.Run("a replay that does not prove the code's client revokes nothing", func(t *testing.T) {
		v := gwtest.NewVerifier()
		code := c.Code(v, gwtest.User)
		status, first := c.Redeem(code, v)
		if status != http.StatusOK {
			t.Fatalf("first redemption: %d %v", status, first)
		}
		// Another client that holds the code, even with its verifier; and
		// the code's own (public) client_id without the verifier.
		other := gwtest.RegisterClient(t, gw, nil)
		if status, body := other.Redeem(code, v); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("replay by another client: %d %v", status, body)
		}
		if status, body := c.Redeem(code, gwtest.NewVerifier()); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("replay without the verifier: %d %v", status, body)
		}
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+first["access_token"].(string)); resp.StatusCode != http.StatusOK {
			t.Errorf("the grant's access token after the replays: %d, want 200", resp.StatusCode)
		}
		status, refreshed := c.Refresh(first["refresh_token"].(string))
		if status != http.StatusOK {
			t.Fatalf("the grant's refresh token after the replays: %d %v", status, refreshed)
		}
		// The code's client with its verifier: the replay revokes the grant.
		if status, body := c.Redeem(code, v); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("replay by the code's client: %d %v", status, body)
		}
		if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+refreshed["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the grant's access token after its client's replay: %d, want 401", resp.StatusCode)
		}
	})
	t.Run("redirect_uri must match at the token endpoint", func(t *testing.T) {
		v := gwtest.NewVerifier()
		status, body := c.Token(url.Values{"grant_type": {"authorization_code"}, "code": {c.Code(v, gwtest.User)}, "code_verifier": {v}, "redirect_uri": {"http://127.0.0.1:43211/other"}})
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("code of another client", func(t *testing.T) {
		v := gwtest.NewVerifier()
		code := c.Code(v, gwtest.User)
		other := gwtest.RegisterClient(t, gw, nil)
		status, body := other.Redeem(code, v)
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		v := gwtest.NewVerifier()
		code := c.Code(v, gwtest.User)
		gw.Clock.Advance(2 * time.Minute)
		defer gw.Clock.Advance(-2 * time.Minute)
		if status, body := c.Redeem(code, v); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("unknown grant type", func(t *testing.T) {
		if status, body := c.Token(url.Values{"grant_type": {"password"}}); status != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
			t.Fatalf("%d %v", status, body)
		}
	})
	t.Run("unknown client", func(t *testing.T) {
		bad := *c
		bad.ID = "nobody"
		if status, body := bad.Token(url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Fatalf("%d %v", status, body)
		}
	})
}

func TestUnregisteredRedirectURIShowsErrorPage(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	for _, uri := range []string{"https://attacker.example/cb", "http://127.0.0.1:43211/cb/../evil", "http://localhost:43211/cb", ""} {
		p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), map[string]string{"redirect_uri": uri}))
		if err != nil {
			t.Fatal(err)
		}
		if p.Callback != nil || p.Resp.StatusCode != http.StatusBadRequest || !strings.Contains(p.Resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("redirect_uri %q: status %d, location %v", uri, p.Resp.StatusCode, p.Callback)
		}
		if !p.Has("not redirected") {
			t.Errorf("redirect_uri %q: the page does not explain: %s", uri, p.Body)
		}
	}
	// Any port is fine for a loopback IP literal (RFC 8252 §7.3).
	p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), map[string]string{"redirect_uri": "http://127.0.0.1:5555/cb"}))
	if err != nil || p.Path() != "/login" {
		t.Fatalf("loopback redirect with another port was refused: %v %d", err, p.Resp.StatusCode)
	}
}

func TestConsent(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})

	t.Run("denied", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		p, err := c.Browser.SignInLocal(c.AuthorizeURL(gwtest.NewVerifier(), nil), gwtest.User, gwtest.Password, false)
		if err != nil || p.Callback == nil {
			t.Fatalf("%v", err)
		}
		q := p.Callback.Query()
		if q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("iss") != gw.URL || q.Get("code") != "" {
			t.Fatalf("redirect = %s", p.Callback)
		}
	})
	t.Run("CSRF token missing", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
		if err != nil {
			t.Fatal(err)
		}
		f := p.HiddenFields()
		f.Set("username", gwtest.User)
		f.Set("password", gwtest.Password)
		if p, err = c.Browser.Submit(p, "/login", f); err != nil || p.Path() != "/consent" {
			t.Fatalf("login: %v", err)
		}
		form := p.HiddenFields()
		form.Del("csrf")
		form.Set("action", "approve")
		bad, err := c.Browser.Submit(p, "/consent", form)
		if err != nil || bad.Resp.StatusCode != http.StatusForbidden || bad.Callback != nil {
			t.Fatalf("consent without CSRF: %v %d", err, bad.Resp.StatusCode)
		}
		form.Set("csrf", "forged")
		if bad, _ = c.Browser.Submit(p, "/consent", form); bad.Resp.StatusCode != http.StatusForbidden {
			t.Fatalf("consent with a forged CSRF token: %d", bad.Resp.StatusCode)
		}
		// Nothing was approved: the real form still asks, and works.
		if ok, err := c.Browser.Consent(p, true); err != nil || ok.Callback == nil || ok.Callback.Query().Get("code") == "" {
			t.Fatalf("the genuine form failed afterwards: %v", err)
		}
	})
	t.Run("another browser cannot continue the request", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		p, _ := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
		thief := browser.New(gw.URL)
		stolen, err := thief.Get(gw.URL + "/login?" + p.Resp.Request.URL.RawQuery)
		if err != nil || stolen.Resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another browser opened the login page: %v %d", err, stolen.Resp.StatusCode)
		}
	})
	t.Run("remembered, then asked again for more", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		c.Tokens(gwtest.User)
		// Same user, same client, same scopes: no consent page.
		v := gwtest.NewVerifier()
		p, err := c.Browser.Get(c.AuthorizeURL(v, nil))
		if err != nil {
			t.Fatal(err)
		}
		f := p.HiddenFields()
		f.Set("username", gwtest.User)
		f.Set("password", gwtest.Password)
		p, err = c.Browser.Submit(p, "/login", f)
		if err != nil || p.Callback == nil || p.Callback.Query().Get("code") == "" {
			t.Fatalf("consent was asked again for the same scopes: %v %s", err, p.Path())
		}
		// A new scope (offline_access) is asked for.
		p, _ = c.Browser.Get(c.AuthorizeURL(v, map[string]string{"scope": "snippets offline_access"}))
		f = p.HiddenFields()
		f.Set("username", gwtest.User)
		f.Set("password", gwtest.Password)
		p, _ = c.Browser.Submit(p, "/login", f)
		if p.Path() != "/consent" || !p.Has("offline_access") || !p.Has("Already allowed") {
			t.Fatalf("incremental consent page not shown: %s", p.Path())
		}
		// Another user of the same client is asked.
		p, _ = c.Browser.Get(c.AuthorizeURL(v, nil))
		f = p.HiddenFields()
		f.Set("username", "bob")
		f.Set("password", gwtest.Password)
		if p, _ = c.Browser.Submit(p, "/login", f); p.Path() != "/consent" {
			t.Fatalf("another user was not asked for consent: %s", p.Path())
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := gwtest.RegisterClient(t, gw, nil)
		p, _ := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
		f := p.HiddenFields()
		f.Set("username", gwtest.User)
		f.Set("password", "wrong")
		p, _ = c.Browser.Submit(p, "/login", f)
		if p.Resp.StatusCode != http.StatusUnauthorized || p.Path() != "/login" || !p.Has("not right") {
			t.Fatalf("wrong password: %d %s", p.Resp.StatusCode, p.Path())
		}
	})
}

func TestRefreshTokenRotation(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	first := c.Tokens(gwtest.User)
	rt1 := first["refresh_token"].(string)

	status, second := c.Refresh(rt1)
	if status != http.StatusOK || second["refresh_token"] == rt1 || second["refresh_token"] == "" {
		t.Fatalf("refresh: %d %v", status, second)
	}
	rt2 := second["refresh_token"].(string)
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+second["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("refreshed access token refused: %d", resp.StatusCode)
	}
	// Within the grace period, a client that lost the response may retry.
	status, retry := c.Refresh(rt1)
	if status != http.StatusOK {
		t.Fatalf("retry within grace: %d %v", status, retry)
	}
	rt3 := retry["refresh_token"].(string)
	// The lost successor (rt2) was never used and is now retired.
	gw.Clock.Advance(time.Minute)
	status, body := c.Refresh(rt2)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("reuse of a retired token: %d %v", status, body)
	}
	// Reuse revoked the whole grant: the newest refresh token and the
	// access tokens stop working.
	if status, body := c.Refresh(rt3); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after reuse detection: %d %v", status, body)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+retry["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("access token of a revoked grant: %d", resp.StatusCode)
	}
}

// TestRefreshGraceRetryOnce: within refresh_reuse_grace the previous
// refresh token may be retried once, for a client that lost the response;
// a second retry, however soon, is reuse and revokes the grant.
func TestRefreshGraceRetryOnce(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	rt1 := c.Tokens(gwtest.User)["refresh_token"].(string)
	if status, lost := c.Refresh(rt1); status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, lost)
	}
	status, retry := c.Refresh(rt1)
	if status != http.StatusOK {
		t.Fatalf("the one retry within grace: %d %v", status, retry)
	}
	status, body := c.Refresh(rt1)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("a second retry within grace: %d %v, want 400 invalid_grant", status, body)
	}
	if status, body := c.Refresh(retry["refresh_token"].(string)); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("the retry's refresh token after reuse: %d %v, want 400 invalid_grant", status, body)
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+retry["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the retry's access token after reuse: %d, want 401", resp.StatusCode)
	}
}

func TestRefreshTokenOfAnotherClient(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	rt := c.Tokens(gwtest.User)["refresh_token"].(string)
	thief := gwtest.RegisterClient(t, gw, nil)
	if status, body := thief.Refresh(rt); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("%d %v", status, body)
	}
	// The refusal did not burn the token: its own client still refreshes.
	if status, body := c.Refresh(rt); status != http.StatusOK {
		t.Fatalf("owner's refresh after a refused attempt: %d %v", status, body)
	}
}

func TestRefreshScopeRules(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	rt := c.Tokens(gwtest.User)["refresh_token"].(string)
	status, body := c.Token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"snippets other"}})
	if status != http.StatusBadRequest || body["error"] != "invalid_scope" {
		t.Fatalf("widening refresh: %d %v", status, body)
	}
	status, body = c.Token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": {gw.URL + "/elsewhere"}})
	if status != http.StatusBadRequest || body["error"] != "invalid_target" {
		t.Fatalf("refresh for another resource: %d %v", status, body)
	}
	status, body = c.Token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"snippets"}})
	if status != http.StatusOK || body["scope"] != "snippets" {
		t.Fatalf("same-scope refresh after refused ones: %d %v", status, body)
	}
}
