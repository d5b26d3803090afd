package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

type events []audit.Event

func (e *events) Record(ev audit.Event) { *e = append(*e, ev) }

// TestComposeObserver: a shadowed name becomes a tool.shadowed record
// naming the member that tried and the owner; a member going down is
// counted; neither carries the member's error text into the audit trail.
func TestComposeObserver(t *testing.T) {
	var ev events
	m := telemetry.NewMetrics(nil)
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	o := &composeObserver{server: "all", events: &ev, metrics: m, now: func() time.Time { return at }}
	o.Shadowed(context.Background(), "tool", "search", "alpha", "beta")
	o.MemberDown(context.Background(), "beta", errors.New("dial tcp: refused"))
	o.MemberUp(context.Background(), "beta")
	if len(ev) != 1 {
		t.Fatalf("%d events", len(ev))
	}
	e := ev[0]
	if e.Type != audit.ToolShadowed || e.Server != "all" || e.Name != "search" || e.Backend != "beta" || e.Decision != "deny" ||
		e.Reason != "shadowed" || e.Detail != `tool "search" belongs to member alpha; member beta's was left out` || !e.Time.Equal(at) {
		t.Errorf("event %+v", e)
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range fams {
		if f.GetName() == "drawbridge_compose_member_errors_total" {
			found = f.GetMetric()[0].GetCounter().GetValue() == 1
		}
	}
	if !found {
		t.Error("the member going down was not counted once")
	}
	(&composeObserver{server: "all", now: time.Now}).Shadowed(context.Background(), "tool", "x", "a", "b") // no trail: no panic
}
