package authserver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

// limitServer is an authorization server with the limits given, counted
// by a limiter whose clock stands still.
func limitServer(t *testing.T, limiter ratelimit.Limiter, limits map[string]ratelimit.Limit, m *telemetry.Metrics) (*Server, *http.ServeMux) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir()+"/db.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(Options{
		Issuer: "https://mcp.example.com", Store: st, DynamicRegistration: true,
		Resources: []Resource{{URL: "https://mcp.example.com/mcp", Title: "Snippets", Scopes: []string{"snippets"}}},
		Limiter:   limiter, Limits: limits, Metrics: m, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Routes(mux)
	return s, mux
}

var limitClock = time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)

func stillLimiter() ratelimit.Limiter {
	return ratelimit.NewMemory(func() time.Time { return limitClock })
}

// twoPerMinute is the token endpoint's limit in these tests: one token
// comes back every 30 seconds.
var twoPerMinute = map[string]ratelimit.Limit{
	LimitToken:    {Name: "token", Kind: ratelimit.TokenBucket, Rate: 2.0 / 60, Burst: 2},
	LimitRegister: {Name: "register", Kind: ratelimit.Quota, Window: ratelimit.Hour, Max: 1},
}

// TestAllowByTheLimitTable: each endpoint is charged by its own entry of
// the table, per client address, IPv6 addresses by their /64; an endpoint
// without an entry, or a server without a limiter, is not limited.
func TestAllowByTheLimitTable(t *testing.T) {
	type call struct {
		endpoint, remote string
		allowed          bool
	}
	for _, tt := range []struct {
		name    string
		limiter ratelimit.Limiter
		limits  map[string]ratelimit.Limit
		calls   []call
	}{
		{name: "an endpoint without a limit", limiter: stillLimiter(), limits: twoPerMinute, calls: []call{
			{LimitAuthorize, "192.0.2.1:1", true}, {LimitAuthorize, "192.0.2.1:1", true}, {LimitAuthorize, "192.0.2.1:1", true},
			{LimitLogin, "192.0.2.1:1", true}, {LimitLogin, "192.0.2.1:1", true}, {LimitLogin, "192.0.2.1:1", true},
		}},
		{name: "per IPv4 address", limiter: stillLimiter(), limits: twoPerMinute, calls: []call{
			{LimitToken, "192.0.2.1:1", true}, {LimitToken, "192.0.2.1:2", true}, {LimitToken, "192.0.2.1:3", false},
			{LimitToken, "192.0.2.2:1", true},
		}},
		{name: "IPv6 by /64", limiter: stillLimiter(), limits: twoPerMinute, calls: []call{
			{LimitToken, "[2001:db8::1]:1", true}, {LimitToken, "[2001:db8::2]:1", true}, {LimitToken, "[2001:db8::ffff:3]:1", false},
			{LimitToken, "[2001:db8:0:1::1]:1", true},
		}},
		{name: "an IPv4-mapped address is the IPv4 address", limiter: stillLimiter(), limits: twoPerMinute, calls: []call{
			{LimitToken, "192.0.2.9:1", true}, {LimitToken, "[::ffff:192.0.2.9]:1", true}, {LimitToken, "192.0.2.9:1", false},
		}},
		{name: "endpoints count apart", limiter: stillLimiter(), limits: twoPerMinute, calls: []call{
			{LimitToken, "192.0.2.1:1", true}, {LimitToken, "192.0.2.1:1", true},
			{LimitRegister, "192.0.2.1:1", true}, {LimitRegister, "192.0.2.1:1", false},
			{LimitToken, "192.0.2.1:1", false},
		}},
		{name: "no limiter", limits: twoPerMinute, calls: []call{
			{LimitToken, "192.0.2.1:1", true}, {LimitToken, "192.0.2.1:1", true}, {LimitToken, "192.0.2.1:1", true},
		}},
		{name: "an invalid limit refuses", limiter: stillLimiter(), limits: map[string]ratelimit.Limit{
			LimitToken: {Name: "token", Kind: ratelimit.TokenBucket, Rate: 1, Burst: 0},
		}, calls: []call{{LimitToken, "192.0.2.1:1", false}, {LimitAuthorize, "192.0.2.1:1", true}}},
	} {
		s, _ := limitServer(t, tt.limiter, tt.limits, nil)
		for i, c := range tt.calls {
			r := httptest.NewRequest(http.MethodPost, "/"+c.endpoint, nil)
			r.RemoteAddr = c.remote
			ok, wait := s.allow(r, c.endpoint)
			if ok != c.allowed {
				t.Errorf("%s: call %d (%s from %s): allowed %v, want %v", tt.name, i+1, c.endpoint, c.remote, ok, c.allowed)
			}
			if ok && wait != 0 {
				t.Errorf("%s: call %d: allowed with a wait of %v", tt.name, i+1, wait)
			}
		}
	}
}

// TestLimitedAnswers: a refused JSON endpoint answers 429 with an OAuth
// error and Retry-After in whole seconds, a refused page 429 with a page,
// and every refusal is counted under the limit's name.
func TestLimitedAnswers(t *testing.T) {
	m := telemetry.NewMetrics(nil)
	s, mux := limitServer(t, stillLimiter(), twoPerMinute, m)
	post := func(path, ct, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.RemoteAddr = "192.0.2.1:1234"
		r.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec
	}
	form := "application/x-www-form-urlencoded"
	for i := 0; i < 2; i++ {
		if rec := post("/token", form, "grant_type=client_credentials"); rec.Code == http.StatusTooManyRequests {
			t.Fatalf("token request %d refused by the limit", i+1)
		}
	}
	rec := post("/token", form, "grant_type=client_credentials")
	var e map[string]string
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "30" ||
		e["error"] != "too_many_requests" || e["error_description"] != "too many requests; retry after 30 seconds" {
		t.Errorf("third token request: %d, Retry-After %q, %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}

	if rec := post("/register", "application/json", `{}`); rec.Code == http.StatusTooManyRequests {
		t.Fatal("first registration refused by the limit")
	}
	rec = post("/register", "application/json", `{}`)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "3600" || !strings.Contains(rec.Body.String(), `"too_many_requests"`) {
		t.Errorf("second registration: %d, Retry-After %q, %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}

	r := httptest.NewRequest(http.MethodGet, "/authorize", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	page := httptest.NewRecorder()
	s.tooManyRequests(page, r, LimitAuthorize, 1500*time.Millisecond, true)
	if page.Code != http.StatusTooManyRequests || page.Header().Get("Retry-After") != "2" ||
		!strings.Contains(page.Body.String(), "Too many requests from your address.") || !strings.Contains(page.Body.String(), "Wait 2 seconds") {
		t.Errorf("page: %d, Retry-After %q:\n%s", page.Code, page.Header().Get("Retry-After"), page.Body)
	}

	counted := map[string]float64{}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "drawbridge_rate_limited_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			counted[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	if counted["token"] != 1 || counted["register"] != 1 || len(counted) != 2 {
		t.Errorf("refusals counted: %v", counted)
	}
}
