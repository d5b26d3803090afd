package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testGrantCRUD(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g := newGrant("grant-1", "client-a", "user-1")
	g.AuthTime = elsewhere(g.AuthTime)
	rt := newRefreshToken("rt-1") // no GrantID: CreateGrant sets it
	must(t, s.CreateGrant(ctx, g, &rt))
	checkGrant(t, s, g)
	// The first token was stored with the grant: it rotates, and leads to g.
	got, err := s.RotateRefreshToken(ctx, storage.Rotation{OldHash: rt.Hash, New: newRefreshToken("rt-2"), Now: at(time.Minute)})
	must(t, err)
	if got.ID != g.ID {
		t.Errorf("RotateRefreshToken of the grant's first token: got grant %q, want %q", got.ID, g.ID)
	}

	wantErr(t, "CreateGrant with a taken ID", s.CreateGrant(ctx, newGrant(g.ID, "client-b", "user-2"), nil),
		storage.ErrAlreadyExists)
	// A taken token hash stores neither the grant nor the token.
	taken := newRefreshToken("rt-2")
	wantErr(t, "CreateGrant with a taken token hash", s.CreateGrant(ctx, newGrant("grant-2", "client-a", "user-1"), &taken),
		storage.ErrAlreadyExists)
	_, err = s.GetGrant(ctx, "grant-2")
	wantErr(t, "GetGrant of a grant whose token was refused", err, storage.ErrNotFound)

	// No refresh token, no bound, never used; empty slices come back nil.
	bare := newGrant("grant-3", "client-a", "user-1")
	bare.ExpiresAt, bare.LastUsedAt, bare.AuthTime = time.Time{}, time.Time{}, time.Time{}
	bare.Scopes, bare.Identity.Groups = []string{}, []string{}
	must(t, s.CreateGrant(ctx, bare, nil))
	bare.Scopes, bare.Identity.Groups = nil, nil
	checkGrant(t, s, bare)

	_, err = s.GetGrant(ctx, "grant-missing")
	wantErr(t, "GetGrant of a missing grant", err, storage.ErrNotFound)
}

func checkGrant(t *testing.T, s storage.Store, want storage.Grant) {
	t.Helper()
	got, err := s.GetGrant(t.Context(), want.ID)
	must(t, err)
	check(t, "GetGrant", got, want)
}

func grantID(g storage.Grant) string { return g.ID }

func testGrantList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g1 := newGrant("grant-1", "client-a", "user-1")
	g2 := newGrant("grant-2", "client-b", "user-1")
	g3 := newGrant("grant-3", "client-a", "user-2")
	g4 := newGrant("grant-4", "client-a", "user-1")
	for _, g := range []storage.Grant{g1, g2, g3, g4} {
		must(t, s.CreateGrant(ctx, g, nil))
	}
	revokeGrant(t, s, g4.ID, "user_logout", at(time.Hour), true)
	g4.RevokedAt, g4.RevokeReason = at(time.Hour), "user_logout"

	all, err := s.ListGrants(ctx, storage.GrantFilter{IncludeRevoked: true})
	must(t, err)
	check(t, "ListGrants(IncludeRevoked)", sorted(all, grantID), []storage.Grant{g1, g2, g3, g4})

	for _, tc := range []struct {
		filter storage.GrantFilter
		want   []storage.Grant
	}{
		{storage.GrantFilter{}, []storage.Grant{g1, g2, g3}},
		{storage.GrantFilter{Subject: "user-1"}, []storage.Grant{g1, g2}},
		{storage.GrantFilter{Subject: "user-1", IncludeRevoked: true}, []storage.Grant{g1, g2, g4}},
		{storage.GrantFilter{ClientID: "client-a"}, []storage.Grant{g1, g3}},
		{storage.GrantFilter{ClientID: "client-a", IncludeRevoked: true}, []storage.Grant{g1, g3, g4}},
		{storage.GrantFilter{Subject: "user-1", ClientID: "client-a"}, []storage.Grant{g1}},
		{storage.GrantFilter{Subject: "user-1", ClientID: "client-a", IncludeRevoked: true}, []storage.Grant{g1, g4}},
		{storage.GrantFilter{Subject: "user-2", ClientID: "client-b", IncludeRevoked: true}, nil},
		{storage.GrantFilter{Subject: "nobody"}, nil},
	} {
		got, err := s.ListGrants(ctx, tc.filter)
		must(t, err)
		if len(got) == 0 {
			got = nil // the empty result may be either
		}
		check(t, "ListGrants("+filterString(tc.filter)+")", sorted(got, grantID), tc.want)
	}
}

// testGrantListUpstream: a back-channel logout finds grants by the
// upstream provider's sub, sid, or both.
func testGrantListUpstream(t *testing.T, s storage.Store) {
	ctx := t.Context()
	grant := func(id, sub, sid string) storage.Grant {
		g := newGrant(id, "client-a", "user-"+id)
		g.Identity.Upstream.Subject, g.Identity.Upstream.SID = sub, sid
		must(t, s.CreateGrant(ctx, g, nil))
		return g
	}
	g1 := grant("grant-1", "idp-alice", "s1")
	g2 := grant("grant-2", "idp-alice", "s2")
	g3 := grant("grant-3", "idp-bob", "s3")
	_ = grant("grant-4", "", "") // a local user's
	g5 := grant("grant-5", "idp-alice", "s1")
	revokeGrant(t, s, g5.ID, "upstream_logout", at(time.Hour), true)
	g5.RevokedAt, g5.RevokeReason = at(time.Hour), "upstream_logout"
	for _, tc := range []struct {
		filter storage.GrantFilter
		want   []storage.Grant
	}{
		{storage.GrantFilter{UpstreamSubject: "idp-alice"}, []storage.Grant{g1, g2}},
		{storage.GrantFilter{UpstreamSubject: "idp-bob"}, []storage.Grant{g3}},
		{storage.GrantFilter{UpstreamSID: "s1"}, []storage.Grant{g1}},
		{storage.GrantFilter{UpstreamSID: "s1", IncludeRevoked: true}, []storage.Grant{g1, g5}},
		{storage.GrantFilter{UpstreamSubject: "idp-alice", UpstreamSID: "s2"}, []storage.Grant{g2}},
		{storage.GrantFilter{UpstreamSubject: "idp-bob", UpstreamSID: "s1"}, nil},
		{storage.GrantFilter{UpstreamSubject: "idp-alice", ClientID: "client-b"}, nil},
		{storage.GrantFilter{UpstreamSID: "nobody"}, nil},
	} {
		got, err := s.ListGrants(ctx, tc.filter)
		must(t, err)
		if len(got) == 0 {
			got = nil
		}
		check(t, "ListGrants("+filterString(tc.filter)+")", sorted(got, grantID), tc.want)
	}
}

func filterString(f storage.GrantFilter) string {
	s := "subject=" + f.Subject + " client=" + f.ClientID
	if f.UpstreamSubject != "" || f.UpstreamSID != "" {
		s += " upstream_sub=" + f.UpstreamSubject + " upstream_sid=" + f.UpstreamSID
	}
	if f.IncludeRevoked {
		s += " revoked"
	}
	return s
}

func testGrantRevoke(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g, rt := createGrant(t, s, "grant-1")
	other, otherRT := createGrant(t, s, "grant-2")

	now := at(time.Hour)
	revokeGrant(t, s, g.ID, "user_logout", elsewhere(now), true)
	want := g
	want.RevokedAt, want.RevokeReason = now, "user_logout"
	checkGrant(t, s, want)
	// Its refresh tokens went with it.
	_, err := rotate(t, s, rt.Hash, "rt-next", at(2*time.Hour), 0)
	wantErr(t, "RotateRefreshToken of a revoked grant's token", err, storage.ErrNotFound)

	// Revoking again changes nothing.
	revokeGrant(t, s, g.ID, "admin", at(3*time.Hour), false)
	checkGrant(t, s, want)
	_, err = s.RevokeGrant(ctx, "grant-missing", "admin", now)
	wantErr(t, "RevokeGrant of a missing grant", err, storage.ErrNotFound)

	checkGrant(t, s, other)
	_, err = rotate(t, s, otherRT.Hash, "rt-other-next", at(2*time.Hour), 0)
	must(t, err)
}

// testGrantRevokeOnce: of several revocations of one grant at once, the
// store says exactly one revoked it (the revoker records only that one),
// and the grant keeps that one's reason.
func testGrantRevokeOnce(t *testing.T, s storage.Store) {
	createGrant(t, s, "grant-1")
	const n = 8
	var wg sync.WaitGroup
	revoked := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			revoked[i], errs[i] = s.RevokeGrant(t.Context(), "grant-1", fmt.Sprintf("reason-%d", i), at(time.Hour))
		})
	}
	wg.Wait()
	winner := -1
	for i := range n {
		must(t, errs[i])
		if revoked[i] {
			if winner >= 0 {
				t.Fatalf("calls %d and %d both report that they revoked the grant", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no call reports that it revoked the grant")
	}
	g, err := s.GetGrant(t.Context(), "grant-1")
	must(t, err)
	if want := fmt.Sprintf("reason-%d", winner); g.RevokeReason != want {
		t.Errorf("RevokeReason = %q, want the winner's %q", g.RevokeReason, want)
	}
}

func testGrantRevokedSince(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for _, id := range []string{"grant-1", "grant-2", "grant-3"} {
		createGrant(t, s, id)
	}
	t1, t2 := at(time.Hour), at(2*time.Hour)
	revokeGrant(t, s, "grant-1", "user_logout", t1, true)
	revokeGrant(t, s, "grant-2", "admin", t2, true)
	revokeGrant(t, s, "grant-1", "again", t2, false) // keeps t1
	r1, r2 := storage.RevokedGrant{ID: "grant-1", RevokedAt: t1}, storage.RevokedGrant{ID: "grant-2", RevokedAt: t2}

	for _, tc := range []struct {
		since time.Time
		want  []storage.RevokedGrant
	}{
		{time.Time{}, []storage.RevokedGrant{r1, r2}},
		{t1.Add(-time.Hour), []storage.RevokedGrant{r1, r2}},
		{t1, []storage.RevokedGrant{r1, r2}},
		{elsewhere(t1.Add(time.Nanosecond)), []storage.RevokedGrant{r2}},
		{t2, []storage.RevokedGrant{r2}},
		{t2.Add(time.Nanosecond), nil},
	} {
		got, err := s.RevokedGrantsSince(ctx, tc.since)
		must(t, err)
		if len(got) == 0 {
			got = nil // the empty result may be either
		}
		check(t, "RevokedGrantsSince("+tc.since.Sub(base).String()+")",
			sorted(got, func(r storage.RevokedGrant) string { return r.ID }), tc.want)
	}
}
