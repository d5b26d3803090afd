package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// value finds a counter or gauge with the given labels (a subset).
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// metricsAddr waits for the metrics listener and returns its address.
func metricsAddr(t *testing.T, gw *gwtest.Gateway) string {
	t.Helper()
	var addr []string
	for deadline := time.Now().Add(10 * time.Second); addr == nil; time.Sleep(10 * time.Millisecond) {
		addr = regexp.MustCompile(`msg="metrics listening" addr=(\S+)`).FindStringSubmatch(gw.Logs.String())
		if time.Now().After(deadline) {
			t.Fatal("the metrics listener did not start")
		}
	}
	return addr[1]
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestPprofOnlyWhenAskedAndNeverPublic(t *testing.T) {
	off := gwtest.Start(t, gwtest.Options{ExtraYAML: "metrics: {listen: \"127.0.0.1:0\"}\n"})
	if got := status(t, "http://"+metricsAddr(t, off)+"/debug/pprof/heap"); got != http.StatusNotFound {
		t.Errorf("pprof off: /debug/pprof/heap on the metrics listener = %d, want 404", got)
	}
	on := gwtest.Start(t, gwtest.Options{ExtraYAML: "metrics: {listen: \"127.0.0.1:0\", pprof: true}\n"})
	if got := status(t, "http://"+metricsAddr(t, on)+"/debug/pprof/heap"); got != http.StatusOK {
		t.Errorf("pprof on: /debug/pprof/heap on the metrics listener = %d, want 200", got)
	}
	if got := status(t, on.URL+"/debug/pprof/heap"); got == http.StatusOK {
		t.Error("pprof is served on the public listener")
	}
}

func TestPrometheusMetrics(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: "metrics: {listen: \"127.0.0.1:0\"}\n"})
	addr := []string{"", metricsAddr(t, gw)}
	c := gwtest.RegisterClient(t, gw, nil)
	tok := c.Tokens(gwtest.User)
	gwtest.MCPCall(t, gw.MCP, "Bearer "+tok["access_token"].(string))
	gwtest.MCPCall(t, gw.MCP, "")
	c.Refresh(tok["refresh_token"].(string))

	fams := scrape(t, "http://"+addr[1]+"/metrics")
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"drawbridge_mcp_requests_total", map[string]string{"server": "snippets", "method": "initialize", "code": "200", "decision": "allow"}, 1},
		{"drawbridge_mcp_requests_total", map[string]string{"server": "snippets", "code": "401", "decision": "deny"}, 1},
		{"drawbridge_mcp_request_duration_seconds", map[string]string{"server": "snippets", "method": "initialize"}, 1},
		{"drawbridge_tokens_issued_total", map[string]string{"grant_type": "authorization_code"}, 1},
		{"drawbridge_tokens_issued_total", map[string]string{"grant_type": "refresh_token"}, 1},
		{"drawbridge_authorization_events_total", map[string]string{"type": "client.registered"}, 1},
		{"drawbridge_authorization_events_total", map[string]string{"type": "signin.succeeded"}, 1},
		{"drawbridge_store_operation_duration_seconds", map[string]string{"operation": "redeem_auth_code", "outcome": "ok"}, 1},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
	}
	for _, c := range checks {
		v, ok := value(fams, c.name, c.labels)
		if !ok || v < c.min {
			t.Errorf("%s%v = %v (present %v), want at least %v", c.name, c.labels, v, ok, c.min)
		}
	}
	// No identity ever becomes a label.
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetValue(), "alice") || l.GetValue() == c.ID {
					t.Errorf("%s has an identity label %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	// The public listener does not serve metrics.
	resp, err := http.Get(gw.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Error("/metrics is served on the public listener")
	}
}
