package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// codeOf is a code of grant id whose identity is changed by set.
func codeOf(id string, set func(*storage.AuthCode)) storage.AuthCode {
	c := newAuthCode("code-hash-"+id, id)
	c.Identity = newIdentity("alice")
	c.Identity.Upstream.SID = "sid-1"
	set(&c)
	return c
}

// testAuthCodeDelete: DeleteAuthCodes deletes the live codes its filter
// selects, by Drawbridge's subject, client, or upstream sign-in narrowed
// to a provider and issuer, and nothing else: not a used code (its replay
// must still revoke its grant), not an expired one, and nothing at all for
// a filter that names no one.
func testAuthCodeDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const issuer = "https://idp.example"
	codes := []storage.AuthCode{
		codeOf("alice-sid-1", func(*storage.AuthCode) {}),
		codeOf("alice-sid-2", func(c *storage.AuthCode) { c.ClientID, c.Identity.Upstream.SID = "client-b", "sid-2" }),
		codeOf("alice-used", func(*storage.AuthCode) {}),
		codeOf("alice-expired", func(c *storage.AuthCode) { c.ExpiresAt = at(5 * time.Second) }),
		codeOf("alice-old-issuer", func(c *storage.AuthCode) { c.Identity.Upstream.Issuer = "https://old-idp.example" }),
		codeOf("alice-other-provider", func(c *storage.AuthCode) { c.Identity.Provider = "local" }),
		codeOf("bob-a", func(c *storage.AuthCode) { c.Identity = newIdentity("bob") }),
		codeOf("bob-b", func(c *storage.AuthCode) { c.Identity, c.ClientID = newIdentity("bob"), "client-b" }),
	}
	for _, c := range codes {
		must(t, s.CreateAuthCode(ctx, c))
	}
	_, err := redeem(t, s, "code-hash-alice-used", at(time.Second))
	must(t, err)
	now := at(10 * time.Second)

	steps := []struct {
		name string
		f    storage.CodeFilter
		want int
	}{
		{"empty filter", storage.CodeFilter{}, 0},
		{"a provider and issuer alone", storage.CodeFilter{Provider: "oidc", UpstreamIssuer: issuer}, 0},
		{"an upstream session", storage.CodeFilter{Provider: "oidc", UpstreamIssuer: issuer, UpstreamSID: "sid-1"}, 1},
		{"an upstream user", storage.CodeFilter{Provider: "oidc", UpstreamIssuer: issuer, UpstreamSubject: "idp-alice"}, 1},
		{"a user and a client", storage.CodeFilter{Subject: "bob", ClientID: "client-b"}, 1},
		{"a user", storage.CodeFilter{Subject: "alice"}, 2},
		{"a user again", storage.CodeFilter{Subject: "alice"}, 0},
	}
	for _, st := range steps {
		n, err := s.DeleteAuthCodes(ctx, st.f, now)
		must(t, err)
		if n != st.want {
			t.Errorf("DeleteAuthCodes, %s: %d codes deleted, want %d", st.name, n, st.want)
		}
	}

	gone := []string{"alice-sid-1", "alice-sid-2", "alice-old-issuer", "alice-other-provider", "bob-b"}
	for _, id := range gone {
		_, err := redeem(t, s, "code-hash-"+id, now)
		wantErr(t, "RedeemAuthCode of deleted code "+id, err, storage.ErrNotFound)
		_, err = s.GetGrant(ctx, id)
		wantErr(t, "GetGrant of deleted code "+id, err, storage.ErrNotFound)
	}
	_, err = redeem(t, s, "code-hash-alice-used", now)
	wantErr(t, "RedeemAuthCode of the code used before the deletion", err, storage.ErrAlreadyUsed)
	_, err = redeem(t, s, "code-hash-bob-a", now)
	must(t, err)
	checkGrant(t, s, grantOf(codes[6]))
	// The expired code was left for DeleteExpired.
	res, err := s.DeleteExpired(ctx, now, 0)
	must(t, err)
	if res.AuthCodes != 1 {
		t.Errorf("DeleteExpired removed %d codes, want 1 (the expired one)", res.AuthCodes)
	}
}

// testAuthCodeDeleteRace races DeleteAuthCodes with redemptions of the
// codes it selects. Each code is redeemed or deleted, never both; a
// redeemed code stays, used; and every grant a redemption stored is among
// the grants listed right after DeleteAuthCodes returns: that is what lets
// a caller delete the codes first and then revoke the grants it lists.
func testAuthCodeDeleteRace(t *testing.T, s storage.Store) {
	const rounds, codes = 10, 20
	for r := range rounds {
		raceAuthCodeDelete(t, s, fmt.Sprintf("user-%d", r), codes)
	}
}

func raceAuthCodeDelete(t *testing.T, s storage.Store, user string, codes int) {
	t.Helper()
	ctx := t.Context()
	hashes := make([]string, codes)
	for i := range codes {
		c := newAuthCode(fmt.Sprintf("code-hash-%s-%d", user, i), fmt.Sprintf("grant-%s-%d", user, i))
		c.Identity = newIdentity(user)
		hashes[i] = c.Hash
		must(t, s.CreateAuthCode(ctx, c))
	}
	now := at(10 * time.Second)
	errs := make([]error, codes)
	granted := make([]string, codes)
	var deleted int
	var listed []storage.Grant
	var delErr, listErr error
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			<-start
			var c storage.AuthCode
			c, errs[i] = redeem(t, s, hashes[i], now)
			granted[i] = c.GrantID
		})
	}
	wg.Go(func() {
		<-start
		if deleted, delErr = s.DeleteAuthCodes(ctx, storage.CodeFilter{Subject: user}, now); delErr == nil {
			listed, listErr = s.ListGrants(ctx, storage.GrantFilter{Subject: user})
		}
	})
	close(start)
	wg.Wait()
	must(t, delErr)
	must(t, listErr)

	redeemed := 0
	for i, err := range errs {
		switch {
		case err == nil:
			redeemed++
			if !slices.ContainsFunc(listed, func(g storage.Grant) bool { return g.ID == granted[i] }) {
				t.Errorf("%s: the grant of code %d, redeemed, is not among the grants listed after the deletion", user, i)
			}
			_, err := redeem(t, s, hashes[i], now)
			wantErr(t, fmt.Sprintf("%s: code %d redeemed again", user, i), err, storage.ErrAlreadyUsed)
		case errors.Is(err, storage.ErrNotFound):
			_, err := s.GetGrant(ctx, fmt.Sprintf("grant-%s-%d", user, i))
			wantErr(t, fmt.Sprintf("%s: the grant of deleted code %d", user, i), err, storage.ErrNotFound)
		default:
			t.Errorf("%s: redemption %d: %v", user, i, err)
		}
	}
	if redeemed+deleted != codes {
		t.Errorf("%s: %d codes redeemed and %d deleted, of %d", user, redeemed, deleted, codes)
	}
}
