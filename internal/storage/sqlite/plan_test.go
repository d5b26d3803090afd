package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// TestGrantPagesUseIndexes: a page of grants is read from an index in list
// order (no sort of every matching grant), and a later page seeks to its
// cursor instead of scanning from the start.
func TestGrantPagesUseIndexes(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir()+"/db.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after := &storage.GrantKey{CreatedAt: time.Now(), ID: "g"}
	for _, tc := range []struct {
		f    storage.GrantFilter
		want string
	}{
		{storage.GrantFilter{NewestFirst: true, Limit: 50}, "USING INDEX grants_order"},
		{storage.GrantFilter{NewestFirst: true, Limit: 50, After: after}, "SEARCH grants USING INDEX grants_order"},
		{storage.GrantFilter{Subject: "local:alice", NewestFirst: true, Limit: 50, After: after}, "SEARCH grants USING INDEX grants_subject_order"},
		{storage.GrantFilter{ClientID: "c", Limit: 50, After: after}, "SEARCH grants USING INDEX grants_client_order"},
	} {
		q, args := sqlstore.GrantQuery(tc.f)
		rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, tc.want) || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%+v: plan %q, want %q and no sort", tc.f, p, tc.want)
		}
	}
}
