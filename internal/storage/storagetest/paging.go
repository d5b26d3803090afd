package storagetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// testClientPaging: pages of ListClients, joined, are the whole list in ID
// order, and a client added behind the cursor is not listed twice.
func testClientPaging(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var want []string
	for i := range 11 {
		id := fmt.Sprintf("client-%02d", i)
		must(t, s.CreateClient(ctx, newClient(id)))
		want = append(want, id)
	}
	var got []string
	after := ""
	for page := 0; ; page++ {
		cs, err := s.ListClients(ctx, after, 4)
		must(t, err)
		if len(cs) > 4 {
			t.Fatalf("page %d has %d clients, limit 4", page, len(cs))
		}
		if page == 0 {
			// Added behind the cursor: must not appear on a later page.
			must(t, s.CreateClient(ctx, newClient("client-00a")))
		}
		for _, c := range cs {
			got = append(got, c.ID)
		}
		if len(cs) < 4 {
			break
		}
		after = cs[len(cs)-1].ID
	}
	check(t, "ListClients pages", got, want)
	all, err := s.ListClients(ctx, "", 0)
	must(t, err)
	if len(all) != 12 {
		t.Errorf("ListClients without a limit: %d clients, want 12", len(all))
	}
}

// testGrantPaging: pages of ListGrants in both orders, with creation times
// that tie or are missing, joined, are the whole list with no repeat or gap; a filter
// still applies; a grant created meanwhile is not listed twice.
func testGrantPaging(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var all []storage.Grant
	for i := range 13 {
		g := newGrant(fmt.Sprintf("grant-%02d", i), "client-a", "user-1")
		g.CreatedAt = at(time.Duration(i/3) * time.Minute) // three at a time share a creation time
		if i%4 == 0 {
			g.ClientID = "client-b"
		}
		must(t, s.CreateGrant(ctx, g, nil))
		all = append(all, g)
	}
	// A grant with no creation time sorts as the oldest.
	undated := newGrant("grant-undated", "client-a", "user-1")
	undated.CreatedAt = time.Time{}
	must(t, s.CreateGrant(ctx, undated, nil))
	all = append(all, undated)
	key := func(g storage.Grant) string { return g.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + g.ID }
	oldest := slices.SortedFunc(slices.Values(all), func(a, b storage.Grant) int { return strings.Compare(key(a), key(b)) })
	newest := slices.Clone(oldest)
	slices.Reverse(newest)
	ids := func(gs []storage.Grant) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	only := func(gs []storage.Grant, client string) []storage.Grant {
		return slices.DeleteFunc(slices.Clone(gs), func(g storage.Grant) bool { return g.ClientID != client })
	}
	for _, tc := range []struct {
		name string
		f    storage.GrantFilter
		want []storage.Grant
	}{
		{"oldest first", storage.GrantFilter{}, oldest},
		{"newest first", storage.GrantFilter{NewestFirst: true}, newest},
		{"newest first, one client", storage.GrantFilter{NewestFirst: true, ClientID: "client-a"}, only(newest, "client-a")},
	} {
		var got []storage.Grant
		f := tc.f
		f.Limit = 4
		for page := 0; page < 10; page++ {
			gs, err := s.ListGrants(ctx, f)
			must(t, err)
			got = append(got, gs...)
			if len(gs) < 4 {
				break
			}
			last := gs[len(gs)-1]
			f.After = &storage.GrantKey{CreatedAt: last.CreatedAt, ID: last.ID}
		}
		check(t, "ListGrants pages, "+tc.name, ids(got), ids(tc.want))
	}

	// A grant created while paging newest first sorts before the cursor.
	f := storage.GrantFilter{NewestFirst: true, Limit: 5}
	first, err := s.ListGrants(ctx, f)
	must(t, err)
	fresh := newGrant("grant-new", "client-a", "user-1")
	fresh.CreatedAt = at(time.Hour)
	must(t, s.CreateGrant(ctx, fresh, nil))
	last := first[len(first)-1]
	f.After, f.Limit = &storage.GrantKey{CreatedAt: last.CreatedAt, ID: last.ID}, 0
	rest, err := s.ListGrants(ctx, f)
	must(t, err)
	check(t, "ListGrants newest first around an insertion", ids(append(first, rest...)), ids(newest))
}
