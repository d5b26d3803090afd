package postgres

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// The tests below stand in for replicas: two Stores, two pools, one
// database, so that only PostgreSQL's locks keep order between them.

func twoStores(t *testing.T) [2]*Store {
	t.Helper()
	dsn := newDatabase(t)
	stores := [2]*Store{open(t, dsn), open(t, dsn)}
	t.Cleanup(func() {
		stores[0].Close()
		stores[1].Close()
	})
	return stores
}

// checkNoRetries fails the test if a transaction had to be run again: the
// races these tests stage must be settled by locks taken in one order, not
// by PostgreSQL breaking deadlocks (which also costs a second each).
func checkNoRetries(t *testing.T, stores [2]*Store) {
	t.Helper()
	if n := stores[0].retries.Load() + stores[1].retries.Load(); n != 0 {
		t.Errorf("%d transactions were retried after a deadlock or serialization failure, want none", n)
	}
}

// race runs fn(i, store) for i in [0, n) at once, alternating stores.
func race(stores [2]*Store, n int, fn func(i int, s *Store)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i, stores[i%2])
		})
	}
	close(start)
	wg.Wait()
}

func TestCrossStoreRedeemAuthCode(t *testing.T) {
	ctx := t.Context()
	stores := twoStores(t)
	now := time.Unix(1000, 0)
	const codes, racers = 5, 20
	for c := range codes {
		hash := fmt.Sprintf("code-%d", c)
		code := storage.AuthCode{Hash: hash, GrantID: "grant-" + hash, ExpiresAt: now.Add(time.Minute)}
		if err := stores[c%2].CreateAuthCode(ctx, code); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, racers)
		race(stores, racers, func(i int, s *Store) {
			_, errs[i] = s.RedeemAuthCode(ctx, storage.Redemption{Hash: hash, Now: now, Issue: codeGrant})
		})
		wins, used := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, storage.ErrAlreadyUsed):
				used++
			default:
				t.Errorf("%s: RedeemAuthCode: %v", hash, err)
			}
		}
		if wins != 1 || used != racers-1 {
			t.Errorf("%s: %d winners, %d ErrAlreadyUsed; want 1 and %d", hash, wins, used, racers-1)
		}
	}
	checkNoRetries(t, stores)
}

func TestCrossStoreRotateRefreshToken(t *testing.T) {
	ctx := t.Context()
	stores := twoStores(t)
	now := time.Unix(1000, 0)
	const grants, racers = 5, 20
	for g := range grants {
		id := fmt.Sprintf("grant-%d", g)
		rt := storage.RefreshToken{Hash: id + "-rt", ExpiresAt: now.Add(time.Hour)}
		if err := stores[g%2].CreateGrant(ctx, storage.Grant{ID: id}, &rt); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, racers)
		race(stores, racers, func(i int, s *Store) {
			_, errs[i] = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: rt.Hash,
				New: storage.RefreshToken{Hash: fmt.Sprintf("%s-rt-%d", id, i), ExpiresAt: now.Add(time.Hour)}, Now: now})
		})
		wins, reused, notFound := 0, 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, storage.ErrReused):
				reused++
			case errors.Is(err, storage.ErrNotFound):
				notFound++
			default:
				t.Errorf("%s: RotateRefreshToken: %v", id, err)
			}
		}
		if wins != 1 || reused != 1 || notFound != racers-2 {
			t.Errorf("%s: %d winners, %d ErrReused, %d ErrNotFound; want 1, 1 and %d", id, wins, reused, notFound, racers-2)
		}
	}
	checkNoRetries(t, stores)
}

// TestCrossStoreRotateWhileRevoking races a rotation on one replica against
// a revocation on the other. Whichever goes first, the grant ends revoked
// with no refresh token left: a successor stored by the rotation must not
// outlive a revocation that ran beside it.
func TestCrossStoreRotateWhileRevoking(t *testing.T) {
	ctx := t.Context()
	stores := twoStores(t)
	now := time.Unix(1000, 0)
	for g := range 20 {
		id := fmt.Sprintf("grant-%d", g)
		rt := storage.RefreshToken{Hash: id + "-rt", ExpiresAt: now.Add(time.Hour)}
		next := storage.RefreshToken{Hash: id + "-next", ExpiresAt: now.Add(time.Hour)}
		if err := stores[0].CreateGrant(ctx, storage.Grant{ID: id}, &rt); err != nil {
			t.Fatal(err)
		}
		var rotateErr, revokeErr error
		race(stores, 2, func(i int, s *Store) {
			if i == 0 {
				_, rotateErr = s.RotateRefreshToken(ctx, storage.Rotation{OldHash: rt.Hash, New: next, Now: now})
			} else {
				_, revokeErr = s.RevokeGrant(ctx, id, "admin", now)
			}
		})
		if revokeErr != nil || (rotateErr != nil && !errors.Is(rotateErr, storage.ErrNotFound)) {
			t.Fatalf("%s: RevokeGrant: %v; RotateRefreshToken: %v (ErrNotFound allowed)", id, revokeErr, rotateErr)
		}
		for _, hash := range []string{rt.Hash, next.Hash} {
			if _, err := stores[1].GetRefreshToken(ctx, hash, now); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("%s: refresh token %s after revocation: got %v, want ErrNotFound", id, hash, err)
			}
		}
	}
	checkNoRetries(t, stores)
}

// TestCrossStoreUpdates checks compare-and-swap across replicas: no update
// of a client, a request or a consent is lost.
func TestCrossStoreUpdates(t *testing.T) {
	ctx := t.Context()
	stores := twoStores(t)
	now := time.Unix(1000, 0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(stores[0].CreateClient(ctx, storage.Client{ID: "client-a"}))
	must(stores[1].CreateAuthRequest(ctx, storage.AuthRequest{ID: "request-1", ExpiresAt: now.Add(time.Hour)}))
	const writers = 10
	errs := make([]error, 3*writers)
	race(stores, writers, func(i int, s *Store) {
		errs[3*i] = s.UpdateClient(ctx, "client-a", func(c storage.Client) (storage.Client, error) {
			c.RedirectURIs = append(c.RedirectURIs, fmt.Sprintf("https://%d.example/cb", i))
			return c, nil
		})
		errs[3*i+1] = s.UpdateAuthRequest(ctx, "request-1", now, func(r storage.AuthRequest) (storage.AuthRequest, error) {
			r.Scopes = append(r.Scopes, fmt.Sprintf("scope-%d", i))
			return r, nil
		})
		// Every writer's first approval races to create the consent.
		_, errs[3*i+2] = s.UpsertConsent(ctx, storage.Consent{Subject: "user-1", ClientID: "client-a",
			Approved: map[string][]string{"https://mcp.example/a": {fmt.Sprintf("scope-%d", i)}}, CreatedAt: now, UpdatedAt: now})
	})
	must(errors.Join(errs...))
	c, err := stores[0].GetClient(ctx, "client-a")
	must(err)
	r, err := stores[1].GetAuthRequest(ctx, "request-1", now)
	must(err)
	consent, err := stores[0].GetConsent(ctx, "user-1", "client-a")
	must(err)
	if len(c.RedirectURIs) != writers || len(r.Scopes) != writers || len(consent.Approved["https://mcp.example/a"]) != writers {
		t.Errorf("after %d updates from two stores: %d redirect URIs, %d request scopes, %d consent scopes",
			writers, len(c.RedirectURIs), len(r.Scopes), len(consent.Approved["https://mcp.example/a"]))
	}
	checkNoRetries(t, stores)
}

// TestCrossStoreAudit: appends from two replicas form one unbroken chain.
func TestCrossStoreAudit(t *testing.T) {
	ctx := t.Context()
	stores := twoStores(t)
	seal := func(r *storage.AuditRecord) {
		h := sha256.Sum256(fmt.Appendf(nil, "%x|%d", r.PrevHash, r.Seq))
		r.Hash, r.KeyID = h[:], "k1"
	}
	const writers, each = 10, 5
	errs := make([]error, writers)
	race(stores, writers, func(i int, s *Store) {
		for j := range each {
			rec := storage.AuditRecord{Time: time.Unix(int64(j), 0), Type: "t", Payload: []byte("{}")}
			if errs[i] = s.AppendAudit(ctx, []storage.AuditRecord{rec, rec}, seal); errs[i] != nil {
				return
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	recs, err := stores[0].ListAudit(ctx, storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2*writers*each {
		t.Fatalf("%d records, want %d", len(recs), 2*writers*each)
	}
	var prev []byte
	for i, r := range recs {
		if r.Seq != int64(i+1) || !bytes.Equal(r.PrevHash, prev) {
			t.Fatalf("chain broken at record %d (seq %d)", i, r.Seq)
		}
		prev = r.Hash
	}
	checkNoRetries(t, stores)
}
