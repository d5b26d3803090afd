package attack

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestRevokeUserEndsPendingCode: an administrator revokes every grant of
// a user (offboarding them) through the admin API while the user holds an
// authorization code not yet redeemed. Redeemed afterwards, the code must
// give nothing: the revocation ends the user's access, codes included.
// Another user's code, issued alongside, still works. Ground truth: the
// token endpoint's answer, what the backend received, and the user's live
// grants as the admin API lists them. On SQLite and PostgreSQL, whose
// stores read the code's identity each in their own way.
func TestRevokeUserEndsPendingCode(t *testing.T) {
	const admin = "admin: {groups: [eng]}\n"
	t.Run("sqlite", func(t *testing.T) {
		revokeUserEndsPendingCode(t, gwtest.Start(t, gwtest.Options{ExtraYAML: admin}))
	})
	t.Run("postgres", func(t *testing.T) {
		revokeUserEndsPendingCode(t, gwtest.Start(t, gwtest.Options{ExtraYAML: admin, PostgresDSN: gwtest.PostgresDSN(t)}))
	})
}

func revokeUserEndsPendingCode(t *testing.T, gw *gwtest.Gateway) {
	admin := adminToken(t, gw)
	const bob = "local:bob"
	bobs := gwtest.RegisterClient(t, gw, nil)
	bobAccess := tokenFor(t, bobs, "bob", gw.MCP, "snippets")
	v := gwtest.NewVerifier()
	p, err := bobs.Browser.SignInLocal(bobs.AuthorizeURL(v, nil), "bob", gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("bob's authorization: %v", err)
	}
	code := p.Callback.Query().Get("code")
	alices := gwtest.RegisterClient(t, gw, nil)
	av := gwtest.NewVerifier()
	aliceCode := signInCode(t, alices, av)

	liveGrants := func() int {
		t.Helper()
		status, m := adminRequest(t, gw, admin, http.MethodGet, "/admin/api/grants?user="+url.QueryEscape(bob))
		if status != http.StatusOK {
			t.Fatalf("list bob's grants: %d %v", status, m)
		}
		gs, _ := m["grants"].([]any)
		return len(gs)
	}
	if n := liveGrants(); n != 1 {
		t.Fatalf("bob has %d live grants before the revocation, want 1", n)
	}
	if status, m := adminRequest(t, gw, admin, http.MethodPost, "/admin/api/grants/revoke?user="+url.QueryEscape(bob)); status != http.StatusOK {
		t.Fatalf("revoke bob's grants: %d %v", status, m)
	}
	gw.Backend.Mu.Lock()
	before := gw.Backend.Requests
	gw.Backend.Mu.Unlock()

	status, body := bobs.Redeem(code, v)
	if access, ok := body["access_token"].(string); ok {
		// What the revocation should have ended would reach the backend.
		gwtest.MCPCall(t, gw.MCP, "Bearer "+access).Body.Close()
	}
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		// Not the body: it may hold tokens.
		t.Errorf("bob's code redeemed after the revocation: %d %v, want 400 invalid_grant", status, body["error"])
	}
	gwtest.MCPCall(t, gw.MCP, "Bearer "+bobAccess).Body.Close()
	gw.Backend.Mu.Lock()
	after := gw.Backend.Requests
	gw.Backend.Mu.Unlock()
	if after != before {
		t.Errorf("bob reached the backend after the revocation: %d requests", after-before)
	}
	if n := liveGrants(); n != 0 {
		t.Errorf("bob has %d live grants after the revocation, want none", n)
	}

	// alice's code was not the administrator's to end.
	status, body = alices.Redeem(aliceCode, av)
	if status != http.StatusOK || body["access_token"] == nil {
		t.Errorf("alice's code after bob's revocation: %d %v %v", status, body["error"], body["error_description"])
	}
}

// TestRevokeUserEndsSignInInProgress: a user about to be offboarded signs
// in to two authorization requests (two clients) and leaves them on the
// consent page; an administrator revokes every grant of the user through
// the admin API; then the user approves both. Neither may give a grant:
// the revocation ends the sign-ins made before it, not only the grants
// and codes. Drawbridge may refuse at the approval (a page, no code) or at
// the redemption (invalid_grant); either way the client gets no token, the
// backend hears nothing and the user has no live grant. A sign-in made
// after the revocation works as usual. Ground truth: the answers, what
// the backend received, and the user's live grants as the admin API
// lists them. On SQLite and PostgreSQL.
func TestRevokeUserEndsSignInInProgress(t *testing.T) {
	const admin = "admin: {groups: [eng]}\n"
	t.Run("sqlite", func(t *testing.T) {
		revokeUserEndsSignInInProgress(t, gwtest.Start(t, gwtest.Options{ExtraYAML: admin}))
	})
	t.Run("postgres", func(t *testing.T) {
		revokeUserEndsSignInInProgress(t, gwtest.Start(t, gwtest.Options{ExtraYAML: admin, PostgresDSN: gwtest.PostgresDSN(t)}))
	})
}

// pendingConsent is an authorization request signed in to and left on
// the consent page.
type pendingConsent struct {
	client   *gwtest.Client
	verifier string
	page     *browser.Page
}

// signInToConsent signs user in to a new client's authorization request
// and stops at the consent page.
func signInToConsent(t *testing.T, gw *gwtest.Gateway, user string) pendingConsent {
	t.Helper()
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	p, err := c.Browser.Get(c.AuthorizeURL(v, nil))
	if err != nil || p.Path() != "/login" {
		t.Fatalf("authorization request: %v, at %s", err, p.Path())
	}
	f := p.HiddenFields()
	f.Set("username", user)
	f.Set("password", gwtest.Password)
	if p, err = c.Browser.Submit(p, "/login", f); err != nil || p.Path() != "/consent" {
		t.Fatalf("sign-in: %v, at %s (%d), want the consent page", err, p.Path(), p.Resp.StatusCode)
	}
	return pendingConsent{client: c, verifier: v, page: p}
}

func revokeUserEndsSignInInProgress(t *testing.T, gw *gwtest.Gateway) {
	admin := adminToken(t, gw)
	const bob = "local:bob"
	liveGrants := func() int {
		t.Helper()
		status, m := adminRequest(t, gw, admin, http.MethodGet, "/admin/api/grants?user="+url.QueryEscape(bob))
		if status != http.StatusOK {
			t.Fatalf("list bob's grants: %d %v", status, m)
		}
		gs, _ := m["grants"].([]any)
		return len(gs)
	}
	backend := func() int {
		gw.Backend.Mu.Lock()
		defer gw.Backend.Mu.Unlock()
		return gw.Backend.Requests
	}
	pending := []pendingConsent{signInToConsent(t, gw, "bob"), signInToConsent(t, gw, "bob")}
	alice := signInToConsent(t, gw, gwtest.User)

	if status, m := adminRequest(t, gw, admin, http.MethodPost, "/admin/api/grants/revoke?user="+url.QueryEscape(bob)); status != http.StatusOK {
		t.Fatalf("revoke bob's grants: %d %v", status, m)
	}
	before := backend()
	for i, pc := range pending {
		p, err := pc.client.Browser.Consent(pc.page, true)
		if err != nil {
			t.Fatal(err)
		}
		if p.Callback == nil {
			if p.Resp.StatusCode != http.StatusForbidden || !p.Has("sign-in has ended") {
				t.Errorf("request %d: approval stopped at %s (%d), want the sign-in-ended page", i, p.Path(), p.Resp.StatusCode)
			}
			continue
		}
		status, body := pc.client.Redeem(p.Callback.Query().Get("code"), pc.verifier)
		if access, ok := body["access_token"].(string); ok {
			// What the revocation should have ended would reach the backend.
			gwtest.MCPCall(t, gw.MCP, "Bearer "+access).Body.Close()
		}
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			// Not the body: it may hold tokens.
			t.Errorf("request %d: code redeemed after the revocation: %d %v, want 400 invalid_grant", i, status, body["error"])
		}
	}
	if after := backend(); after != before {
		t.Errorf("bob reached the backend after the revocation: %d requests", after-before)
	}
	if n := liveGrants(); n != 0 {
		t.Errorf("bob has %d live grants after the revocation, want none", n)
	}

	// alice's sign-in was not the administrator's to end.
	p, err := alice.client.Browser.Consent(alice.page, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("alice's approval after bob's revocation: %v, at %s (%d)", err, p.Path(), p.Resp.StatusCode)
	}
	if status, body := alice.client.Redeem(p.Callback.Query().Get("code"), alice.verifier); status != http.StatusOK {
		t.Errorf("alice's code after bob's revocation: %d %v %v", status, body["error"], body["error_description"])
	}

	// bob signs in again, after the revocation: that sign-in is his.
	again := gwtest.RegisterClient(t, gw, nil)
	access := tokenFor(t, again, "bob", gw.MCP, "snippets")
	resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+access)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("bob's MCP call after signing in again: %d", resp.StatusCode)
	}
	if n := liveGrants(); n != 1 {
		t.Errorf("bob has %d live grants after signing in again, want 1", n)
	}
}
