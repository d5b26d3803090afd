package admin

import (
	"context"
	"testing"
)

// TestComposedServerHealth: a composed server's health sums up its
// members, which the servers page lists with their state.
func TestComposedServerHealth(t *testing.T) {
	for _, tc := range []struct {
		states []string
		want   string
	}{
		{[]string{"up", "up"}, "ok"},
		{[]string{"up", "down"}, "degraded"},
		{[]string{"down", "down"}, "unreachable"},
		{[]string{"down", "unknown"}, "unreachable"},
		{[]string{"up", "unknown"}, "ok"},
		{[]string{"unknown"}, "unknown"},
	} {
		var ms []MemberStatus
		for _, s := range tc.states {
			ms = append(ms, MemberStatus{Name: "m", State: s})
		}
		if got := composedHealth(ms); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.states, got, tc.want)
		}
	}
	a := &API{opt: Options{Backends: []Backend{
		{Name: "all", Members: func() []MemberStatus {
			return []MemberStatus{{Name: "gh", State: "up"}, {Name: "pets", State: "down", LastError: "connection refused"}}
		}},
		{Name: "plain"},
	}}}
	got := a.Backends(context.Background())
	if got[0].Health != "degraded" || len(got[0].Members) != 2 || got[0].Members[1].LastError != "connection refused" {
		t.Errorf("composed: %+v", got[0])
	}
	if got[1].Health != "unknown" || got[1].Members != nil {
		t.Errorf("plain: %+v", got[1])
	}
}
