package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// issue is a Redemption.Issue that gives the code's grant, as the token
// endpoint would build it, with the refresh token rt (nil: none).
func issue(rt *storage.RefreshToken) func(storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
	return func(c storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
		return grantOf(c), rt, nil
	}
}

// grantOf is the grant a code gives.
func grantOf(c storage.AuthCode) storage.Grant {
	g := newGrant(c.GrantID, c.ClientID, c.Identity.Subject)
	g.Identity, g.Scopes, g.Resource, g.UpstreamSessionID = c.Identity, c.Scopes, c.Resource, c.UpstreamSessionID
	return g
}

// redeem redeems the code stored under hash, giving its grant without a
// refresh token.
func redeem(t *testing.T, s storage.Store, hash string, now time.Time) (storage.AuthCode, error) {
	return s.RedeemAuthCode(t.Context(), storage.Redemption{Hash: hash, Now: now, Issue: issue(nil)})
}

func testAuthCodeRedeem(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newAuthCode("code-hash-1", "grant-1")
	c.CreatedAt = elsewhere(c.CreatedAt)
	must(t, s.CreateAuthCode(ctx, c))
	wantErr(t, "CreateAuthCode with a taken hash", s.CreateAuthCode(ctx, newAuthCode(c.Hash, "grant-2")), storage.ErrAlreadyExists)
	session := newUpstreamSession(c.UpstreamSessionID)
	must(t, s.PutUpstreamSession(ctx, session))

	// Issue is called only for the one redemption that wins.
	var issued []storage.AuthCode
	rt := newRefreshToken("rt-1") // no GrantID: the redemption sets it
	redemption := func(hash string, now time.Time) storage.Redemption {
		return storage.Redemption{Hash: hash, Now: now, Issue: func(c storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
			issued = append(issued, c)
			return issue(&rt)(c)
		}}
	}
	_, err := s.RedeemAuthCode(ctx, redemption("code-hash-unknown", at(0)))
	wantErr(t, "RedeemAuthCode of an unknown code", err, storage.ErrNotFound)
	// An expired code is refused, and the refusal does not use it up.
	_, err = s.RedeemAuthCode(ctx, redemption(c.Hash, c.ExpiresAt))
	wantErr(t, "RedeemAuthCode at ExpiresAt", err, storage.ErrNotFound)
	if len(issued) != 0 {
		t.Fatalf("Issue called for an unknown or expired code: %v", issued)
	}

	first := at(10 * time.Second)
	got, err := s.RedeemAuthCode(ctx, redemption(c.Hash, elsewhere(first)))
	must(t, err)
	want := c
	want.UsedAt = first
	check(t, "RedeemAuthCode", got, want)
	if len(issued) != 1 {
		t.Fatalf("Issue called %d times by one redemption, want 1", len(issued))
	}
	check(t, "the code given to Issue", issued[0], want)
	// The grant, its refresh token and the upstream session's new expiry
	// were stored with the code's use.
	g := grantOf(c)
	checkGrant(t, s, g)
	gotRT, err := s.GetRefreshToken(ctx, rt.Hash, at(0))
	must(t, err)
	wantRT := rt
	wantRT.GrantID = g.ID
	check(t, "GetRefreshToken of the redemption's token", gotRT, wantRT)
	gotSession, err := s.GetUpstreamSession(ctx, session.ID, at(0))
	must(t, err)
	if !gotSession.ExpiresAt.Equal(g.ExpiresAt) {
		t.Errorf("upstream session expires at %v, want the grant's %v", gotSession.ExpiresAt, g.ExpiresAt)
	}

	// A replay gets the code, with the first redemption's UsedAt, so that the
	// caller can revoke the grant that redemption created.
	got, err = s.RedeemAuthCode(ctx, redemption(c.Hash, at(20*time.Second)))
	wantErr(t, "RedeemAuthCode replayed", err, storage.ErrAlreadyUsed)
	check(t, "RedeemAuthCode replayed", got, want)
	if len(issued) != 1 {
		t.Errorf("Issue called for a replayed code")
	}

	_, err = s.RedeemAuthCode(ctx, redemption(c.Hash, c.ExpiresAt))
	wantErr(t, "RedeemAuthCode of a used code after ExpiresAt", err, storage.ErrNotFound)
}

// testAuthCodeRedeemRefused: Issue's refusal comes back unchanged, with the
// code, and the code is used up without a grant.
func testAuthCodeRedeemRefused(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newAuthCode("code-hash-1", "grant-1")
	must(t, s.CreateAuthCode(ctx, c))
	refusal := errors.New("the verifier does not match")
	got, err := s.RedeemAuthCode(ctx, storage.Redemption{Hash: c.Hash, Now: at(0),
		Issue: func(storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
			return storage.Grant{}, nil, refusal
		}})
	if err != refusal {
		t.Fatalf("RedeemAuthCode refused by Issue: got error %v, want Issue's own", err)
	}
	want := c
	want.UsedAt = at(0)
	check(t, "RedeemAuthCode refused by Issue", got, want)
	_, err = s.GetGrant(ctx, c.GrantID)
	wantErr(t, "GetGrant after a refusal", err, storage.ErrNotFound)
	got, err = redeem(t, s, c.Hash, at(time.Second))
	wantErr(t, "RedeemAuthCode after a refusal", err, storage.ErrAlreadyUsed)
	check(t, "RedeemAuthCode after a refusal", got, want)
}

// testAuthCodeRedeemGrantFails: when the grant cannot be stored, nothing
// is, and the code stays unused.
func testAuthCodeRedeemGrantFails(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newAuthCode("code-hash-1", "grant-1")
	must(t, s.CreateAuthCode(ctx, c))
	taken := newRefreshToken("rt-taken")
	must(t, s.CreateGrant(ctx, newGrant("grant-other", "client-a", "user-1"), &taken))

	_, err := s.RedeemAuthCode(ctx, storage.Redemption{Hash: c.Hash, Now: at(0), Issue: issue(&taken)})
	wantErr(t, "RedeemAuthCode with a taken token hash", err, storage.ErrAlreadyExists)
	_, err = s.GetGrant(ctx, c.GrantID)
	wantErr(t, "GetGrant of a grant whose token was refused", err, storage.ErrNotFound)

	_, err = s.RedeemAuthCode(ctx, storage.Redemption{Hash: c.Hash, Now: at(0),
		Issue: func(c storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
			return newGrant("grant-not-the-codes", c.ClientID, c.Identity.Subject), nil, nil
		}})
	if err == nil {
		t.Fatal("RedeemAuthCode stored a grant whose ID is not the code's")
	}
	_, err = s.GetGrant(ctx, "grant-not-the-codes")
	wantErr(t, "GetGrant of a grant with another ID than the code's", err, storage.ErrNotFound)

	got, err := redeem(t, s, c.Hash, at(time.Second))
	must(t, err)
	want := c
	want.UsedAt = at(time.Second)
	check(t, "RedeemAuthCode after two failures", got, want)
	checkGrant(t, s, grantOf(c))
}

func testAuthCodeEmptySlices(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newAuthCode("code-hash-1", "grant-1")
	c.Scopes, c.Identity.Groups = []string{}, []string{}
	must(t, s.CreateAuthCode(ctx, c))
	got, err := redeem(t, s, c.Hash, at(0))
	must(t, err)
	want := c
	want.Scopes, want.Identity.Groups, want.UsedAt = nil, nil, at(0)
	check(t, "RedeemAuthCode", got, want)
}

// testAuthCodeRace checks that a code is single use under contention: one
// winner, whose grant is stored, and every loser learns the grant to
// revoke. Several codes are
// raced, because one race can miss a window that a broken store leaves open.
func testAuthCodeRace(t *testing.T, s storage.Store) {
	const codes, racers = 10, 50
	for i := range codes {
		raceAuthCode(t, s, newAuthCode(fmt.Sprintf("code-hash-%d", i), fmt.Sprintf("grant-%d", i)), racers)
	}
}

func raceAuthCode(t *testing.T, s storage.Store, c storage.AuthCode, racers int) {
	t.Helper()
	ctx := t.Context()
	must(t, s.CreateAuthCode(ctx, c))
	now := at(10 * time.Second)
	codes := make([]storage.AuthCode, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			codes[i], errs[i] = redeem(t, s, c.Hash, now)
		})
	}
	close(start)
	wg.Wait()

	want := c
	want.UsedAt = now
	wins, used := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, storage.ErrAlreadyUsed):
			used++
		default:
			t.Errorf("%s, racer %d: unexpected error %v", c.Hash, i, err)
			continue
		}
		check(t, fmt.Sprintf("%s, racer %d", c.Hash, i), codes[i], want)
	}
	if wins != 1 || used != racers-1 {
		t.Fatalf("%s: of %d racers, %d got the code and %d ErrAlreadyUsed; want 1 and %d", c.Hash, racers, wins, used, racers-1)
	}
	checkGrant(t, s, grantOf(c))
}
