package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testUpstreamSession(t *testing.T, s storage.Store) {
	ctx := t.Context()
	u := newUpstreamSession("session-1")
	u.UpdatedAt = elsewhere(u.UpdatedAt)
	must(t, s.PutUpstreamSession(ctx, u))
	checkUpstreamSession(t, s, u, at(0))

	// Put replaces the whole session.
	u.Subject, u.Provider, u.Sealed = "user-2", "okta", []byte("resealed")
	u.CreatedAt, u.UpdatedAt, u.ExpiresAt = at(time.Second), at(time.Minute), at(2*time.Hour)
	must(t, s.PutUpstreamSession(ctx, u))
	checkUpstreamSession(t, s, u, u.ExpiresAt.Add(-time.Nanosecond))
	for _, now := range []time.Time{u.ExpiresAt, u.ExpiresAt.Add(time.Hour)} {
		_, err := s.GetUpstreamSession(ctx, u.ID, now)
		wantErr(t, "GetUpstreamSession at or after ExpiresAt", err, storage.ErrNotFound)
	}
	_, err := s.GetUpstreamSession(ctx, "session-missing", at(0))
	wantErr(t, "GetUpstreamSession of a missing session", err, storage.ErrNotFound)

	empty := newUpstreamSession("session-empty")
	empty.Sealed = []byte{}
	must(t, s.PutUpstreamSession(ctx, empty))
	empty.Sealed = nil
	checkUpstreamSession(t, s, empty, at(0))

	must(t, s.DeleteUpstreamSession(ctx, u.ID))
	_, err = s.GetUpstreamSession(ctx, u.ID, at(0))
	wantErr(t, "GetUpstreamSession after DeleteUpstreamSession", err, storage.ErrNotFound)
	wantErr(t, "DeleteUpstreamSession twice", s.DeleteUpstreamSession(ctx, u.ID), storage.ErrNotFound)
	checkUpstreamSession(t, s, empty, at(0))
}

func checkUpstreamSession(t *testing.T, s storage.Store, want storage.UpstreamSession, now time.Time) {
	t.Helper()
	got, err := s.GetUpstreamSession(t.Context(), want.ID, now)
	must(t, err)
	check(t, "GetUpstreamSession", got, want)
}

func testUpstreamSessionUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	u := newUpstreamSession("session-1")
	must(t, s.PutUpstreamSession(ctx, u))
	now := at(time.Minute)
	want := u
	want.Sealed, want.UpdatedAt, want.ExpiresAt = []byte("refreshed"), now, at(2*time.Hour)
	err := s.UpdateUpstreamSession(ctx, u.ID, now, func(old storage.UpstreamSession) (storage.UpstreamSession, error) {
		check(t, "UpdateUpstreamSession's fn argument", old, u)
		return want, nil
	})
	must(t, err)
	checkUpstreamSession(t, s, want, now)

	stop := errors.New("stop")
	err = s.UpdateUpstreamSession(ctx, u.ID, now, func(old storage.UpstreamSession) (storage.UpstreamSession, error) {
		old.Sealed = []byte("not saved")
		return old, stop
	})
	if err != stop {
		t.Errorf("UpdateUpstreamSession with a failing fn: got %v, want fn's error unchanged", err)
	}
	checkUpstreamSession(t, s, want, now)

	// The key cannot change.
	must(t, s.UpdateUpstreamSession(ctx, u.ID, now, func(old storage.UpstreamSession) (storage.UpstreamSession, error) {
		old.ID = "session-moved"
		return old, nil
	}))
	checkUpstreamSession(t, s, want, now)
	_, err = s.GetUpstreamSession(ctx, "session-moved", now)
	wantErr(t, "GetUpstreamSession of the ID fn tried to move to", err, storage.ErrNotFound)

	// Expired or missing sessions are not updated.
	called := false
	fn := func(old storage.UpstreamSession) (storage.UpstreamSession, error) { called = true; return old, nil }
	wantErr(t, "UpdateUpstreamSession at ExpiresAt", s.UpdateUpstreamSession(ctx, u.ID, want.ExpiresAt, fn), storage.ErrNotFound)
	wantErr(t, "UpdateUpstreamSession of a missing session", s.UpdateUpstreamSession(ctx, "session-missing", now, fn), storage.ErrNotFound)
	if called {
		t.Error("UpdateUpstreamSession called fn for an expired or missing session")
	}
}

// testUpstreamSessionUpdateConcurrent: updates are compare-and-swap, so
// none of many concurrent appends is lost.
func testUpstreamSessionUpdateConcurrent(t *testing.T, s storage.Store) {
	ctx := t.Context()
	u := newUpstreamSession("session-1")
	u.Sealed = nil
	must(t, s.PutUpstreamSession(ctx, u))
	const writers = 10
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.UpdateUpstreamSession(ctx, u.ID, at(0), func(old storage.UpstreamSession) (storage.UpstreamSession, error) {
				old.Sealed = append(old.Sealed, byte(i))
				return old, nil
			})
		})
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	got, err := s.GetUpstreamSession(ctx, u.ID, at(0))
	must(t, err)
	if len(got.Sealed) != writers {
		t.Errorf("after %d concurrent updates Sealed has %d bytes: updates were lost", writers, len(got.Sealed))
	}
}

func testUpstreamSessionList(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var all []storage.UpstreamSession
	for _, id := range []string{"session-c", "session-a", "session-b"} {
		u := newUpstreamSession(id)
		if id == "session-b" {
			u.ExpiresAt = at(-time.Hour) // expired sessions are listed too
		}
		must(t, s.PutUpstreamSession(ctx, u))
		all = append(all, u)
	}
	all = sorted(all, func(u storage.UpstreamSession) string { return u.ID })
	got, err := s.ListUpstreamSessions(ctx, "", 2)
	must(t, err)
	check(t, "ListUpstreamSessions first page", got, all[:2])
	got, err = s.ListUpstreamSessions(ctx, got[1].ID, 2)
	must(t, err)
	check(t, "ListUpstreamSessions second page", got, all[2:])
	got, err = s.ListUpstreamSessions(ctx, all[2].ID, 2)
	must(t, err)
	if len(got) != 0 {
		t.Errorf("ListUpstreamSessions after the last: %d sessions", len(got))
	}
}

// testUpstreamSessionLivesWithGrant: creating a grant gives its upstream
// session the grant's expiry; revoking the grant deletes the session.
func testUpstreamSessionLivesWithGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g := newGrant("grant-1", "client-a", "user-1")
	u := newUpstreamSession(g.UpstreamSessionID)
	u.ExpiresAt = at(10 * time.Minute) // short: only until the code is redeemed
	must(t, s.PutUpstreamSession(ctx, u))
	other := newUpstreamSession("session-other")
	must(t, s.PutUpstreamSession(ctx, other))

	must(t, s.CreateGrant(ctx, g, nil))
	want := u
	want.ExpiresAt = g.ExpiresAt
	checkUpstreamSession(t, s, want, at(time.Hour))

	revokeGrant(t, s, g.ID, "admin", at(time.Hour), true)
	_, err := s.GetUpstreamSession(ctx, u.ID, at(0))
	wantErr(t, "GetUpstreamSession after its grant was revoked", err, storage.ErrNotFound)
	checkUpstreamSession(t, s, other, at(0))

	// A grant whose session is already gone is created and revoked all the same.
	g2 := newGrant("grant-2", "client-a", "user-1")
	must(t, s.CreateGrant(ctx, g2, nil))
	revokeGrant(t, s, g2.ID, "admin", at(time.Hour), true)
}

// testUpstreamSessionGoesWithReusedGrant: the revocation for a reused
// refresh token deletes the upstream session too.
func testUpstreamSessionGoesWithReusedGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g := newGrant("grant-1", "client-a", "user-1")
	must(t, s.PutUpstreamSession(ctx, newUpstreamSession(g.UpstreamSessionID)))
	rt := newRefreshToken("grant-1-rt-0")
	must(t, s.CreateGrant(ctx, g, &rt))
	_, err := rotate(t, s, rt.Hash, "rt-1", at(time.Minute), 0)
	must(t, err)
	_, err = rotate(t, s, rt.Hash, "rt-1b", at(2*time.Minute), 0)
	wantErr(t, "RotateRefreshToken of a rotated token", err, storage.ErrReused)
	_, err = s.GetUpstreamSession(ctx, g.UpstreamSessionID, at(0))
	wantErr(t, "GetUpstreamSession after its grant was revoked for reuse", err, storage.ErrNotFound)
}
