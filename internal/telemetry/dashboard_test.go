package telemetry

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
)

// TestDashboardUsesRealMetrics keeps docs/grafana-dashboard.json honest:
// every drawbridge_ series a panel queries must exist.
func TestDashboardUsesRealMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	m := NewMetrics(nil)
	// Vectors appear in a scrape only once they have a sample.
	m.BackendError("s", "timeout")
	m.StreamOpened("s")
	m.RateLimited("l")
	m.Record(audit.Event{Type: audit.MCPRequest, Server: "s", Method: "tools/call", Name: "t", Status: 200, Decision: "allow"})
	m.Record(audit.Event{Type: audit.TokenIssued, GrantType: "authorization_code"})
	m.Record(audit.Event{Type: audit.ToolChanged, Server: "s"})
	m.ObserveStore("get_grant", time.Now(), nil)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range fams {
		known[f.GetName()] = true
		known[f.GetName()+"_bucket"] = true
	}
	series := regexp.MustCompile(`\b(drawbridge_[a-z_]+|go_[a-z_]+|process_[a-z_]+)\b`)
	if len(dash.Panels) < 8 {
		t.Fatalf("only %d panels", len(dash.Panels))
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range series.FindAllString(tg.Expr, -1) {
				if !known[name] {
					t.Errorf("panel %q queries %s, which Drawbridge does not export", p.Title, name)
				}
			}
		}
	}
}
