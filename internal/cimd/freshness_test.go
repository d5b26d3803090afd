package cimd

import (
	"net/http"
	"testing"
	"time"
)

func TestLifetime(t *testing.T) {
	p := cachePolicy{min: time.Minute, max: time.Hour, fallback: 10 * time.Minute}
	now := time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)
	date := now.Format(http.TimeFormat)
	in := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name   string
		header http.Header
		ttl    time.Duration
		store  bool
	}{
		{"nothing: heuristic", http.Header{}, 10 * time.Minute, true},
		{"max-age", http.Header{"Cache-Control": {"max-age=600"}}, 10 * time.Minute, true},
		{"max-age clamped up", http.Header{"Cache-Control": {"max-age=5"}}, time.Minute, true},
		{"max-age=0 clamped up", http.Header{"Cache-Control": {"max-age=0"}}, time.Minute, true},
		{"max-age clamped down", http.Header{"Cache-Control": {"public, max-age=86400"}}, time.Hour, true},
		{"huge max-age", http.Header{"Cache-Control": {"max-age=99999999999999999999"}}, time.Hour, true},
		{"quoted max-age", http.Header{"Cache-Control": {`max-age="900"`}}, 15 * time.Minute, true},
		{"upper-case directive", http.Header{"Cache-Control": {"MAX-AGE=900"}}, 15 * time.Minute, true},
		{"invalid max-age is stale", http.Header{"Cache-Control": {"max-age=ten"}}, time.Minute, true},
		{"negative max-age is stale", http.Header{"Cache-Control": {"max-age=-5"}}, time.Minute, true},
		{"first max-age wins", http.Header{"Cache-Control": {"max-age=900", "max-age=60"}}, 15 * time.Minute, true},
		{"max-age over Expires", http.Header{"Cache-Control": {"max-age=900"}, "Expires": {in(time.Hour)}, "Date": {date}}, 15 * time.Minute, true},
		{"no-store", http.Header{"Cache-Control": {"max-age=900, no-store"}}, 0, false},
		{"no-store in a second line", http.Header{"Cache-Control": {"max-age=900", "No-Store"}}, 0, false},
		{"no-cache", http.Header{"Cache-Control": {"no-cache"}}, 0, false},
		{"no-cache with max-age", http.Header{"Cache-Control": {"max-age=900, no-cache"}}, 0, false},
		{"qualified no-cache", http.Header{"Cache-Control": {`no-cache="Set-Cookie, X-Foo", max-age=900`}}, 15 * time.Minute, true},
		{"Expires minus Date", http.Header{"Expires": {in(20 * time.Minute)}, "Date": {date}}, 20 * time.Minute, true},
		{"Expires without Date", http.Header{"Expires": {in(20 * time.Minute)}}, 20 * time.Minute, true},
		{"Expires against a skewed Date", http.Header{"Expires": {in(20 * time.Minute)}, "Date": {in(10 * time.Minute)}}, 10 * time.Minute, true},
		{"Expires in the past", http.Header{"Expires": {in(-time.Hour)}}, time.Minute, true},
		{"invalid Expires is stale", http.Header{"Expires": {"0"}}, time.Minute, true},
		{"Age is taken off", http.Header{"Cache-Control": {"max-age=900"}, "Age": {"300"}}, 10 * time.Minute, true},
		{"Age beyond max-age", http.Header{"Cache-Control": {"max-age=900"}, "Age": {"1000"}}, time.Minute, true},
		{"s-maxage is for shared caches", http.Header{"Cache-Control": {"s-maxage=5"}}, 10 * time.Minute, true},
	}
	for _, tt := range tests {
		ttl, store := p.lifetime(tt.header, now)
		if ttl != tt.ttl || store != tt.store {
			t.Errorf("%s: lifetime = %v, %v; want %v, %v", tt.name, ttl, store, tt.ttl, tt.store)
		}
	}
}
