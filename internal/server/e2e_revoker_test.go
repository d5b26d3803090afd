package server_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestEveryRevocationIsRecordedOnce: whatever revokes a grant (a replayed
// code, a reused refresh token, the client, the console's sign-out), the
// audit trail gets the same grant.revoked record, once, naming the grant's
// user and client, the reason, and the request that caused it.
func TestEveryRevocationIsRecordedOnce(t *testing.T) {
	dir := t.TempDir()
	gw := gwtest.Start(t, gwtest.Options{DataDir: dir, ExtraYAML: "admin: {groups: [eng]}\n"})
	grants := map[string]string{} // grant ID -> what revoked it

	// A code redeemed three times: the second redemption revokes its
	// grant, the third finds it revoked.
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	code := c.Code(v, gwtest.User)
	status, tok := c.Redeem(code, v)
	if status != 200 {
		t.Fatalf("token: %d %v", status, tok)
	}
	for range 2 {
		if status, body := c.Redeem(code, v); status != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("replayed code: %d %v", status, body)
		}
	}
	grants[grantOf(t, gw, c.ID)] = "code_replay"

	// A refresh token used again after the grace.
	c = gwtest.RegisterClient(t, gw, nil)
	tok = c.Tokens(gwtest.User)
	old := tok["refresh_token"].(string)
	if status, _ := c.Refresh(old); status != 200 {
		t.Fatalf("refresh: %d", status)
	}
	gw.Clock.Advance(time.Minute)
	if status, body := c.Refresh(old); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v", status, body)
	}
	grants[grantOf(t, gw, c.ID)] = "refresh_token_reuse"

	// The client revokes its own (RFC 7009).
	c = gwtest.RegisterClient(t, gw, nil)
	tok = c.Tokens(gwtest.User)
	id := grantOf(t, gw, c.ID)
	revoke(t, c, url.Values{"token": {tok["access_token"].(string)}})
	grants[id] = "revoked_by_client"

	// Bob signs out of the console.
	b, p := consoleSignIn(t, gw, "bob")
	grants[grantOf(t, gw, "drawbridge-console")] = "signed_out"
	if p = consolePost(t, b, p, "/console/logout", p.HiddenFields()); !p.Has("signed out") {
		t.Fatalf("sign-out: %d %s", p.Resp.StatusCode, p.Path())
	}

	gw.Stop() // flushes the recorder
	st, err := sqlite.Open(t.Context(), dir+"/db.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ListAudit(t.Context(), storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got, replays []string
	for _, r := range recs {
		var e audit.Event
		if err := json.Unmarshal(r.Payload, &e); err != nil {
			t.Fatal(err)
		}
		switch e.Type {
		case audit.CodeReplay, audit.RefreshReuse:
			replays = append(replays, e.Type)
		case audit.GrantRevoked:
			g, err := st.GetGrant(t.Context(), e.GrantID)
			if err != nil {
				t.Fatal(err)
			}
			if e.Subject != g.Identity.Subject || e.ClientID != g.ClientID || e.Reason != g.RevokeReason ||
				e.Remote == "" || e.RequestID == "" || !e.Time.Equal(g.RevokedAt) {
				t.Errorf("grant.revoked record %+v of grant %+v", e, g)
			}
			got = append(got, e.Reason+" by "+e.Actor)
			if grants[e.GrantID] != e.Reason {
				t.Errorf("grant %s recorded as revoked for %s, want %q", e.GrantID, e.Reason, grants[e.GrantID])
			}
		}
	}
	want := []string{"code_replay by ", "refresh_token_reuse by ", "revoked_by_client by ", "signed_out by local:bob"}
	if !slices.Equal(got, want) {
		t.Errorf("grant.revoked records:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if want := []string{audit.CodeReplay, audit.CodeReplay, audit.RefreshReuse}; !slices.Equal(replays, want) {
		t.Errorf("detections: %q, want %q", replays, want)
	}
	keys, err := server.SealKeys(gw.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(t.Context(), st, keys); err != nil || !rep.OK() {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// grantOf is the newest grant of a client.
func grantOf(t *testing.T, gw *gwtest.Gateway, clientID string) string {
	t.Helper()
	gs, err := gw.Srv.Store().ListGrants(t.Context(), storage.GrantFilter{ClientID: clientID, IncludeRevoked: true, NewestFirst: true})
	if err != nil || len(gs) == 0 {
		t.Fatalf("grants of %s: %v %v", clientID, gs, err)
	}
	return gs[0].ID
}
