package sqlstore

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func TestColumns(t *testing.T) {
	c := columns{"id", "name", "created_at"}
	for _, tc := range []struct{ got, want string }{
		{c.names(), "id, name, created_at"},
		{c.params(1), "$1, $2, $3"},
		{c.params(7), "$7, $8, $9"},
		{c.insert("t"), "INSERT INTO t (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"},
		// The same args as insert: the key is $1.
		{c.update("t"), "UPDATE t SET name = $2, created_at = $3 WHERE id = $1"},
		{c.selectFrom("t"), "SELECT id, name, created_at FROM t"},
		{limitClause(0), ""},
		{limitClause(-1), ""},
		{limitClause(50), " LIMIT 50"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestGrantQuery(t *testing.T) {
	t0 := time.Unix(100, 5)
	const sel = "SELECT id, client_id, subject, identity, scopes, resource, upstream_session_id, auth_time, " +
		"created_at, last_used_at, expires_at, revoked_at, revoke_reason, upstream_sub, upstream_sid, dpop_jkt FROM grants"
	const created = "coalesce(created_at, -9223372036854775808)"
	for _, tc := range []struct {
		name      string
		f         storage.GrantFilter
		wantWhere string
		wantOrder string
		wantArgs  []any
	}{
		{"everything", storage.GrantFilter{IncludeRevoked: true}, "", " ORDER BY " + created + ", id", nil},
		{"live ones", storage.GrantFilter{}, " WHERE revoked_at IS NULL", " ORDER BY " + created + ", id", nil},
		{"by user and client", storage.GrantFilter{Subject: "alice", ClientID: "c", IncludeRevoked: true},
			" WHERE subject = $1 AND client_id = $2", " ORDER BY " + created + ", id", []any{"alice", "c"}},
		{"back-channel logout", storage.GrantFilter{UpstreamSubject: "u", UpstreamSID: "sid"},
			" WHERE upstream_sub = $1 AND upstream_sid = $2 AND revoked_at IS NULL", " ORDER BY " + created + ", id",
			[]any{"u", "sid"}},
		{"a later page, oldest first", storage.GrantFilter{ClientID: "c", After: &storage.GrantKey{CreatedAt: t0, ID: "g"}, Limit: 10},
			" WHERE client_id = $1 AND revoked_at IS NULL AND " + created + " >= $2 AND (" + created + ", id) > ($2, $3)",
			" ORDER BY " + created + ", id LIMIT 10", []any{"c", t0.UnixNano(), "g"}},
		{"a later page, newest first", storage.GrantFilter{NewestFirst: true, IncludeRevoked: true,
			After: &storage.GrantKey{ID: "g"}},
			" WHERE " + created + " <= $1 AND (" + created + ", id) < ($1, $2)",
			" ORDER BY " + created + " DESC, id DESC", []any{int64(-9223372036854775808), "g"}},
	} {
		q, args := GrantQuery(tc.f)
		if want := sel + tc.wantWhere + tc.wantOrder; q != want || !reflect.DeepEqual(args, tc.wantArgs) {
			t.Errorf("%s:\n got %s %v\nwant %s %v", tc.name, q, args, want, tc.wantArgs)
		}
	}
}

func TestAuditQuery(t *testing.T) {
	q, args := auditQuery(storage.AuditFilter{From: time.Unix(1, 0), Subject: "alice", Name: "get_snippet",
		AfterSeq: 7, Limit: 20})
	want := auditCols.selectFrom("audit") + " WHERE time >= $1 AND subject = $2 AND name = $3 AND seq > $4 ORDER BY seq LIMIT $5"
	if q != want || !reflect.DeepEqual(args, []any{int64(1e9), "alice", "get_snippet", int64(7), 20}) {
		t.Errorf("auditQuery = %s %v", q, args)
	}
	if q, args := auditQuery(storage.AuditFilter{}); q != auditCols.selectFrom("audit")+" ORDER BY seq" || args != nil {
		t.Errorf("auditQuery of nothing = %s %v", q, args)
	}
}

func TestAuditInsert(t *testing.T) {
	two := auditInsert(2)
	if !strings.HasSuffix(two, "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), "+
		"($12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)") {
		t.Errorf("auditInsert(2) = %s", two)
	}
	full := auditInsert(auditRowsPerInsert)
	if full != buildAuditInsert(auditRowsPerInsert) ||
		!strings.HasSuffix(full, ", $"+strconv.Itoa(auditRowsPerInsert*len(auditCols))+")") {
		t.Errorf("auditInsert(%d) ends %q", auditRowsPerInsert, full[len(full)-40:])
	}
}

// Every batch size gets its own INSERT, with a row of placeholders per
// record, and the same text each time it is asked for.
func TestAuditInsertPerBatchSize(t *testing.T) {
	for n := 1; n <= auditRowsPerInsert; n++ {
		q := auditInsert(n)
		if q != buildAuditInsert(n) || auditInsert(n) != q {
			t.Fatalf("auditInsert(%d) = %q", n, q)
		}
		last := "$" + strconv.Itoa(n*len(auditCols)) + ")"
		if strings.Count(q, "(") != n+1 || !strings.HasSuffix(q, last) {
			t.Fatalf("auditInsert(%d) does not have %d rows ending in %s: %q", n, n, last, q)
		}
	}
}

// ListToolPins' query for each combination of filter fields names exactly
// the fields set, numbered in order, and is built once.
func TestToolPinQueries(t *testing.T) {
	for set := range pinFilterSet(1 << len(pinFilterCols)) {
		q := set.query()
		if set.query() != q {
			t.Fatalf("filter set %04b: the query changed", set)
		}
		n := 0
		for i, col := range pinFilterCols {
			has := strings.Contains(q, col+" = $")
			if has != (set&(1<<i) != 0) {
				t.Fatalf("filter set %04b: %q in %q is %v", set, col, q, has)
			}
			if has {
				n++
				if !strings.Contains(q, col+" = $"+strconv.Itoa(n)) {
					t.Fatalf("filter set %04b: %s is not parameter %d in %q", set, col, n, q)
				}
			}
		}
		if strings.Contains(q, "WHERE") != (set != 0) || !strings.HasSuffix(q, " ORDER BY server, tool, first_seen_at, hash") {
			t.Fatalf("filter set %04b: %q", set, q)
		}
	}
}
