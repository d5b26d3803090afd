package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testClientCRUD(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newClient("client-a")
	a.Disabled = true
	a.CreatedAt = elsewhere(a.CreatedAt)
	must(t, s.CreateClient(ctx, a))
	got, err := s.GetClient(ctx, a.ID)
	must(t, err)
	check(t, "GetClient", got, a)

	wantErr(t, "CreateClient with a taken ID", s.CreateClient(ctx, newClient(a.ID)), storage.ErrAlreadyExists)
	got, err = s.GetClient(ctx, a.ID)
	must(t, err)
	check(t, "GetClient after a refused create", got, a)
	_, err = s.GetClient(ctx, "client-missing")
	wantErr(t, "GetClient of a missing client", err, storage.ErrNotFound)

	b := newClient("client-b")
	b.ExpiresAt = time.Time{}
	must(t, s.CreateClient(ctx, b))
	list, err := s.ListClients(ctx, "", 0)
	must(t, err)
	check(t, "ListClients", sorted(list, clientID), []storage.Client{a, b})

	must(t, s.DeleteClient(ctx, a.ID))
	_, err = s.GetClient(ctx, a.ID)
	wantErr(t, "GetClient after DeleteClient", err, storage.ErrNotFound)
	wantErr(t, "DeleteClient twice", s.DeleteClient(ctx, a.ID), storage.ErrNotFound)
	list, err = s.ListClients(ctx, "", 0)
	must(t, err)
	check(t, "ListClients after DeleteClient", list, []storage.Client{b})
}

func clientID(c storage.Client) string { return c.ID }

func testClientEmptySlices(t *testing.T, s storage.Store) {
	ctx := t.Context()
	empty := newClient("client-empty")
	empty.RedirectURIs, empty.GrantTypes, empty.ResponseTypes = []string{}, []string{}, []string{}
	empty.Metadata = []byte{}
	none := newClient("client-nil")
	none.RedirectURIs, none.GrantTypes, none.ResponseTypes, none.Metadata = nil, nil, nil, nil
	for _, c := range []storage.Client{empty, none} {
		must(t, s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, c.ID)
		must(t, err)
		want := c
		want.RedirectURIs, want.GrantTypes, want.ResponseTypes, want.Metadata = nil, nil, nil, nil
		check(t, "GetClient("+c.ID+")", got, want)
	}
}

func testClientUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newClient("client-a")
	must(t, s.CreateClient(ctx, c))

	want := c
	want.Name = "Renamed"
	want.RedirectURIs = append(want.RedirectURIs[:len(want.RedirectURIs):len(want.RedirectURIs)], "https://new.example/cb")
	want.LastUsedAt = at(time.Hour)
	want.Disabled = true
	want.Metadata = nil
	err := s.UpdateClient(ctx, c.ID, func(old storage.Client) (storage.Client, error) {
		check(t, "UpdateClient's fn argument", old, c)
		return want, nil
	})
	must(t, err)
	got, err := s.GetClient(ctx, c.ID)
	must(t, err)
	check(t, "GetClient after UpdateClient", got, want)

	stop := errors.New("stop")
	err = s.UpdateClient(ctx, c.ID, func(old storage.Client) (storage.Client, error) {
		old.Name = "Not saved"
		return old, stop
	})
	if err != stop { // unchanged: the very value, not one wrapping it
		t.Errorf("UpdateClient with a failing fn: got error %v, want fn's error unchanged", err)
	}
	got, err = s.GetClient(ctx, c.ID)
	must(t, err)
	check(t, "GetClient after a failed fn", got, want)

	// The key is the row's identity: fn cannot move the row.
	err = s.UpdateClient(ctx, c.ID, func(old storage.Client) (storage.Client, error) {
		old.ID = "client-moved"
		return old, nil
	})
	must(t, err)
	got, err = s.GetClient(ctx, c.ID)
	must(t, err)
	check(t, "GetClient after fn changed the ID", got, want)
	_, err = s.GetClient(ctx, "client-moved")
	wantErr(t, "GetClient of the ID fn tried to set", err, storage.ErrNotFound)

	called := false
	err = s.UpdateClient(ctx, "client-missing", func(c storage.Client) (storage.Client, error) {
		called = true
		return c, nil
	})
	wantErr(t, "UpdateClient of a missing client", err, storage.ErrNotFound)
	if called {
		t.Error("UpdateClient called fn for a missing client")
	}
}

// testClientUpdateConcurrent checks compare-and-swap: concurrent updates that
// each add one redirect URI must all survive.
func testClientUpdateConcurrent(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c := newClient("client-a")
	must(t, s.CreateClient(ctx, c))
	const writers = 10
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.UpdateClient(ctx, c.ID, func(old storage.Client) (storage.Client, error) {
				old.RedirectURIs = append(old.RedirectURIs, fmt.Sprintf("https://writer-%d.example/cb", i))
				return old, nil
			})
		})
	}
	wg.Wait()
	must(t, errors.Join(errs...))
	got, err := s.GetClient(ctx, c.ID)
	must(t, err)
	if want := len(c.RedirectURIs) + writers; len(got.RedirectURIs) != want {
		t.Fatalf("after %d concurrent updates: %d redirect URIs %q, want %d", writers, len(got.RedirectURIs), got.RedirectURIs, want)
	}
	for i := range writers {
		if !contains(got.RedirectURIs, fmt.Sprintf("https://writer-%d.example/cb", i)) {
			t.Errorf("update of writer %d was lost", i)
		}
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
