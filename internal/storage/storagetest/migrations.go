package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// ConsentMigration names the migration (its file name after the version)
// that made consent per resource; backends' migration tests write
// OldConsents at the schema before it.
const ConsentMigration = "consent_per_resource.sql"

// OldConsent is a consent row as stores kept them before that migration:
// one list of scopes and one of resources, merged separately.
type OldConsent struct {
	Subject, ClientID    string
	Scopes, Resources    []string
	CreatedAt, UpdatedAt time.Time
}

// OldConsents are the old rows a backend's migration test writes: one of
// each kind the migration must tell apart.
var OldConsents = []OldConsent{
	// One resource: every scope was approved for it.
	{Subject: "user-1", ClientID: "client-one", Scopes: []string{"snippets", "offline_access"},
		Resources: []string{resourceA}, CreatedAt: at(0), UpdatedAt: at(time.Hour)},
	// One resource, no scopes.
	{Subject: "user-1", ClientID: "client-empty", Resources: []string{resourceA}, CreatedAt: at(1), UpdatedAt: at(2)},
	// Two resources: which scope went with which cannot be told.
	{Subject: "user-1", ClientID: "client-two", Scopes: []string{"snippets", "other", "offline_access"},
		Resources: []string{resourceA, resourceB}, CreatedAt: at(3), UpdatedAt: at(4)},
	// No resource.
	{Subject: "user-2", ClientID: "client-none", Scopes: []string{"snippets"}, CreatedAt: at(5), UpdatedAt: at(6)},
	// Another user's single-resource row.
	{Subject: "user-2", ClientID: "client-one", Scopes: []string{"other"}, Resources: []string{resourceB},
		CreatedAt: at(7), UpdatedAt: at(8)},
}

// CheckMigratedConsents checks what the migration kept of OldConsents: a
// row with one resource keeps its scopes for that resource (and its
// times); a row with several resources or none is gone, so its user is
// asked again. No kept row grants anything on a resource it did not name.
func CheckMigratedConsents(t *testing.T, s storage.Store) {
	t.Helper()
	ctx := t.Context()
	kept := []storage.Consent{
		{Subject: "user-1", ClientID: "client-one", Approved: map[string][]string{resourceA: {"snippets", "offline_access"}},
			CreatedAt: at(0), UpdatedAt: at(time.Hour)},
		{Subject: "user-1", ClientID: "client-empty", Approved: map[string][]string{resourceA: nil}, CreatedAt: at(1), UpdatedAt: at(2)},
		{Subject: "user-2", ClientID: "client-one", Approved: map[string][]string{resourceB: {"other"}}, CreatedAt: at(7), UpdatedAt: at(8)},
	}
	for _, want := range kept {
		checkConsent(t, s, want)
	}
	for _, gone := range [][2]string{{"user-1", "client-two"}, {"user-2", "client-none"}} {
		_, err := s.GetConsent(ctx, gone[0], gone[1])
		wantErr(t, "GetConsent("+gone[0]+", "+gone[1]+") after the migration", err, storage.ErrNotFound)
	}
	list, err := s.ListConsents(ctx, "user-1")
	must(t, err)
	check(t, "ListConsents(user-1) after the migration", sorted(list, consentClient), []storage.Consent{kept[1], kept[0]})
	// The migrated consent merges like any other.
	got, err := s.UpsertConsent(ctx, storage.Consent{Subject: "user-1", ClientID: "client-one",
		Approved: map[string][]string{resourceB: {"other"}}, UpdatedAt: at(2 * time.Hour)})
	must(t, err)
	want := kept[0]
	want.Approved = map[string][]string{resourceA: {"snippets", "offline_access"}, resourceB: {"other"}}
	want.UpdatedAt = at(2 * time.Hour)
	check(t, "UpsertConsent after the migration", got, want)
}
