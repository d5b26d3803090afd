package attack

import (
	"net/http"
	"net/url"
	"testing"

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
