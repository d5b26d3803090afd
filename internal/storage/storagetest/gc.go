package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// gcFixture is a store's worth of rows on both sides of every DeleteExpired
// rule. Names say what should happen to each.
type gcFixture struct {
	now, cutoff time.Time
	keep        time.Duration
}

func testDeleteExpired(t *testing.T, s storage.Store) {
	f := gcFixture{now: at(24 * time.Hour), keep: time.Hour}
	f.cutoff = f.now.Add(-f.keep)
	f.create(t, s)

	got, err := s.DeleteExpired(t.Context(), f.now, f.keep)
	must(t, err)
	check(t, "DeleteExpired", got, storage.GCResult{
		AuthRequests:     2,
		AuthCodes:        2,
		RefreshTokens:    2, // one expired, one with its expired grant
		Grants:           2, // one expired, one revoked before the cutoff
		Clients:          1,
		UpstreamSessions: 2,
		SigningKeys:      1,
	})
	f.checkKept(t, s)

	got, err = s.DeleteExpired(t.Context(), f.now, f.keep)
	must(t, err)
	check(t, "DeleteExpired again", got, storage.GCResult{})
	f.checkTokens(t, s)
}

func (f gcFixture) create(t *testing.T, s storage.Store) {
	ctx := t.Context()
	gone, kept := f.now, f.now.Add(time.Nanosecond) // "not after now" is expired
	for id, expires := range map[string]time.Time{"request-gone": gone, "request-gone-earlier": gone.Add(-time.Hour), "request-kept": kept} {
		r := newAuthRequest(id)
		r.ExpiresAt = expires
		must(t, s.CreateAuthRequest(ctx, r))
	}
	for hash, expires := range map[string]time.Time{"code-gone": gone, "code-gone-earlier": gone.Add(-time.Hour), "code-kept": kept} {
		c := newAuthCode(hash, "grant-"+hash)
		c.ExpiresAt = expires
		must(t, s.CreateAuthCode(ctx, c))
	}
	for id, g := range map[string]struct{ expires, tokenExpires time.Time }{
		"grant-gone":           {gone.Add(-time.Minute), kept}, // takes its live token with it
		"grant-kept":           {time.Time{}, kept},
		"grant-kept-rt-gone":   {kept, gone},
		"grant-revoked-gone":   {time.Time{}, kept},
		"grant-revoked-kept":   {time.Time{}, kept},
		"grant-kept-unbounded": {time.Time{}, kept},
	} {
		grant := newGrant(id, "client-a", "user-1")
		grant.ExpiresAt = g.expires
		rt := newRefreshToken(id + "-rt")
		rt.ExpiresAt = g.tokenExpires
		must(t, s.CreateGrant(ctx, grant, &rt))
	}
	revokeGrant(t, s, "grant-revoked-gone", "admin", f.cutoff.Add(-time.Nanosecond), true)
	revokeGrant(t, s, "grant-revoked-kept", "admin", f.cutoff, true)
	for id, expires := range map[string]time.Time{"client-gone": gone, "client-kept": kept, "client-forever": {}} {
		c := newClient(id)
		c.ExpiresAt = expires
		must(t, s.CreateClient(ctx, c))
	}
	for id, expires := range map[string]time.Time{"session-gone": gone, "session-gone-earlier": gone.Add(-time.Hour), "session-kept": kept} {
		u := newUpstreamSession(id)
		u.ExpiresAt = expires
		must(t, s.PutUpstreamSession(ctx, u))
	}
	for id, expires := range map[string]time.Time{"key-gone": gone, "key-kept": kept, "key-forever": {}} {
		k := newSigningKey(id)
		k.ExpiresAt = expires
		must(t, s.CreateSigningKey(ctx, k))
	}
}

// checkKept reads at the base time, before every expiry, so that only
// deletion can explain a missing row.
func (f gcFixture) checkKept(t *testing.T, s storage.Store) {
	ctx := t.Context()
	before := at(0)
	for id, want := range map[string]bool{"request-gone": false, "request-gone-earlier": false, "request-kept": true} {
		_, err := s.GetAuthRequest(ctx, id, before)
		checkPresence(t, "auth request "+id, err, want)
	}
	for hash, want := range map[string]bool{"code-gone": false, "code-gone-earlier": false, "code-kept": true} {
		_, err := redeem(t, s, hash, before)
		checkPresence(t, "auth code "+hash, err, want)
	}
	for id, want := range map[string]bool{"grant-gone": false, "grant-kept": true, "grant-kept-rt-gone": true,
		"grant-revoked-gone": false, "grant-revoked-kept": true, "grant-kept-unbounded": true} {
		_, err := s.GetGrant(ctx, id)
		checkPresence(t, "grant "+id, err, want)
	}
	for id, want := range map[string]bool{"client-gone": false, "client-kept": true, "client-forever": true} {
		_, err := s.GetClient(ctx, id)
		checkPresence(t, "client "+id, err, want)
	}
	for id, want := range map[string]bool{"session-gone": false, "session-gone-earlier": false, "session-kept": true} {
		_, err := s.GetUpstreamSession(ctx, id, before)
		checkPresence(t, "upstream session "+id, err, want)
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	check(t, "signing keys kept", sorted(keys, keyID), []storage.SigningKey{
		withExpiry(newSigningKey("key-forever"), time.Time{}),
		withExpiry(newSigningKey("key-kept"), f.now.Add(time.Nanosecond)),
	})
	revoked, err := s.RevokedGrantsSince(ctx, time.Time{})
	must(t, err)
	check(t, "revoked grants kept", revoked, []storage.RevokedGrant{{ID: "grant-revoked-kept", RevokedAt: f.cutoff}})
}

// checkTokens rotates refresh tokens, which uses them up, so it runs last.
func (f gcFixture) checkTokens(t *testing.T, s storage.Store) {
	for hash, want := range map[string]bool{"grant-gone-rt": false, "grant-kept-rt-gone-rt": false, "grant-kept-rt": true,
		"grant-kept-unbounded-rt": true} {
		_, err := rotate(t, s, hash, hash+"-next", at(0), 0)
		checkPresence(t, "refresh token "+hash, err, want)
	}
}

func withExpiry(k storage.SigningKey, expires time.Time) storage.SigningKey {
	k.ExpiresAt = expires
	return k
}

func checkPresence(t *testing.T, what string, err error, present bool) {
	t.Helper()
	switch {
	case present && err != nil:
		t.Errorf("%s: want it kept, got %v", what, err)
	case !present:
		wantErr(t, what+" should be gone", err, storage.ErrNotFound)
	}
}
