package sqlite

import (
	"reflect"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		name      string
		query     string
		args      []any
		wantQuery string
		wantArgs  []any
	}{
		{"no placeholders", `SELECT 1`, nil, `SELECT 1`, nil},
		{"in order", `SELECT a FROM t WHERE b = $1 AND c = $2`, []any{"x", 2},
			`SELECT a FROM t WHERE b = ? AND c = ?`, []any{"x", 2}},
		{"out of order", `UPDATE t SET a = $2 WHERE k = $1`, []any{"k", "a"},
			`UPDATE t SET a = ? WHERE k = ?`, []any{"a", "k"}},
		{"repeated", `UPDATE t SET a = $2 WHERE k = $1 AND a < $2`, []any{"k", 5},
			`UPDATE t SET a = ? WHERE k = ? AND a < ?`, []any{5, "k", 5}},
		{"two digits", `VALUES ($1, $10, $2)`, []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
			`VALUES (?, ?, ?)`, []any{1, 10, 2}},
		{"a dollar that is no placeholder", `SELECT '$', $1, $`, []any{"x"}, `SELECT '$', ?, $`, []any{"x"}},
		{"an argument missing", `SELECT $1, $3`, []any{"x", "y"}, `SELECT $1, $3`, []any{"x", "y"}},
	} {
		q, args := rebind(tc.query, tc.args)
		if q != tc.wantQuery || !reflect.DeepEqual(args, tc.wantArgs) {
			t.Errorf("%s: rebind = %q, %v; want %q, %v", tc.name, q, args, tc.wantQuery, tc.wantArgs)
		}
	}
}
