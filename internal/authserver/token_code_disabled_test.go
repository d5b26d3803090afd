package authserver

import (
	"context"
	"net/http"
	"strings"
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
// looked the client up and before the grant was stored. Ground truth: no
// token that works is answered and no grant of the client is left live.
// The disable deletes the client's unredeemed codes before it revokes its
// grants, so the redemption finds no code (invalid_grant). With only the
// client's record changed (nothing deleted or revoked: the token
// endpoint's own second look, once the grant is stored, is what refuses
// it), the answer is invalid_client.
func TestCodeRedeemedWhileClientDisabled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		disable func(h *harness, api *admin.API) error
		status  int
		error   string
	}{
		{"by the administrator", func(_ *harness, api *admin.API) error {
			_, err := api.SetClientDisabled(t.Context(), admin.Actor{Subject: "admin"}, dynPost, true)
			return err
		}, http.StatusBadRequest, "invalid_grant"},
		{"in the store only", func(h *harness, _ *admin.API) error {
			return h.store.UpdateClient(t.Context(), dynPost, func(c storage.Client) (storage.Client, error) {
				c.Disabled = true
				return c, nil
			})
		}, http.StatusUnauthorized, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := &redeemHook{}
			h := newHarness(t, func(o *Options) { hook.Store = o.Store; o.Store = hook })
			api := admin.New(admin.Options{Store: h.store, Now: h.clock,
				Revoker: revoke.New(revoke.Options{Store: h.store, List: h.revoked, Now: h.clock})})
			hook.before = func() {
				hook.before = nil
				if err := tc.disable(h, api); err != nil {
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
				wantAnswer(t, rec, tc.status, tc.error)
			}
			live, err := h.store.ListGrants(t.Context(), storage.GrantFilter{ClientID: dynPost})
			if err != nil {
				t.Fatal(err)
			}
			if len(live) != 0 {
				t.Errorf("the disabled client has %d live grants, want none", len(live))
			}
		})
	}
}

// TestCodeRedeemedWhileConsentWithdrawn: the user withdraws their consent
// to a client while one of its codes is being redeemed (or before a code
// issued just earlier is redeemed). The client has to ask the user again.
// Ground truth as above. The withdrawal deletes the codes of that user and
// client before it revokes the grants; with only the consent deleted, the
// token endpoint's second look, once the grant is stored, refuses it.
func TestCodeRedeemedWhileConsentWithdrawn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		withdraw func(h *harness, api *admin.API) error
		desc     string
	}{
		{"by the user", func(_ *harness, api *admin.API) error {
			_, err := api.WithdrawConsent(t.Context(), admin.Actor{Subject: aliceSubject}, aliceSubject, publicApp, "revoked_by_user")
			return err
		}, "invalid or expired"},
		{"in the store only", func(h *harness, _ *admin.API) error {
			return h.store.DeleteConsent(t.Context(), aliceSubject, publicApp)
		}, "withdrawn their consent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := &redeemHook{}
			h := newHarness(t, func(o *Options) { hook.Store = o.Store; o.Store = hook })
			api := admin.New(admin.Options{Store: h.store, Now: h.clock,
				Revoker: revoke.New(revoke.Options{Store: h.store, List: h.revoked, Now: h.clock})})
			code, ac := h.issueCode(nil) // with alice's consent
			hook.before = func() {
				hook.before = nil
				if err := tc.withdraw(h, api); err != nil {
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
				if !strings.Contains(rec.Body.String(), tc.desc) {
					t.Errorf("answer %s, want one saying %q", rec.Body, tc.desc)
				}
			}
			live, err := h.store.ListGrants(t.Context(), storage.GrantFilter{Subject: aliceSubject, ClientID: publicApp})
			if err != nil {
				t.Fatal(err)
			}
			if len(live) != 0 {
				t.Errorf("%d live grants after the consent was withdrawn, want none", len(live))
			}
		})
	}
}
