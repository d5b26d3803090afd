package doctor

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A check with several findings reports the worst status, what was seen
// worst first, and each fix once.
func TestResultFolds(t *testing.T) {
	r := &result{name: "x"}
	r.ok("fine")
	r.warn("soon", "renew")
	r.problem("broken", "repair")
	r.problem("also broken", "repair")
	want := Check{Name: "x", Status: Problem, Seen: "broken; also broken; soon; fine", Fix: "repair renew"}
	if got := r.check(); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := (&result{name: "y"}).check(); got.Status != Skip || got.Seen != "not checked" {
		t.Errorf("no findings: %+v", got)
	}
}

// The JSON shape is the documented one (docs/doctor.md).
func TestReportJSON(t *testing.T) {
	rep := &Report{Format: 1, URL: "https://h", MCP: "https://h/mcp", Problems: 1,
		Checks: []Check{{Name: "tls", Status: Problem, Seen: "expired", Fix: "renew"}, {Name: "url", Status: OK, Seen: "https"}}}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"format": 1.0, "url": "https://h", "mcp_url": "https://h/mcp", "problems": 1.0, "warnings": 0.0,
		"checks": []any{map[string]any{"name": "tls", "status": "problem", "seen": "expired", "fix": "renew"},
			map[string]any{"name": "url", "status": "ok", "seen": "https"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// Whatever a server manages to get into a report, the terminal gets no
// control character from it.
func TestTextIsPrintable(t *testing.T) {
	rep := &Report{URL: "https://h\x1b[2J", MCP: "https://h/mcp\x07", Problems: 1,
		Checks: []Check{{Name: "x", Status: Problem, Seen: "a\x1b]0;title\x07b\u202ec\r\n", Fix: "f\u009bix\x9b"}}}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(strings.ReplaceAll(out, "\n", ""), "\x1b\x07\u202e\r\u009b") || strings.Contains(out, "\x9b") {
		t.Errorf("control characters in %q", out)
	}
	if !strings.Contains(out, "PROBLEM  x") || !strings.Contains(out, "fix: f?ix") || !strings.Contains(out, "1 problem, 0 warnings.") {
		t.Errorf("text report:\n%s", out)
	}
}
