package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

const (
	resourceA = "https://mcp.example/a"
	resourceB = "https://mcp.example/b"
	resourceC = "https://mcp.example/c"
)

func testConsentUpsert(t *testing.T, s storage.Store) {
	ctx := t.Context()
	got, err := s.UpsertConsent(ctx, storage.Consent{
		Subject: "user-1", ClientID: "client-a",
		Approved:  map[string][]string{resourceA: {"read", "write", "read"}},
		CreatedAt: elsewhere(at(0)), UpdatedAt: at(0),
	})
	must(t, err)
	want := storage.Consent{Subject: "user-1", ClientID: "client-a",
		Approved: map[string][]string{resourceA: {"read", "write"}}, CreatedAt: at(0), UpdatedAt: at(0)}
	check(t, "UpsertConsent (new)", got, want)
	checkConsent(t, s, want)

	// Scopes merge per resource: B gets only what was approved for B, and
	// A's scopes do not leak to it.
	got, err = s.UpsertConsent(ctx, storage.Consent{
		Subject: "user-1", ClientID: "client-a",
		Approved:  map[string][]string{resourceB: {"admin", "admin"}, resourceA: {"delete", "write", "offline_access"}},
		CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour),
	})
	must(t, err)
	want.Approved = map[string][]string{resourceA: {"read", "write", "delete", "offline_access"}, resourceB: {"admin"}}
	want.UpdatedAt = at(time.Hour)
	check(t, "UpsertConsent (merge)", got, want)
	checkConsent(t, s, want)
	if scopes, ok := got.ScopesFor(resourceB); !ok || len(scopes) != 1 || scopes[0] != "admin" {
		t.Errorf("ScopesFor(B) = %q, %v; want [admin], true", scopes, ok)
	}
	if scopes, ok := got.ScopesFor(resourceC); ok || scopes != nil {
		t.Errorf("ScopesFor(C), never approved = %q, %v; want nil, false", scopes, ok)
	}

	// A resource approved without scopes is kept, with a nil list.
	got, err = s.UpsertConsent(ctx, storage.Consent{Subject: "user-1", ClientID: "client-a",
		Approved: map[string][]string{resourceC: {}}, UpdatedAt: at(2 * time.Hour)})
	must(t, err)
	want.Approved[resourceC] = nil
	want.UpdatedAt = at(2 * time.Hour)
	check(t, "UpsertConsent (a resource without scopes)", got, want)
	checkConsent(t, s, want)
	if scopes, ok := got.ScopesFor(resourceC); !ok || scopes != nil {
		t.Errorf("ScopesFor(C), approved without scopes = %q, %v; want nil, true", scopes, ok)
	}

	got, err = s.UpsertConsent(ctx, storage.Consent{Subject: "user-1", ClientID: "client-a", UpdatedAt: at(3 * time.Hour)})
	must(t, err)
	want.UpdatedAt = at(3 * time.Hour)
	check(t, "UpsertConsent (nothing new)", got, want)
	checkConsent(t, s, want)

	_, err = s.GetConsent(ctx, "user-1", "client-b")
	wantErr(t, "GetConsent for another client", err, storage.ErrNotFound)
	_, err = s.GetConsent(ctx, "user-2", "client-a")
	wantErr(t, "GetConsent of another user", err, storage.ErrNotFound)
}

func checkConsent(t *testing.T, s storage.Store, want storage.Consent) {
	t.Helper()
	got, err := s.GetConsent(t.Context(), want.Subject, want.ClientID)
	must(t, err)
	check(t, "GetConsent", got, want)
}

func testConsentListDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	consents := []storage.Consent{
		{Subject: "user-1", ClientID: "client-b", Approved: map[string][]string{}, CreatedAt: at(0), UpdatedAt: at(0)},
		{Subject: "user-1", ClientID: "client-a", Approved: map[string][]string{resourceA: {"read"}, resourceB: {"write"}},
			CreatedAt: at(1), UpdatedAt: at(2)},
		{Subject: "user-2", ClientID: "client-a", Approved: map[string][]string{resourceA: {"write"}}, CreatedAt: at(3), UpdatedAt: at(4)},
	}
	for _, c := range consents {
		_, err := s.UpsertConsent(ctx, c)
		must(t, err)
	}
	consents[0].Approved = nil // empty comes back as nil

	list, err := s.ListConsents(ctx, "user-1")
	must(t, err)
	check(t, "ListConsents(user-1)", sorted(list, consentClient), []storage.Consent{consents[1], consents[0]})
	list, err = s.ListConsents(ctx, "nobody")
	must(t, err)
	if len(list) != 0 {
		t.Errorf("ListConsents(nobody) = %v, want none", list)
	}

	must(t, s.DeleteConsent(ctx, "user-1", "client-a"))
	_, err = s.GetConsent(ctx, "user-1", "client-a")
	wantErr(t, "GetConsent after DeleteConsent", err, storage.ErrNotFound)
	wantErr(t, "DeleteConsent twice", s.DeleteConsent(ctx, "user-1", "client-a"), storage.ErrNotFound)
	list, err = s.ListConsents(ctx, "user-1")
	must(t, err)
	check(t, "ListConsents(user-1) after DeleteConsent", list, []storage.Consent{consents[0]})
	checkConsent(t, s, consents[2])
}

func consentClient(c storage.Consent) string { return c.ClientID }
