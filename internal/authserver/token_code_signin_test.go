package authserver

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// upstreamAlice is alice signed in at an upstream provider, session s1.
func upstreamAlice(ac *storage.AuthCode) {
	ac.Identity.Provider = "oidc"
	ac.Identity.Upstream = storage.UpstreamLogin{Issuer: "https://idp.example", Subject: "idp-alice", SID: "s1"}
}

// TestCodeRedeemedAfterSignInEnded: a code whose sign-in was ended (by
// any of the keys revocations and logouts write) at or after the moment
// it was made gives invalid_grant, and the grant its redemption stored is
// revoked; a sign-in made after the end, or another's, is not touched.
// The end is recorded in the store only, so that the token endpoint's own
// look is what refuses.
func TestCodeRedeemedAfterSignInEnded(t *testing.T) {
	for _, tc := range []struct {
		name  string
		key   string
		code  func(*storage.AuthCode)
		ended bool
	}{
		{"the user", revoke.UserKey(aliceSubject), nil, true},
		{"the user and client", revoke.UserClientKey(aliceSubject, publicApp), nil, true},
		{"the client", revoke.ClientKey(publicApp), nil, true},
		{"the upstream session", revoke.UpstreamSessionKey("oidc", "https://idp.example", "s1"), upstreamAlice, true},
		{"the upstream user", revoke.UpstreamUserKey("oidc", "https://idp.example", "idp-alice"), upstreamAlice, true},
		{"another user", revoke.UserKey("local:bob"), nil, false},
		{"the user with another client", revoke.UserClientKey(aliceSubject, dynPublic), nil, false},
		{"another upstream session", revoke.UpstreamSessionKey("oidc", "https://idp.example", "s2"), upstreamAlice, false},
		{"the session at another issuer", revoke.UpstreamSessionKey("oidc", "https://other.example", "s1"), upstreamAlice, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := t.Context()
			// The end is recorded in the very instant of the sign-in: that
			// sign-in counts as before it.
			end := h.clock()
			if err := h.store.EndSignIns(ctx, []string{tc.key}, end, end.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			h.advance(time.Second)
			code, ac := h.issueCode(func(ac *storage.AuthCode) {
				ac.AuthTime = end
				if tc.code != nil {
					tc.code(ac)
				}
			})
			rec := h.do(formRequest(PathToken, redeemForm(code, ac)))
			if !tc.ended {
				tokenResponse(t, rec)
				return
			}
			wantAnswer(t, rec, http.StatusBadRequest, "invalid_grant")
			if g := h.grant(ac.GrantID); g.RevokeReason != reasonSignInEnded {
				t.Errorf("the grant after the refusal: revoked %v for %q, want %q", g.RevokedAt, g.RevokeReason, reasonSignInEnded)
			}
			if !h.revoked.IsRevoked(ac.GrantID) {
				t.Error("the grant is not in the revocation list")
			}

			// A sign-in one nanosecond after the end is a new one.
			code, ac = h.issueCode(func(ac *storage.AuthCode) {
				ac.AuthTime = end.Add(time.Nanosecond)
				if tc.code != nil {
					tc.code(ac)
				}
			})
			tokenResponse(t, h.do(formRequest(PathToken, redeemForm(code, ac))))
		})
	}
}

// endedUnreadable is a store whose ended sign-ins cannot be read.
type endedUnreadable struct{ storage.Store }

func (endedUnreadable) SignInsEndedAt(context.Context, []string) (time.Time, error) {
	return time.Time{}, errDown
}

// TestCodeRedeemedSignInsUnreadable: when the ended sign-ins cannot be
// read after the grant is stored, no token leaves (temporarily
// unavailable), and the code is used up.
func TestCodeRedeemedSignInsUnreadable(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Store = endedUnreadable{o.Store} })
	code, ac := h.issueCode(nil)
	rec := h.do(formRequest(PathToken, redeemForm(code, ac)))
	wantAnswer(t, rec, http.StatusServiceUnavailable, "temporarily_unavailable")
	rec = h.do(formRequest(PathToken, redeemForm(code, ac)))
	wantAnswer(t, rec, http.StatusBadRequest, "invalid_grant")
}

// codeHook runs before a code is stored: after the consent step looked
// for an end of the sign-in, before the code exists.
type codeHook struct {
	storage.Store
	before func()
}

func (s *codeHook) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	if s.before != nil {
		s.before()
	}
	return s.Store.CreateAuthCode(ctx, c)
}

// revokeAlice revokes alice's grants as an administrator does.
func revokeAlice(t *testing.T, h *harness) {
	t.Helper()
	api := admin.New(admin.Options{Store: h.store, Now: h.clock,
		Revoker: revoke.New(revoke.Options{Store: h.store, List: h.revoked, Now: h.clock})})
	if _, err := api.RevokeGrants(t.Context(), admin.Actor{Subject: "admin"}, storage.GrantFilter{Subject: aliceSubject}, revoke.ReasonByAdmin); err != nil {
		t.Fatal(err)
	}
}

// liveGrants counts alice's live grants.
func (h *harness) liveGrants() int {
	h.t.Helper()
	gs, err := h.store.ListGrants(h.t.Context(), storage.GrantFilter{Subject: aliceSubject})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(gs)
}

// TestSignInEndedOnConsentPage: alice signs in, and while she looks at
// the consent page an administrator revokes her grants. Approving then
// gives a page, no code and no consent recorded for the client, and the
// request is used up; a sign-in after the revocation (a nanosecond later
// on the harness's clock) gets its code as usual.
func TestSignInEndedOnConsentPage(t *testing.T) {
	h := newHarness(t)
	b := &browser{}
	q := authorizeQuery()
	q.Set("client_id", dynPublic)
	id, rec := h.signIn(b, q)
	if !wantsConsent(rec) {
		t.Fatalf("sign-in: %d to %v, want the consent page", rec.Code, location(rec))
	}
	revokeAlice(t, h)
	rec = h.answerConsent(b, id, "approve")
	if rec.Code != http.StatusForbidden || location(rec) != nil || !strings.Contains(rec.Body.String(), "sign-in has ended") {
		t.Errorf("approval after the revocation: %d to %v, want the sign-in-ended page\n%s", rec.Code, location(rec), rec.Body)
	}
	if rec = h.answerConsent(b, id, "approve"); location(rec) != nil {
		t.Errorf("approval again: redirect to %v, want the request used up", location(rec))
	}
	if n := h.liveGrants(); n != 0 {
		t.Errorf("alice has %d live grants", n)
	}
	if n := h.events.count(audit.AuthorizeCompleted); n != 0 {
		t.Errorf("%d authorizations completed, want none", n)
	}

	h.advance(time.Nanosecond)
	code := h.authorizeCode(b, q)
	f := form("grant_type", grantAuthorizationCode, "code", code, "code_verifier", flowVerifier,
		"redirect_uri", q.Get("redirect_uri"), "client_id", dynPublic)
	tokenResponse(t, h.do(formRequest(PathToken, f)))
}

// TestSignInEndedAsCodeIssued: the revocation runs after the consent step
// looked for an end of alice's sign-in and before her code is stored, so
// that it neither refuses the approval nor finds the code to delete. The
// code goes to the client; its redemption gives invalid_grant and leaves
// no live grant: the token endpoint's look, after the grant is stored, is
// what holds.
func TestSignInEndedAsCodeIssued(t *testing.T) {
	hook := &codeHook{}
	h := newHarness(t, func(o *Options) { hook.Store = o.Store; o.Store = hook })
	hook.before = func() {
		hook.before = nil
		revokeAlice(t, h)
	}
	q := authorizeQuery()
	code := h.authorizeCode(&browser{}, q)
	f := form("grant_type", grantAuthorizationCode, "code", code, "code_verifier", flowVerifier,
		"redirect_uri", q.Get("redirect_uri"), "client_id", publicApp)
	rec := h.do(formRequest(PathToken, f))
	wantAnswer(t, rec, http.StatusBadRequest, "invalid_grant")
	if n := h.liveGrants(); n != 0 {
		t.Errorf("alice has %d live grants", n)
	}
	if h.grants() != 1 {
		t.Errorf("%d grants stored, want the one revoked", h.grants())
	}
}
