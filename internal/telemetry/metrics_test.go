package telemetry

import (
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
)

// TestToolPinEvents: every pinning event is counted by server and event,
// and none of them as an authorization event.
func TestToolPinEvents(t *testing.T) {
	m := NewMetrics(nil)
	for _, e := range []audit.Event{
		{Type: audit.ToolPinned, Server: "snippets"}, {Type: audit.ToolChanged, Server: "snippets"},
		{Type: audit.ToolRefused, Server: "snippets"}, {Type: audit.ToolRefused, Server: "snippets"},
		{Type: audit.ToolNew, Server: "files"}, {Type: audit.ToolApproved, Server: "snippets"}, {Type: audit.ToolRejected, Server: "files"},
	} {
		m.Record(e)
	}
	for _, c := range []struct {
		server, event string
		want          float64
	}{{"snippets", "pinned", 1}, {"snippets", "changed", 1}, {"snippets", "refused", 2}, {"files", "new", 1},
		{"snippets", "approved", 1}, {"files", "rejected", 1}, {"files", "refused", 0}} {
		if got := counter(t, m, "drawbridge_tool_pin_events_total", map[string]string{"server": c.server, "event": c.event}); got != c.want {
			t.Errorf("drawbridge_tool_pin_events_total{server=%q,event=%q} = %v, want %v", c.server, c.event, got, c.want)
		}
	}
	if got := counter(t, m, "drawbridge_authorization_events_total", nil); got != 0 {
		t.Errorf("pinning events counted as %v authorization events", got)
	}
}

// TestComposeMemberErrors: a member going down is counted by server and
// member; a shadowed name is no authorization event.
func TestComposeMemberErrors(t *testing.T) {
	m := NewMetrics(nil)
	m.ComposeMemberError("all", "github")
	m.ComposeMemberError("all", "github")
	m.ComposeMemberError("all", "petstore")
	m.Record(audit.Event{Type: audit.ToolShadowed, Server: "all", Name: "search"})
	for _, c := range []struct {
		member string
		want   float64
	}{{"github", 2}, {"petstore", 1}, {"snippets", 0}} {
		if got := counter(t, m, "drawbridge_compose_member_errors_total", map[string]string{"server": "all", "member": c.member}); got != c.want {
			t.Errorf("drawbridge_compose_member_errors_total{member=%q} = %v, want %v", c.member, got, c.want)
		}
	}
	if got := counter(t, m, "drawbridge_authorization_events_total", nil); got != 0 {
		t.Errorf("a shadowed name counted as %v authorization events", got)
	}
}

// TestOpenAPIReloads: reloads are counted by server, member and outcome,
// and a nil Metrics (metrics off) counts nothing without failing.
func TestOpenAPIReloads(t *testing.T) {
	m := NewMetrics(nil)
	m.OpenAPIReload("petstore", "", "ok")
	m.OpenAPIReload("petstore", "", "failed")
	m.OpenAPIReload("petstore", "", "failed")
	m.OpenAPIReload("all", "rest", "ok")
	for _, c := range []struct {
		server, member, outcome string
		want                    float64
	}{{"petstore", "", "ok", 1}, {"petstore", "", "failed", 2}, {"all", "rest", "ok", 1}, {"all", "rest", "failed", 0}} {
		labels := map[string]string{"server": c.server, "member": c.member, "outcome": c.outcome}
		if got := counter(t, m, "drawbridge_openapi_reloads_total", labels); got != c.want {
			t.Errorf("drawbridge_openapi_reloads_total%v = %v, want %v", labels, got, c.want)
		}
	}
	var off *Metrics
	off.OpenAPIReload("petstore", "", "ok")
}

// counter sums the series of a counter whose labels include labels.
func counter(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			if hasLabels(mt, labels) {
				sum += mt.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func hasLabels(mt *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range mt.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}
