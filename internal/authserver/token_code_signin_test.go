package authserver

import (
	"context"
	"net/http"
	"testing"
	"time"

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
