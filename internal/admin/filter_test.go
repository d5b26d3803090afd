package admin

import (
	"net/url"
	"testing"
	"time"
)

func TestParseAuditFilter(t *testing.T) {
	march := time.Date(2026, 3, 14, 15, 9, 0, 0, time.UTC)
	for _, tc := range []struct {
		query   string
		wantErr bool
		check   func(t *testing.T, from, to time.Time, limit int, after int64)
	}{
		{query: "", check: func(t *testing.T, from, to time.Time, limit int, _ int64) {
			if !from.IsZero() || !to.IsZero() || limit != 100 {
				t.Errorf("defaults: from %v to %v limit %d", from, to, limit)
			}
		}},
		{query: "from=2026-03-14T15:09:00Z&to=2026-03-14T15:09", check: func(t *testing.T, from, to time.Time, _ int, _ int64) {
			if !from.Equal(march) || !to.Equal(march) {
				t.Errorf("from %v to %v, want %v", from, to, march)
			}
		}},
		{query: "limit=5000&after=7", check: func(t *testing.T, _, _ time.Time, limit int, after int64) {
			if limit != MaxAuditPage || after != 7 {
				t.Errorf("limit %d after %d", limit, after)
			}
		}},
		{query: "from=yesterday", wantErr: true},
		{query: "limit=0", wantErr: true},
		{query: "limit=ten", wantErr: true},
		{query: "after=-1", wantErr: true},
	} {
		q, _ := url.ParseQuery(tc.query)
		f, err := ParseAuditFilter(q)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err = %v, want error %v", tc.query, err, tc.wantErr)
			continue
		}
		if tc.check != nil {
			tc.check(t, f.From, f.To, f.Limit, f.AfterSeq)
		}
	}
}

func TestIsAdmin(t *testing.T) {
	a := New(Options{Users: []string{"local:root"}, Groups: []string{"ops"}})
	for _, tc := range []struct {
		sub    string
		groups []string
		want   bool
	}{
		{"local:root", nil, true},
		{"local:alice", []string{"eng", "ops"}, true},
		{"local:alice", []string{"eng"}, false},
		{"local:ROOT", nil, false},
		{"", nil, false},
	} {
		if got := a.IsAdmin(tc.sub, tc.groups); got != tc.want {
			t.Errorf("IsAdmin(%q, %v) = %v, want %v", tc.sub, tc.groups, got, tc.want)
		}
	}
}
