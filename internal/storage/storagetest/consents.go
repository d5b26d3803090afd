package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testConsentUpsert(t *testing.T, s storage.Store) {
	ctx := t.Context()
	got, err := s.UpsertConsent(ctx, storage.Consent{
		Subject: "user-1", ClientID: "client-a",
		Scopes:    []string{"read", "write", "read"},
		Resources: []string{"https://mcp.example/a", "https://mcp.example/a"},
		CreatedAt: elsewhere(at(0)), UpdatedAt: at(0),
	})
	must(t, err)
	want := storage.Consent{Subject: "user-1", ClientID: "client-a", Scopes: []string{"read", "write"},
		Resources: []string{"https://mcp.example/a"}, CreatedAt: at(0), UpdatedAt: at(0)}
	check(t, "UpsertConsent (new)", got, want)
	checkConsent(t, s, want)

	got, err = s.UpsertConsent(ctx, storage.Consent{
		Subject: "user-1", ClientID: "client-a",
		Scopes:    []string{"admin", "write", "admin", "delete"},
		Resources: []string{"https://mcp.example/b", "https://mcp.example/a"},
		CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour),
	})
	must(t, err)
	want.Scopes = []string{"read", "write", "admin", "delete"}
	want.Resources = []string{"https://mcp.example/a", "https://mcp.example/b"}
	want.UpdatedAt = at(time.Hour)
	check(t, "UpsertConsent (merge)", got, want)
	checkConsent(t, s, want)

	got, err = s.UpsertConsent(ctx, storage.Consent{Subject: "user-1", ClientID: "client-a", UpdatedAt: at(2 * time.Hour)})
	must(t, err)
	want.UpdatedAt = at(2 * time.Hour)
	check(t, "UpsertConsent (no new scopes)", got, want)
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
		{Subject: "user-1", ClientID: "client-b", Scopes: []string{}, Resources: []string{}, CreatedAt: at(0), UpdatedAt: at(0)},
		{Subject: "user-1", ClientID: "client-a", Scopes: []string{"read"}, Resources: []string{"https://mcp.example/a"},
			CreatedAt: at(1), UpdatedAt: at(2)},
		{Subject: "user-2", ClientID: "client-a", Scopes: []string{"write"}, CreatedAt: at(3), UpdatedAt: at(4)},
	}
	for _, c := range consents {
		_, err := s.UpsertConsent(ctx, c)
		must(t, err)
	}
	consents[0].Scopes, consents[0].Resources = nil, nil // empty comes back as nil

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
