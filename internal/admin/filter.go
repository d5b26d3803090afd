package admin

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// MaxAuditPage is the most audit records one query returns.
const MaxAuditPage = MaxPage

// ParseAuditFilter reads an audit query: user, client, server, tool, type,
// from and to (RFC 3339, or a browser's date-time field "2006-01-02T15:04"
// read as UTC), after (a sequence number, for paging) and limit (default
// 100, at most MaxAuditPage). Errors are fit to show the person who asked.
func ParseAuditFilter(q url.Values) (storage.AuditFilter, error) {
	f := storage.AuditFilter{Type: q.Get("type"), Subject: q.Get("user"), ClientID: q.Get("client"),
		Server: q.Get("server"), Name: q.Get("tool"), Limit: 100}
	limit, err := ParseLimit(q, f.Limit)
	if err != nil {
		return f, err
	}
	f.Limit = limit
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, fmt.Errorf("after must be a record number")
		}
		f.AfterSeq = n
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return f, fmt.Errorf("%s must be an RFC 3339 time, such as 2026-03-14T15:09:26Z", p.name)
			}
			*p.dst = t
		}
	}
	return f, nil
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", v)
}
