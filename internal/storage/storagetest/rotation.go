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

// grace is the grace period the rotation tests allow for a lost response.
const grace = 10 * time.Second

const reuseReason = "refresh_token_reuse"

// createGrant stores a grant of user-1 to client-a with a first refresh token
// named after it.
func createGrant(t *testing.T, s storage.Store, id string) (storage.Grant, storage.RefreshToken) {
	t.Helper()
	g := newGrant(id, "client-a", "user-1")
	rt := newRefreshToken(id + "-rt-0")
	must(t, s.CreateGrant(t.Context(), g, &rt))
	rt.GrantID = id
	return g, rt
}

func rotate(t *testing.T, s storage.Store, old, next string, now time.Time, grace time.Duration) (storage.Grant, error) {
	t.Helper()
	return s.RotateRefreshToken(t.Context(), storage.Rotation{
		OldHash: old, New: newRefreshToken(next), Now: now, Grace: grace,
	})
}

// checkRevokedForReuse checks that g (as the last successful rotation left
// it) was revoked for reuse at now,
// lost the refresh tokens named and appears in the revocation feed.
func checkRevokedForReuse(t *testing.T, s storage.Store, g storage.Grant, now time.Time, tokens ...string) {
	t.Helper()
	want := g
	want.RevokedAt, want.RevokeReason = now, reuseReason
	got, err := s.GetGrant(t.Context(), g.ID)
	must(t, err)
	check(t, "GetGrant after reuse", got, want)
	for _, hash := range tokens {
		_, err := rotate(t, s, hash, hash+"-after-reuse", now, grace)
		wantErr(t, "RotateRefreshToken of "+hash+" after reuse", err, storage.ErrNotFound)
	}
	feed, err := s.RevokedGrantsSince(t.Context(), now)
	must(t, err)
	if !slices.ContainsFunc(feed, func(r storage.RevokedGrant) bool { return r.ID == g.ID && r.RevokedAt.Equal(now) }) {
		t.Errorf("RevokedGrantsSince(%v) = %v, want it to hold %s", now, feed, g.ID)
	}
}

// checkReused checks the answer to a replayed token: ErrReused, with the
// grant as revoked.
func checkReused(t *testing.T, got storage.Grant, err error, g storage.Grant, now time.Time) {
	t.Helper()
	wantErr(t, "RotateRefreshToken of a replayed token", err, storage.ErrReused)
	want := g
	want.RevokedAt, want.RevokeReason = now, reuseReason
	check(t, "the grant returned with ErrReused", got, want)
}

func testRotationCurrent(t *testing.T, s storage.Store) {
	g, rt := createGrant(t, s, "grant-1")
	now := at(time.Minute)
	got, err := rotate(t, s, rt.Hash, "rt-1", elsewhere(now), grace)
	must(t, err)
	want := g
	want.LastUsedAt = now
	check(t, "RotateRefreshToken", got, want)
	checkGrant(t, s, want)

	// The new token is current in turn.
	later := now.Add(time.Hour)
	got, err = rotate(t, s, "rt-1", "rt-2", later, grace)
	must(t, err)
	want.LastUsedAt = later
	check(t, "RotateRefreshToken of the successor", got, want)
}

// testRotationHashTaken checks that a rotation that cannot store its new
// token changes nothing.
func testRotationHashTaken(t *testing.T, s storage.Store) {
	_, rt := createGrant(t, s, "grant-1")
	_, other := createGrant(t, s, "grant-2")
	_, err := rotate(t, s, rt.Hash, other.Hash, at(time.Minute), 0)
	wantErr(t, "RotateRefreshToken to a taken hash", err, storage.ErrAlreadyExists)
	_, err = rotate(t, s, rt.Hash, "rt-1", at(2*time.Minute), 0)
	must(t, err) // still current, so not reuse
	_, err = rotate(t, s, other.Hash, "rt-other-1", at(2*time.Minute), 0)
	must(t, err)
}

func testRotationReuse(t *testing.T, s storage.Store) {
	_, rt := createGrant(t, s, "grant-1")
	_, otherRT := createGrant(t, s, "grant-2") // same user and client
	rotated := at(time.Minute)
	g, err := rotate(t, s, rt.Hash, "rt-1", rotated, grace)
	must(t, err)

	// Exactly Grace later is outside the window ("less than Grace ago").
	reuse := rotated.Add(grace)
	got, err := rotate(t, s, rt.Hash, "rt-1b", reuse, grace)
	checkReused(t, got, err, g, reuse)
	checkRevokedForReuse(t, s, g, reuse, rt.Hash, "rt-1", "rt-1b")

	_, err = rotate(t, s, otherRT.Hash, "rt-other-1", reuse, grace)
	must(t, err) // another grant is not touched
}

// testRotationGraceRetry: the response carrying rt-1 was lost, so the
// client presents rt-0 again within the grace period.
func testRotationGraceRetry(t *testing.T, s storage.Store) {
	g, rt := createGrant(t, s, "grant-1")
	rotated := at(time.Minute)
	_, err := rotate(t, s, rt.Hash, "rt-1", rotated, grace)
	must(t, err)
	retry := rotated.Add(grace - time.Nanosecond)
	got, err := rotate(t, s, rt.Hash, "rt-1b", retry, grace)
	must(t, err)
	want := g
	want.LastUsedAt = retry
	check(t, "RotateRefreshToken retried within the grace period", got, want)

	_, err = rotate(t, s, "rt-1b", "rt-2", retry.Add(time.Second), grace)
	must(t, err) // the replacement is current
	want.LastUsedAt = retry.Add(time.Second)
	checkGrant(t, s, want)
}

// testRotationGraceOnce: the grace period lets a client that lost the
// response retry once. Presenting the old token a second time is reuse,
// even inside the window and with the replacement never used: a client
// that lost two responses in a row signs in again rather than leave a
// stolen token good for the whole window.
func testRotationGraceOnce(t *testing.T, s storage.Store) {
	_, rt := createGrant(t, s, "grant-1")
	rotated := at(time.Minute)
	_, err := rotate(t, s, rt.Hash, "rt-1", rotated, grace)
	must(t, err)
	g, err := rotate(t, s, rt.Hash, "rt-1b", rotated.Add(time.Second), grace)
	must(t, err)
	reuse := rotated.Add(2 * time.Second)
	got, err := rotate(t, s, rt.Hash, "rt-1c", reuse, grace)
	checkReused(t, got, err, g, reuse)
	checkRevokedForReuse(t, s, g, reuse, rt.Hash, "rt-1", "rt-1b", "rt-1c")
}

// testRotationRetiredSuccessor: after a grace retry, the successor it
// replaced was never delivered as far as the store knows; presenting it is
// reuse, even inside the grace window.
func testRotationRetiredSuccessor(t *testing.T, s storage.Store) {
	_, rt := createGrant(t, s, "grant-1")
	rotated := at(time.Minute)
	_, err := rotate(t, s, rt.Hash, "rt-1", rotated, grace)
	must(t, err)
	g, err := rotate(t, s, rt.Hash, "rt-1b", rotated.Add(time.Second), grace)
	must(t, err)
	reuse := rotated.Add(2 * time.Second)
	got, err := rotate(t, s, "rt-1", "rt-2", reuse, grace)
	checkReused(t, got, err, g, reuse)
	checkRevokedForReuse(t, s, g, reuse, rt.Hash, "rt-1", "rt-1b", "rt-2")
}

// testRotationGraceFromFirstRotation: retries do not stretch the window.
func testRotationGraceFromFirstRotation(t *testing.T, s storage.Store) {
	_, rt := createGrant(t, s, "grant-1")
	rotated := at(time.Minute)
	_, err := rotate(t, s, rt.Hash, "rt-1", rotated, grace)
	must(t, err)
	g, err := rotate(t, s, rt.Hash, "rt-1b", rotated.Add(grace/2), grace)
	must(t, err)
	reuse := rotated.Add(grace)
	got, err := rotate(t, s, rt.Hash, "rt-1c", reuse, grace)
	checkReused(t, got, err, g, reuse)
	checkRevokedForReuse(t, s, g, reuse, "rt-1b")
}

// testRotationGraceSuccessorUsed: the successor was used, so the response
// was not lost and the old token is a replay.
func testRotationGraceSuccessorUsed(t *testing.T, s storage.Store) {
	_, rt := createGrant(t, s, "grant-1")
	rotated := at(time.Minute)
	_, err := rotate(t, s, rt.Hash, "rt-1", rotated, grace)
	must(t, err)
	g, err := rotate(t, s, "rt-1", "rt-2", rotated.Add(time.Second), grace)
	must(t, err)
	reuse := rotated.Add(2 * time.Second)
	got, err := rotate(t, s, rt.Hash, "rt-1b", reuse, grace)
	checkReused(t, got, err, g, reuse)
	checkRevokedForReuse(t, s, g, reuse, "rt-2")
}

func testRotationRevoked(t *testing.T, s storage.Store) {
	ctx := t.Context()
	// Revocation deletes tokens, so a revoked grant that still has one can
	// only be one that was stored revoked.
	revoked := newGrant("grant-revoked", "client-a", "user-1")
	revoked.RevokedAt, revoked.RevokeReason = at(0), "admin"
	rt := newRefreshToken("rt-revoked")
	must(t, s.CreateGrant(ctx, revoked, &rt))
	got, err := rotate(t, s, rt.Hash, "rt-revoked-1", at(time.Minute), grace)
	wantErr(t, "RotateRefreshToken of a revoked grant", err, storage.ErrRevoked)
	check(t, "the grant returned with ErrRevoked", got, revoked)

	expiring := newGrant("grant-expiring", "client-a", "user-1")
	expiring.ExpiresAt = at(time.Hour)
	rt = newRefreshToken("rt-expiring") // outlives the grant
	must(t, s.CreateGrant(ctx, expiring, &rt))
	got, err = rotate(t, s, rt.Hash, "rt-expiring-1", expiring.ExpiresAt, grace)
	wantErr(t, "RotateRefreshToken at the grant's ExpiresAt", err, storage.ErrRevoked)
	check(t, "the grant returned with ErrRevoked", got, expiring)
	// The refusal changed nothing: just before expiry the token is current.
	_, err = rotate(t, s, rt.Hash, "rt-expiring-1", expiring.ExpiresAt.Add(-time.Nanosecond), grace)
	must(t, err)
}

func testRotationNotFound(t *testing.T, s storage.Store) {
	g, rt := createGrant(t, s, "grant-1")
	_, err := rotate(t, s, "rt-unknown", "rt-1", at(time.Minute), grace)
	wantErr(t, "RotateRefreshToken of an unknown token", err, storage.ErrNotFound)
	for _, now := range []time.Time{rt.ExpiresAt, rt.ExpiresAt.Add(time.Hour)} {
		_, err = rotate(t, s, rt.Hash, "rt-1", now, grace)
		wantErr(t, "RotateRefreshToken of an expired token", err, storage.ErrNotFound)
	}
	checkGrant(t, s, g) // an expired token is not reuse
}

// testRotationRace: 20 callers present the same current token at once with no
// grace period. Rotations of a token are serialised, so the first wins, the
// second is reuse and revokes the grant (deleting its tokens), and the rest
// find no token at all. Several grants are raced, because one race can miss a
// window that a broken store leaves open.
func testRotationRace(t *testing.T, s storage.Store) {
	const grants, racers = 5, 20
	for i := range grants {
		raceRotation(t, s, fmt.Sprintf("grant-%d", i), racers)
	}
}

func raceRotation(t *testing.T, s storage.Store, id string, racers int) {
	t.Helper()
	_, rt := createGrant(t, s, id)
	now := at(time.Minute)
	grants := make([]storage.Grant, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			grants[i], errs[i] = s.RotateRefreshToken(t.Context(), storage.Rotation{
				OldHash: rt.Hash, New: newRefreshToken(fmt.Sprintf("%s-racer-%d", id, i)), Now: now,
			})
		})
	}
	close(start)
	wg.Wait()

	winner, reused, notFound := -1, 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("%s: racers %d and %d both rotated the token", id, winner, i)
			}
			winner = i
		case errors.Is(err, storage.ErrReused):
			reused++
			if grants[i].ID != id || !grants[i].Revoked() {
				t.Errorf("%s, racer %d: ErrReused came with grant %+v, want it revoked", id, i, grants[i])
			}
		case errors.Is(err, storage.ErrNotFound):
			notFound++
		default:
			t.Errorf("%s, racer %d: unexpected error %v", id, i, err)
		}
	}
	if winner < 0 || reused != 1 || notFound != racers-2 {
		t.Fatalf("%s: of %d racers, winner %d, %d ErrReused, %d ErrNotFound; want one winner, 1 ErrReused and %d ErrNotFound",
			id, racers, winner, reused, notFound, racers-2)
	}
	checkRevokedForReuse(t, s, grants[winner], now, rt.Hash, fmt.Sprintf("%s-racer-%d", id, winner))
}

// testRotationGraceRace: the race of testRotationRace with a grace period,
// as deployments run (tokens.refresh_reuse_grace, 30 s by default). One
// racer rotates the token, the next takes its one grace retry, the third
// is reuse and revokes the grant, and the rest find no token: of any
// number presenting one token at once, at most two get a new one, and
// with three or more the grant ends revoked.
func testRotationGraceRace(t *testing.T, s storage.Store) {
	const grants, racers = 5, 20
	for i := range grants {
		id := fmt.Sprintf("grant-%d", i)
		_, rt := createGrant(t, s, id)
		now := at(time.Minute)
		errs := make([]error, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				<-start
				_, errs[i] = rotate(t, s, rt.Hash, fmt.Sprintf("%s-racer-%d", id, i), now, grace)
			})
		}
		close(start)
		wg.Wait()

		rotated, reused, notFound := 0, 0, 0
		for i, err := range errs {
			switch {
			case err == nil:
				rotated++
			case errors.Is(err, storage.ErrReused):
				reused++
			case errors.Is(err, storage.ErrNotFound):
				notFound++
			default:
				t.Errorf("%s, racer %d: unexpected error %v", id, i, err)
			}
		}
		if rotated != 2 || reused != 1 || notFound != racers-3 {
			t.Fatalf("%s: of %d racers, %d got a new token, %d ErrReused, %d ErrNotFound; want 2 (a rotation and its retry), 1 and %d",
				id, racers, rotated, reused, notFound, racers-3)
		}
		g, err := s.GetGrant(t.Context(), id)
		must(t, err)
		if !g.Revoked() || g.RevokeReason != reuseReason {
			t.Errorf("%s after the race: revoked at %v for %q, want revoked for %q", id, g.RevokedAt, g.RevokeReason, reuseReason)
		}
	}
}

// testRotationCheck checks that a refusing Check leaves the token current
// and that its error comes back unchanged.
func testRotationCheck(t *testing.T, s storage.Store) {
	g, rt := createGrant(t, s, "grant-1")
	refuse := errors.New("refused by the caller")
	var seen storage.Grant
	_, err := s.RotateRefreshToken(t.Context(), storage.Rotation{
		OldHash: rt.Hash, New: newRefreshToken("rt-1"), Now: at(time.Minute), Grace: grace,
		Check: func(g storage.Grant) error { seen = g; return refuse },
	})
	if err != refuse {
		t.Fatalf("RotateRefreshToken with a refusing Check = %v, want the Check's error unchanged", err)
	}
	check(t, "the grant given to Check", seen, g)
	checkGrant(t, s, g) // LastUsedAt untouched
	// Nothing changed: the token is still current, and rt-1 was never stored.
	_, err = rotate(t, s, "rt-1", "rt-x", at(2*time.Minute), grace)
	wantErr(t, "RotateRefreshToken of the aborted successor", err, storage.ErrNotFound)
	_, err = s.RotateRefreshToken(t.Context(), storage.Rotation{
		OldHash: rt.Hash, New: newRefreshToken("rt-2"), Now: at(2 * time.Minute), Grace: grace,
		Check: func(storage.Grant) error { return nil },
	})
	must(t, err)
}

func inspect(t *testing.T, s storage.Store, hash string, now time.Time) (storage.Grant, error) {
	t.Helper()
	return s.RotateRefreshToken(t.Context(), storage.Rotation{
		OldHash: hash, New: newRefreshToken(hash + "-not-stored"), Now: now, Grace: grace, Inspect: true,
	})
}

// testRotationInspect: an inspection (token exchange presenting a refresh
// token) keeps a current token current and stores nothing new; it changes
// nothing for a token in its grace window, whose one retry the refresh
// grant can still make; and a replayed token is reuse, as in a rotation.
func testRotationInspect(t *testing.T, s storage.Store) {
	g, rt := createGrant(t, s, "grant-1")
	now := at(time.Minute)
	got, err := inspect(t, s, rt.Hash, now)
	must(t, err)
	want := g
	want.LastUsedAt = now
	check(t, "an inspected current token", got, want)
	checkGrant(t, s, want)
	_, err = s.GetRefreshToken(t.Context(), rt.Hash+"-not-stored", now)
	wantErr(t, "GetRefreshToken of New after an inspection", err, storage.ErrNotFound)
	// Still current: it rotates, and is inspected again, as often as asked.
	_, err = inspect(t, s, rt.Hash, now.Add(time.Second))
	must(t, err)
	rotated := now.Add(2 * time.Second)
	_, err = rotate(t, s, rt.Hash, "rt-1", rotated, grace)
	must(t, err)

	// In the grace window: refused, and the retry is still there.
	_, err = inspect(t, s, rt.Hash, rotated.Add(time.Second))
	wantErr(t, "inspecting a token in its grace window", err, storage.ErrNotFound)
	_, err = rotate(t, s, rt.Hash, "rt-1b", rotated.Add(2*time.Second), grace)
	must(t, err)

	// Replayed: reuse, the grant revoked.
	want.LastUsedAt = rotated.Add(2 * time.Second)
	reuse := rotated.Add(3 * time.Second)
	got, err = inspect(t, s, rt.Hash, reuse)
	checkReused(t, got, err, want, reuse)
	checkRevokedForReuse(t, s, want, reuse, rt.Hash, "rt-1b")
}
