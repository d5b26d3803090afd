package server

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/compose"
)

// TestMemberStatus: a member is up, down (with why), or unknown until it
// was contacted.
func TestMemberStatus(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		in        compose.MemberHealth
		state     string
		since     bool
		lastError string
	}{
		{compose.MemberHealth{Name: "a", Up: true, Since: at}, "up", true, ""},
		{compose.MemberHealth{Name: "a", Since: at, LastError: "timeout"}, "down", true, "timeout"},
		{compose.MemberHealth{Name: "a"}, "unknown", false, ""},
	} {
		got := memberStatus(tc.in)
		if got.Name != "a" || got.State != tc.state || (got.Since != nil) != tc.since || got.LastError != tc.lastError {
			t.Errorf("%+v: %+v", tc.in, got)
		}
		if got.Since != nil && (!got.Since.Equal(at) || got.Since.Location() != time.UTC) {
			t.Errorf("since %v", got.Since)
		}
	}
	if memberStates(nil) != nil {
		t.Error("a plain server has members")
	}
}
