package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testAuthRequestCRUD(t *testing.T, s storage.Store) {
	ctx := t.Context()
	r := newAuthRequest("request-1")
	r.AuthTime = elsewhere(r.AuthTime)
	must(t, s.CreateAuthRequest(ctx, r))
	checkAuthRequest(t, s, r, at(0))
	wantErr(t, "CreateAuthRequest with a taken ID", s.CreateAuthRequest(ctx, newAuthRequest(r.ID)), storage.ErrAlreadyExists)

	// Before sign-in: no identity, no auth time; empty scopes come back nil.
	fresh := newAuthRequest("request-2")
	fresh.Identity, fresh.AuthTime, fresh.Scopes = nil, time.Time{}, []string{}
	must(t, s.CreateAuthRequest(ctx, fresh))
	fresh.Scopes = nil
	checkAuthRequest(t, s, fresh, at(0))

	// Groups inside the identity follow the same rule.
	noGroups := newAuthRequest("request-3")
	noGroups.Identity.Groups = []string{}
	must(t, s.CreateAuthRequest(ctx, noGroups))
	noGroups.Identity.Groups = nil
	checkAuthRequest(t, s, noGroups, at(0))

	_, err := s.GetAuthRequest(ctx, "request-missing", at(0))
	wantErr(t, "GetAuthRequest of a missing request", err, storage.ErrNotFound)

	must(t, s.DeleteAuthRequest(ctx, r.ID))
	_, err = s.GetAuthRequest(ctx, r.ID, at(0))
	wantErr(t, "GetAuthRequest after DeleteAuthRequest", err, storage.ErrNotFound)
	wantErr(t, "DeleteAuthRequest twice", s.DeleteAuthRequest(ctx, r.ID), storage.ErrNotFound)
	checkAuthRequest(t, s, fresh, at(0))
}

func checkAuthRequest(t *testing.T, s storage.Store, want storage.AuthRequest, now time.Time) {
	t.Helper()
	got, err := s.GetAuthRequest(t.Context(), want.ID, now)
	must(t, err)
	check(t, "GetAuthRequest", got, want)
}

func testAuthRequestExpiry(t *testing.T, s storage.Store) {
	ctx := t.Context()
	r := newAuthRequest("request-1")
	must(t, s.CreateAuthRequest(ctx, r))
	checkAuthRequest(t, s, r, r.ExpiresAt.Add(-time.Nanosecond))
	for _, now := range []time.Time{r.ExpiresAt, r.ExpiresAt.Add(time.Hour)} {
		_, err := s.GetAuthRequest(ctx, r.ID, now)
		wantErr(t, fmt.Sprintf("GetAuthRequest at ExpiresAt%+v", now.Sub(r.ExpiresAt)), err, storage.ErrNotFound)
	}
}

func testAuthRequestUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	r := newAuthRequest("request-1")
	r.Identity, r.AuthTime = nil, time.Time{}
	must(t, s.CreateAuthRequest(ctx, r))

	now := at(time.Minute)
	identity := newIdentity("user-7")
	want := r
	want.Identity, want.AuthTime, want.UpstreamState = &identity, now, ""
	err := s.UpdateAuthRequest(ctx, r.ID, now, func(old storage.AuthRequest) (storage.AuthRequest, error) {
		check(t, "UpdateAuthRequest's fn argument", old, r)
		return want, nil
	})
	must(t, err)
	checkAuthRequest(t, s, want, now)

	stop := errors.New("stop")
	err = s.UpdateAuthRequest(ctx, r.ID, now, func(old storage.AuthRequest) (storage.AuthRequest, error) {
		old.State = "not saved"
		return old, stop
	})
	if err != stop { // unchanged: the very value, not one wrapping it
		t.Errorf("UpdateAuthRequest with a failing fn: got error %v, want fn's error unchanged", err)
	}
	checkAuthRequest(t, s, want, now)

	err = s.UpdateAuthRequest(ctx, r.ID, now, func(old storage.AuthRequest) (storage.AuthRequest, error) {
		old.ID = "request-moved"
		return old, nil
	})
	must(t, err)
	checkAuthRequest(t, s, want, now)
	_, err = s.GetAuthRequest(ctx, "request-moved", now)
	wantErr(t, "GetAuthRequest of the ID fn tried to set", err, storage.ErrNotFound)

	for _, tc := range []struct {
		what string
		id   string
		now  time.Time
	}{
		{"an expired request", r.ID, r.ExpiresAt},
		{"a missing request", "request-missing", now},
	} {
		called := false
		err := s.UpdateAuthRequest(ctx, tc.id, tc.now, func(r storage.AuthRequest) (storage.AuthRequest, error) {
			called = true
			return r, nil
		})
		wantErr(t, "UpdateAuthRequest of "+tc.what, err, storage.ErrNotFound)
		if called {
			t.Errorf("UpdateAuthRequest called fn for %s", tc.what)
		}
	}
}

// testAuthRequestUpdateConcurrent checks compare-and-swap: concurrent updates
// that each add one scope must all survive.
func testAuthRequestUpdateConcurrent(t *testing.T, s storage.Store) {
	ctx := t.Context()
	r := newAuthRequest("request-1")
	must(t, s.CreateAuthRequest(ctx, r))
	const writers = 10
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.UpdateAuthRequest(ctx, r.ID, at(0), func(old storage.AuthRequest) (storage.AuthRequest, error) {
				old.Scopes = append(old.Scopes, fmt.Sprintf("scope-%d", i))
				return old, nil
			})
		})
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	got, err := s.GetAuthRequest(ctx, r.ID, at(0))
	must(t, err)
	if want := len(r.Scopes) + writers; len(got.Scopes) != want {
		t.Fatalf("after %d concurrent updates: %d scopes %q, want %d", writers, len(got.Scopes), got.Scopes, want)
	}
	for i := range writers {
		if !contains(got.Scopes, fmt.Sprintf("scope-%d", i)) {
			t.Errorf("update of writer %d was lost", i)
		}
	}
}
