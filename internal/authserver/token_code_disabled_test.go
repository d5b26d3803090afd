package authserver

import (
	"context"
	"net/http"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// redeemHook runs before every code redemption reaches the store: after
// the token endpoint has looked the client up, before the grant is stored.
type redeemHook struct {
	storage.Store
	before func()
}

func (s *redeemHook) RedeemAuthCode(ctx context.Context, r storage.Redemption) (storage.AuthCode, error) {
	if s.before != nil {
		s.before()
	}
	return s.Store.RedeemAuthCode(ctx, r)
}

// TestCodeRedeemedWhileClientDisabled: an administrator disables a client
// while one of its codes is being redeemed, after the token endpoint
// looked the client up and before the grant was stored. The disable
// revokes the client's grants, which do not include that one yet, so the
// token endpoint must see the disable itself once the grant is stored.
// Ground truth: no token that works is answered and no grant of the
// client is left live.
func TestCodeRedeemedWhileClientDisabled(t *testing.T) {
	hook := &redeemHook{}
	h := newHarness(t, func(o *Options) { hook.Store = o.Store; o.Store = hook })
	api := admin.New(admin.Options{Store: h.store, Now: h.clock,
		Revoker: revoke.New(revoke.Options{Store: h.store, List: h.revoked, Now: h.clock})})
	hook.before = func() {
		hook.before = nil
		if _, err := api.SetClientDisabled(t.Context(), admin.Actor{Subject: "admin"}, dynPost, true); err != nil {
			t.Error(err)
		}
	}
	code, ac := h.issueCode(func(ac *storage.AuthCode) { ac.ClientID = dynPost })
	f := redeemForm(code, ac)
	f.Set("client_secret", dynPostKey)
	rec := h.do(formRequest(PathToken, f))
	if rec.Code == http.StatusOK {
		tr := tokenResponse(t, rec)
		if _, err := h.verifier.Verify(t.Context(), tr.AccessToken, resSnippets); err == nil {
			t.Errorf("the disabled client's new access token verifies")
		}
	} else {
		wantAnswer(t, rec, http.StatusUnauthorized, "invalid_client")
	}
	live, err := h.store.ListGrants(t.Context(), storage.GrantFilter{ClientID: dynPost})
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 0 {
		t.Errorf("the disabled client has %d live grants, want none", len(live))
	}
}

// TestCodeRedeemedWhileConsentWithdrawn: the user withdraws their consent
// to a client while one of its codes is being redeemed (or before a code
// issued just earlier is redeemed). The withdrawal revokes the grants the
// consent led to, which do not include that code's, so the token endpoint
// must see the withdrawal itself once the grant is stored: the client has
// to ask the user again. Ground truth as above.
func TestCodeRedeemedWhileConsentWithdrawn(t *testing.T) {
	hook := &redeemHook{}
	h := newHarness(t, func(o *Options) { hook.Store = o.Store; o.Store = hook })
	api := admin.New(admin.Options{Store: h.store, Now: h.clock,
		Revoker: revoke.New(revoke.Options{Store: h.store, List: h.revoked, Now: h.clock})})
	code, ac := h.issueCode(nil) // with alice's consent
	hook.before = func() {
		hook.before = nil
		if _, err := api.WithdrawConsent(t.Context(), admin.Actor{Subject: aliceSubject}, aliceSubject, publicApp, "revoked_by_user"); err != nil {
			t.Error(err)
		}
	}
	rec := h.do(formRequest(PathToken, redeemForm(code, ac)))
	if rec.Code == http.StatusOK {
		tr := tokenResponse(t, rec)
		if _, err := h.verifier.Verify(t.Context(), tr.AccessToken, resSnippets); err == nil {
			t.Errorf("an access token issued after the consent was withdrawn verifies")
		}
	} else {
		wantAnswer(t, rec, http.StatusBadRequest, "invalid_grant")
	}
	live, err := h.store.ListGrants(t.Context(), storage.GrantFilter{Subject: aliceSubject, ClientID: publicApp})
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 0 {
		t.Errorf("%d live grants after the consent was withdrawn, want none", len(live))
	}
}
