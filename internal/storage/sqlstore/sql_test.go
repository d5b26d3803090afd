package sqlstore

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

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
	if !strings.HasSuffix(two, "VALUES (CAST($1 AS BIGINT) + 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), "+
		"(CAST($1 AS BIGINT) + 1, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)") {
		t.Errorf("auditInsert(2) = %s", two)
	}
	full := auditInsert(auditRowsPerInsert)
	if full != buildAuditInsert(auditRowsPerInsert) ||
		!strings.HasSuffix(full, ", $"+strconv.Itoa(1+auditRowsPerInsert*(len(auditCols)-1))+")") {
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
		last := "$" + strconv.Itoa(1+n*(len(auditCols)-1)) + ")"
		if strings.Count(q, "(CAST($1 AS BIGINT) + ") != n || !strings.HasSuffix(q, last) {
			t.Fatalf("auditInsert(%d) does not have %d rows ending in %s: %q", n, n, last, q)
		}
	}
}

// An append's arguments: the first seq once, then each record's other ten
// columns, with the interfaces of repeated strings and of each record's
// prev_hash (the previous record's hash) shared rather than made again.
// Records out of sequence, whose seq the INSERT would compute wrongly, are
// refused.
func TestAuditArgs(t *testing.T) {
	h1, h2, h3 := []byte("hash-1"), []byte("hash-2"), []byte("hash-3")
	t0 := time.Unix(1_800_000_000, 0)
	recs := []storage.AuditRecord{
		{Seq: 300, Time: t0, Type: "mcp.request", Subject: "alice", ClientID: "c1", Server: "s", Name: "get", Payload: []byte("{1}"), KeyID: "k", PrevHash: []byte("hash-0"), Hash: h1},
		{Seq: 301, Time: t0.Add(1), Type: "mcp.request", Subject: "alice", ClientID: "c1", Server: "s", Name: "put", Payload: []byte("{2}"), KeyID: "k", PrevHash: h1, Hash: h2},
		{Seq: 302, Time: t0.Add(2), Type: "mcp.request", Subject: "bob", ClientID: "c1", Server: "s", Name: "put", Payload: []byte("{3}"), KeyID: "k", PrevHash: h2, Hash: h3},
	}
	var a auditArgs
	args, err := a.of(recs[:2])
	if err != nil {
		t.Fatal(err)
	}
	more, err := a.of(recs[2:])
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{int64(300), At(t0), "mcp.request", "alice", "c1", "s", "get", []byte("{1}"), "k", []byte("hash-0"), h1,
			At(t0.Add(1)), "mcp.request", "alice", "c1", "s", "put", []byte("{2}"), "k", h1, h2},
		{int64(302), At(t0.Add(2)), "mcp.request", "bob", "c1", "s", "put", []byte("{3}"), "k", h2, h3},
	}
	for i, got := range [][]any{args, more} {
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("call %d: args = %q, want %q", i+1, got, want[i])
		}
	}
	// Shared interfaces: the same data pointer, not an equal copy.
	same := func(x, y any) bool {
		return (*[2]unsafe.Pointer)(unsafe.Pointer(&x))[1] == (*[2]unsafe.Pointer)(unsafe.Pointer(&y))[1]
	}
	if !same(args[3], args[13]) || !same(args[4], more[4]) || !same(args[10], args[19]) || !same(args[20], more[9]) {
		t.Error("a repeated value or the previous hash was boxed again")
	}
	// A first record of the next call whose prev_hash is not the last
	// record's hash gets its own.
	odd := recs[2]
	odd.Seq, odd.PrevHash = 303, []byte("elsewhere")
	got, err := a.of([]storage.AuditRecord{odd})
	if err != nil || !bytes.Equal(got[9].([]byte), []byte("elsewhere")) {
		t.Errorf("prev_hash = %q, %v", got[9], err)
	}
	// A nil prev_hash (the chain's first record) is stored empty.
	var b auditArgs
	first := recs[0]
	first.PrevHash = nil
	if got, err := b.of([]storage.AuditRecord{first}); err != nil || got[9] == nil || len(got[9].([]byte)) != 0 {
		t.Errorf("first record's prev_hash = %#v, %v", got[9], err)
	}
	gap := []storage.AuditRecord{recs[0], recs[2]}
	if _, err := b.of(gap); err == nil {
		t.Error("records 300 and 302 in one INSERT were accepted")
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
