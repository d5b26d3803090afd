package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// startLogoutRig is a gateway whose users sign in at a provider, with a
// backend that acts with their upstream tokens (so that the vault keeps
// them), and a second user, dave.
func startLogoutRig(t *testing.T) *userTokenRig {
	t.Helper()
	r := startUserTokenRig(t, userTokenSetup{
		auth: "    auth: {mode: token_exchange, audience: snippets-api}\n", jwtAccess: true,
		verify: func(idp *oidctest.Provider) func(*http.Request) (string, error) {
			return jwtVerifier(t, idp, "snippets-api", nil)
		},
	})
	r.idp.AddUser(oidctest.User{Username: "dave", Subject: "dave-sub", Email: "dave@example.com"})
	return r
}

// signInAs signs username in (a new session at the provider) and returns
// the client's tokens and the provider's sid of that sign-in.
func (r *userTokenRig) signInAs(t *testing.T, username string) (access, refresh, sid string) {
	t.Helper()
	r.idp.SetAutoLogin(username)
	access, refresh = r.signIn(t)
	s := r.idp.Sessions(username)
	return access, refresh, s[len(s)-1]
}

// grantOfSession finds the grant made from the provider session sid.
func (r *userTokenRig) grantOfSession(t *testing.T, sid string) storage.Grant {
	t.Helper()
	gs, err := r.gw.Srv.Store().ListGrants(context.Background(), storage.GrantFilter{IncludeRevoked: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		if g.Identity.Upstream.SID == sid {
			return g
		}
	}
	t.Fatalf("no grant of session %s", sid)
	return storage.Grant{}
}

func (r *userTokenRig) logoutURL() string { return r.gw.URL + "/backchannel-logout" }

// wantEnded: the grant's access token gets the 401 challenge, its refresh
// token invalid_grant, and its upstream tokens are gone.
func (r *userTokenRig) wantEnded(t *testing.T, name, access, refresh, sid string) {
	t.Helper()
	resp := gwtest.MCPCall(t, r.gw.MCP, "Bearer "+access)
	resp.Body.Close()
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, "resource_metadata=") {
		t.Errorf("%s: MCP call after the logout: %d %q", name, resp.StatusCode, ch)
	}
	if status, body := r.client.Refresh(refresh); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("%s: refresh after the logout: %d %v", name, status, body)
	}
	g := r.grantOfSession(t, sid)
	if g.RevokeReason != "upstream_logout" {
		t.Errorf("%s: grant revoke reason %q", name, g.RevokeReason)
	}
	if g.UpstreamSessionID == "" {
		t.Errorf("%s: the grant kept no upstream tokens to begin with", name)
	} else if _, err := r.gw.Srv.Store().GetUpstreamSession(context.Background(), g.UpstreamSessionID, r.gw.Clock.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("%s: the grant's upstream tokens are still stored: %v", name, err)
	}
}

func (r *userTokenRig) wantLive(t *testing.T, name, access string) {
	t.Helper()
	if status, body := r.call(t, access); status != http.StatusOK {
		t.Errorf("%s: MCP call: %d %s", name, status, body)
	}
}

func wantLogoutOK(t *testing.T, res *oidctest.LogoutResponse, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("back-channel logout: %d %q %s", res.Status, res.Header.Get("Cache-Control"), res.Body)
	}
}

// TestBackChannelLogout: the provider's back-channel logout ends the
// grants of the sign-ins it names at once: by sid just that session's, by
// sub all of that user's, and no one else's.
func TestBackChannelLogout(t *testing.T) {
	r := startLogoutRig(t)
	ctx := t.Context()
	a1, r1, sid1 := r.signInAs(t, "carol")
	a2, r2, sid2 := r.signInAs(t, "carol")
	a3, _, _ := r.signInAs(t, "dave")
	if sid1 == sid2 {
		t.Fatal("two sign-ins share a provider session")
	}
	for name, a := range map[string]string{"carol 1": a1, "carol 2": a2, "dave": a3} {
		r.wantLive(t, name, a)
	}
	if n := upstreamSessions(t, r.gw); n != 3 {
		t.Fatalf("%d upstream sessions, want 3", n)
	}

	// A logout token naming only the session ends that sign-in's grant.
	sidOnly := r.idp.LogoutToken("", sid1, "drawbridge")
	res, err := oidctest.PostLogoutToken(ctx, r.logoutURL(), sidOnly, nil)
	wantLogoutOK(t, res, err)
	r.wantEnded(t, "carol's first session", a1, r1, sid1)
	r.wantLive(t, "carol's second session", a2)
	r.wantLive(t, "dave", a3)
	if n := upstreamSessions(t, r.gw); n != 2 {
		t.Errorf("%d upstream sessions after the sid logout, want 2", n)
	}

	// The same token again is a replay.
	res, err = oidctest.PostLogoutToken(ctx, r.logoutURL(), sidOnly, nil)
	if err != nil || res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "used before") {
		t.Errorf("replayed logout token: %v %+v", err, res)
	}

	// Grants of the same upstream sub from another issuer (configured
	// before) or another provider are not this provider's to end.
	store := r.gw.Srv.Store()
	for id, who := range map[string]storage.Identity{
		"grant-old-issuer": {Subject: carolSub, Provider: "oidc", Upstream: storage.UpstreamLogin{Issuer: "https://old-idp.example", Subject: carolSub}},
		"grant-local":      {Subject: carolSub, Provider: "local", Upstream: storage.UpstreamLogin{Issuer: r.idp.Issuer(), Subject: carolSub}},
	} {
		if err := store.CreateGrant(ctx, storage.Grant{ID: id, ClientID: r.client.ID, Identity: who, CreatedAt: r.gw.Clock.Now()}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// The provider signs carol out everywhere: a token with her sub only.
	res, err = r.idp.BackChannelLogout(ctx, r.logoutURL(), "drawbridge", "carol", "")
	wantLogoutOK(t, res, err)
	for _, id := range []string{"grant-old-issuer", "grant-local"} {
		if g, err := store.GetGrant(ctx, id); err != nil || g.Revoked() {
			t.Errorf("%s after carol's logout: %+v %v", id, g, err)
		}
	}
	r.wantEnded(t, "carol's second session", a2, r2, sid2)
	r.wantLive(t, "dave after carol's logout", a3)
	if n := upstreamSessions(t, r.gw); n != 1 {
		t.Errorf("%d upstream sessions after carol's logout, want 1 (dave's)", n)
	}

	// carol signs in again, and a logout of the old session leaves the
	// new one alone.
	a4, _, _ := r.signInAs(t, "carol")
	res, err = r.idp.BackChannelLogout(ctx, r.logoutURL(), "drawbridge", "carol", sid1)
	wantLogoutOK(t, res, err)
	r.wantLive(t, "carol signed in again", a4)

	logs := r.gw.Logs.String()
	if strings.Contains(logs, sidOnly) || strings.Contains(logs, strings.Split(sidOnly, ".")[1]) {
		t.Error("the log holds a logout token")
	}
	r.checkClean(t, a1, r1)

	// The audit trail counts what each logout ended.
	r.gw.Stop()
	st, err := sqlite.Open(ctx, r.gw.Cfg.Storage.SQLite.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ListAudit(ctx, storage.AuditFilter{Type: "upstream.logout"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rec := range recs {
		var e struct {
			Reason string `json:"reason"`
			Count  int    `json:"count"`
			Sub    string `json:"sub"`
		}
		if err := json.Unmarshal(rec.Payload, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Reason+" "+itoa(e.Count)+" "+e.Sub)
	}
	want := []string{"by_sid 1 " + carolSub, "replayed 0 ", "by_sub 1 " + carolSub, "by_sid 0 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("upstream.logout events %q, want %q", got, want)
	}
}

// TestBackChannelLogoutRefuses: requests that are not a valid logout
// token get 400 (405 for GET) with an OAuth error body, and end nothing.
func TestBackChannelLogoutRefuses(t *testing.T) {
	r := startLogoutRig(t)
	ctx := t.Context()
	access, refresh, sid := r.signInAs(t, "carol")
	sign := func(change func(map[string]any)) string {
		c := r.idp.LogoutClaims(carolSub, sid, "drawbridge")
		change(c)
		return r.idp.SignLogoutToken(c)
	}
	replayed := r.idp.LogoutToken("nobody", "", "drawbridge") // names no grant
	res, err := oidctest.PostLogoutToken(ctx, r.logoutURL(), replayed, nil)
	wantLogoutOK(t, res, err)

	var posted []string
	tests := []struct {
		name  string
		token func() string
		form  url.Values
		want  string
	}{
		{name: "bad signature", token: func() string {
			r.idp.SignWithUnknownKey(true)
			defer r.idp.SignWithUnknownKey(false)
			return r.idp.LogoutToken(carolSub, sid, "drawbridge")
		}, want: "signature"},
		{name: "wrong issuer", token: func() string { return sign(func(c map[string]any) { c["iss"] = "https://evil.example" }) }, want: "issuer"},
		{name: "wrong audience", token: func() string { return sign(func(c map[string]any) { c["aud"] = "another-rp" }) }, want: "audience"},
		{name: "missing events", token: func() string { return sign(func(c map[string]any) { delete(c, "events") }) }, want: "events"},
		{name: "nonce present", token: func() string { return sign(func(c map[string]any) { c["nonce"] = "abc" }) }, want: "nonce"},
		{name: "neither sub nor sid", token: func() string {
			return sign(func(c map[string]any) { delete(c, "sub"); delete(c, "sid") })
		}, want: "neither sub nor sid"},
		{name: "replayed jti", token: func() string { return replayed }, want: "used before"},
		{name: "not a JWT", token: func() string { return "this-is-not-a-jwt" }, want: "not valid"},
		{name: "missing logout_token", form: url.Values{"token": {"x"}}, want: "logout_token is required"},
		{name: "two logout tokens", form: url.Values{"logout_token": {replayed, replayed}}, want: "more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := ""
			if tt.token != nil {
				tok = tt.token()
				posted = append(posted, tok)
			}
			res, err := oidctest.PostLogoutToken(ctx, r.logoutURL(), tok, tt.form)
			if err != nil {
				t.Fatal(err)
			}
			wantOAuthError(t, res, http.StatusBadRequest, tt.want)
		})
	}
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(r.logoutURL() + "?logout_token=" + url.QueryEscape(r.idp.LogoutToken(carolSub, sid, "drawbridge")))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Fatalf("GET: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
		if body := gwtest.DecodeBody(t, resp); body["error"] != "invalid_request" {
			t.Errorf("GET: body %v", body)
		}
	})

	// Nothing was ended.
	r.wantLive(t, "carol", access)
	if status, body := r.client.Refresh(refresh); status != http.StatusOK {
		t.Errorf("refresh: %d %v", status, body)
	}
	if n := upstreamSessions(t, r.gw); n != 1 {
		t.Errorf("%d upstream sessions, want 1", n)
	}
	logs := r.gw.Logs.String()
	for _, tok := range posted {
		if parts := strings.Split(tok, "."); len(parts) == 3 && (strings.Contains(logs, parts[1]) || strings.Contains(logs, parts[2])) {
			t.Error("the log holds a logout token")
		}
	}
}

func wantOAuthError(t *testing.T, res *oidctest.LogoutResponse, status int, desc string) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		t.Fatalf("%d, body %q is not JSON", res.Status, res.Body)
	}
	if res.Status != status || body.Error != "invalid_request" || !strings.Contains(body.Description, desc) {
		t.Errorf("got %d %+v, want %d invalid_request mentioning %q", res.Status, body, status, desc)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

// TestBackChannelLogoutOff: with the switch off, and for Entra ID (which
// has no back-channel logout), the endpoint does not exist.
func TestBackChannelLogoutOff(t *testing.T) {
	for name, setup := range map[string]userTokenSetup{
		"switched off": {auth: "    auth: {mode: token_exchange, audience: snippets-api}\n", backChannelOff: true},
		"Entra":        {entra: true, auth: "    auth: {mode: entra_obo, scopes: [\"api://snippets/.default\"]}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			setup.verify = func(idp *oidctest.Provider) func(*http.Request) (string, error) {
				return func(*http.Request) (string, error) { return "", nil }
			}
			r := startUserTokenRig(t, setup)
			r.signInAs(t, "carol")
			res, err := r.idp.BackChannelLogout(t.Context(), r.logoutURL(), "drawbridge", "carol", "")
			if err != nil || res.Status != http.StatusNotFound {
				t.Fatalf("back-channel logout: %v %+v", err, res)
			}
			if g := r.grantOfSession(t, r.idp.Sessions("carol")[0]); g.Revoked() {
				t.Errorf("grant revoked: %+v", g)
			}
		})
	}
}

// TestBackChannelLogoutEndsPendingCodes: a code issued from a sign-in and
// not yet redeemed when the provider logs that sign-in out gives nothing
// afterwards, whether the logout names the session (sid) or the user
// (sub): the logout ends the sign-in, codes included. Another user's code,
// issued alongside, still works. Ground truth: the token endpoint's
// answer, what the backend received, and the grants in the store.
func TestBackChannelLogoutEndsPendingCodes(t *testing.T) {
	r := startLogoutRig(t)
	ctx := t.Context()
	code := func(username string) (code, verifier, sid string) {
		r.idp.SetAutoLogin(username)
		verifier = gwtest.NewVerifier()
		code = r.client.Code(verifier, username)
		s := r.idp.Sessions(username)
		return code, verifier, s[len(s)-1]
	}
	wantRefused := func(name, code, verifier, sid string) {
		t.Helper()
		r.be.mu.Lock()
		before := len(r.be.received)
		r.be.mu.Unlock()
		status, body := r.client.Redeem(code, verifier)
		if access, ok := body["access_token"].(string); ok {
			// What the logout should have ended would reach the backend.
			r.call(t, access)
		}
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			// Not the body: it may hold tokens.
			t.Errorf("%s: code redeemed after the logout: %d %v, want 400 invalid_grant", name, status, body["error"])
		}
		r.be.mu.Lock()
		after := len(r.be.received)
		r.be.mu.Unlock()
		if after != before {
			t.Errorf("%s: the backend received %d requests after the logout", name, after-before)
		}
		gs, err := r.gw.Srv.Store().ListGrants(ctx, storage.GrantFilter{UpstreamSID: sid})
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != 0 {
			t.Errorf("%s: the logged-out session has %d live grants, want none", name, len(gs))
		}
	}

	// The provider ends one session of carol's.
	c1, v1, sid1 := code("carol")
	d1, dv1, _ := code("dave")
	res, err := oidctest.PostLogoutToken(ctx, r.logoutURL(), r.idp.LogoutToken("", sid1, "drawbridge"), nil)
	wantLogoutOK(t, res, err)
	wantRefused("logout by sid", c1, v1, sid1)

	// Then all of carol's sessions.
	c2, v2, sid2 := code("carol")
	res, err = r.idp.BackChannelLogout(ctx, r.logoutURL(), "drawbridge", "carol", "")
	wantLogoutOK(t, res, err)
	wantRefused("logout by sub", c2, v2, sid2)

	// dave's code, issued before both logouts, was not theirs to end.
	status, body := r.client.Redeem(d1, dv1)
	access, _ := body["access_token"].(string)
	if status != http.StatusOK || access == "" {
		t.Fatalf("dave's code after carol's logouts: %d %v %v", status, body["error"], body["error_description"])
	}
	r.wantLive(t, "dave", access)
	r.checkClean(t, access, "")
}

// atConsent is an authorization request signed in to at the provider and
// left on Drawbridge's consent page, for a client of its own (so that
// consent is asked), with the provider's sid of that sign-in.
type atConsent struct {
	client   *gwtest.Client
	verifier string
	page     *browser.Page
	sid      string
}

func (r *userTokenRig) signInToConsent(t *testing.T, username string) atConsent {
	t.Helper()
	c := gwtest.RegisterClient(t, r.gw, nil)
	c.Browser = browser.New(r.gw.URL, r.idp.BaseURL())
	c.Browser.Client.Transport = r.idp.Client().Transport
	r.idp.SetAutoLogin(username)
	v := gwtest.NewVerifier()
	p, err := c.Browser.Get(c.AuthorizeURL(v, nil))
	if err != nil || p.Path() != "/consent" {
		t.Fatalf("%s's sign-in: %v, at %s, want the consent page", username, err, p.Path())
	}
	s := r.idp.Sessions(username)
	return atConsent{client: c, verifier: v, page: p, sid: s[len(s)-1]}
}

// TestBackChannelLogoutEndsSignInInProgress: a user signs in at the
// provider and is left on Drawbridge's consent page; the provider then
// logs that sign-in out, by its session (sid) or by the user (sub); the
// user approves afterwards. No grant may come of it: Drawbridge refuses
// at the approval (a page, no code) or at the redemption (invalid_grant),
// the backend hears nothing and the session has no live grant. Another
// user's sign-in in progress, and a sign-in of the same user after the
// logout, work as usual. Ground truth: the answers, what the backend
// received, and the grants in the store.
func TestBackChannelLogoutEndsSignInInProgress(t *testing.T) {
	r := startLogoutRig(t)
	ctx := t.Context()
	received := func() int {
		r.be.mu.Lock()
		defer r.be.mu.Unlock()
		return len(r.be.received)
	}
	wantRefused := func(name string, a atConsent) {
		t.Helper()
		before := received()
		p, err := a.client.Browser.Consent(a.page, true)
		if err != nil {
			t.Fatal(err)
		}
		if p.Callback == nil {
			if p.Resp.StatusCode != http.StatusForbidden || !p.Has("sign-in has ended") {
				t.Errorf("%s: approval stopped at %s (%d), want the sign-in-ended page", name, p.Path(), p.Resp.StatusCode)
			}
		} else {
			status, body := a.client.Redeem(p.Callback.Query().Get("code"), a.verifier)
			if access, ok := body["access_token"].(string); ok {
				// What the logout should have ended would reach the backend.
				r.call(t, access)
			}
			if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				// Not the body: it may hold tokens.
				t.Errorf("%s: code redeemed after the logout: %d %v, want 400 invalid_grant", name, status, body["error"])
			}
		}
		if after := received(); after != before {
			t.Errorf("%s: the backend received %d requests after the logout", name, after-before)
		}
		gs, err := r.gw.Srv.Store().ListGrants(ctx, storage.GrantFilter{UpstreamSID: a.sid})
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != 0 {
			t.Errorf("%s: the logged-out session has %d live grants, want none", name, len(gs))
		}
	}

	// The provider ends one session of carol's.
	c1 := r.signInToConsent(t, "carol")
	d1 := r.signInToConsent(t, "dave")
	res, err := oidctest.PostLogoutToken(ctx, r.logoutURL(), r.idp.LogoutToken("", c1.sid, "drawbridge"), nil)
	wantLogoutOK(t, res, err)
	wantRefused("logout by sid", c1)

	// Then all of carol's sessions.
	c2 := r.signInToConsent(t, "carol")
	res, err = r.idp.BackChannelLogout(ctx, r.logoutURL(), "drawbridge", "carol", "")
	wantLogoutOK(t, res, err)
	wantRefused("logout by sub", c2)

	// dave's sign-in, made before both logouts, was not theirs to end.
	p, err := d1.client.Browser.Consent(d1.page, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("dave's approval after carol's logouts: %v, at %s (%d)", err, p.Path(), p.Resp.StatusCode)
	}
	status, body := d1.client.Redeem(p.Callback.Query().Get("code"), d1.verifier)
	access, _ := body["access_token"].(string)
	if status != http.StatusOK || access == "" {
		t.Fatalf("dave's code after carol's logouts: %d %v %v", status, body["error"], body["error_description"])
	}
	r.wantLive(t, "dave", access)

	// carol signs in again after the logouts: a new sign-in, hers.
	a3, _, _ := r.signInAs(t, "carol")
	r.wantLive(t, "carol signed in again", a3)
	r.checkClean(t, access, "")
}
