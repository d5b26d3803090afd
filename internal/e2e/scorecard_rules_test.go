package e2e

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The scorecard's rules, tested without the suite: what must be explained,
// what regeneration keeps, and that results do not depend on the order in
// which the suite reported them.

func testRun(target string, statuses ...string) scoreRun {
	r := scoreRun{Role: roleResourceServer, Run: "2026-07-28-stateless", Target: target, Requirements: "2026-07-28"}
	s := scoreScenario{Name: "tasks-lifecycle", Scored: "extension"}
	for i, st := range statuses {
		s.Checks = append(s.Checks, scoreCheck{ID: "check-" + string(rune('a'+i)), Name: "Check", Status: st})
	}
	r.Scenarios = []scoreScenario{s}
	return r
}

func tasksExplanation(cause string) explanation {
	return explanation{Title: "tasks", Cause: cause, Role: roleResourceServer, Scenarios: []string{"tasks-*"}, Why: "because"}
}

func TestExplainRequiresAnExplanationForEveryCheckThatDoesNotPass(t *testing.T) {
	for _, st := range []string{"FAILURE", "WARNING", "SKIPPED", "INFO"} {
		results := scoreResults{Runs: []scoreRun{testRun(targetGateway, "SUCCESS", st)}}
		_, err := explain(results, nil)
		if err == nil || !strings.Contains(err.Error(), "no explanation for resource-server/2026-07-28-stateless/gateway: tasks-lifecycle check-b (Check) "+st) {
			t.Errorf("%s without an explanation: err = %v", st, err)
		}
		matched, err := explain(results, []explanation{tasksExplanation("backend")})
		if err != nil {
			t.Errorf("%s with an explanation: %v", st, err)
		}
		if len(matched[0]) != 1 || matched[0][0].check.ID != "check-b" {
			t.Errorf("%s: the explanation matched %v, want check-b alone", st, matched[0])
		}
	}
}

func TestExplainNarrowsByRunAndCheck(t *testing.T) {
	results := scoreResults{Runs: []scoreRun{testRun(targetGateway, "FAILURE")}}
	for name, narrow := range map[string]func(*explanation){
		"another run":      func(e *explanation) { e.Runs = []string{"2025-11-25-stdio"} },
		"another check id": func(e *explanation) { e.Checks = []string{"check-z"} },
		"another role":     func(e *explanation) { e.Role = roleClient },
		"another scenario": func(e *explanation) { e.Scenarios = []string{"server-*"} },
	} {
		e := tasksExplanation("backend")
		narrow(&e)
		if _, err := explain(results, []explanation{e}); err == nil {
			t.Errorf("an explanation for %s explained the failure", name)
		}
	}
}

func TestHarnessNotesExplainNoFailure(t *testing.T) {
	results := scoreResults{Runs: []scoreRun{testRun(targetGateway, "SUCCESS", "FAILURE")}}
	matched, err := explain(results, []explanation{tasksExplanation("harness")})
	if err == nil {
		t.Error("a harness note explained a failure")
	}
	if len(matched[0]) != 1 || matched[0][0].check.Status != "SUCCESS" {
		t.Errorf("the harness note matched %v, want the passing check alone", matched[0])
	}
}

func TestExplainRefusesToBlameDrawbridgeForADirectRun(t *testing.T) {
	results := scoreResults{Runs: []scoreRun{testRun(targetDirect, "FAILURE")}}
	if _, err := explain(results, []explanation{tasksExplanation("drawbridge")}); err == nil || !strings.Contains(err.Error(), "blames Drawbridge") {
		t.Errorf("err = %v, want the blame refused", err)
	}
	if _, err := explain(results, []explanation{tasksExplanation("backend")}); err != nil {
		t.Errorf("backend cause on a direct run: %v", err)
	}
}

func TestStaleExplanationsFail(t *testing.T) {
	results := scoreResults{Runs: []scoreRun{testRun(targetGateway, "SUCCESS")}}
	exps := []explanation{tasksExplanation("backend")}
	matched, err := explain(results, exps)
	if err != nil {
		t.Fatal(err)
	}
	if err := staleExplanations(exps, matched); err == nil || !strings.Contains(err.Error(), `"tasks" matches no check any more`) {
		t.Errorf("err = %v, want the unused explanation reported", err)
	}
}

func TestReadExplanationsValidates(t *testing.T) {
	const valid = "title: t, cause: suite, role: resource-server, scenarios: [x], why: w"
	for _, tc := range []struct{ entry, wantErr string }{
		{"{title: t, cause: nobody, role: resource-server, scenarios: [x], why: w}", `cause "nobody" is none of`},
		{"{title: t, cause: suite, role: proxy, scenarios: [x], why: w}", `role "proxy" is none of`},
		{"{title: t, cause: suite, role: resource-server, why: w}", "scenarios is required"},
		{"{title: t, cause: suite, role: resource-server, scenarios: [x]}", "title and why are required"},
		{"{cause: suite, role: resource-server, scenarios: [x], why: w}", "title and why are required"},
		{"{title: t, cause: suite, role: resource-server, scenarios: ['[x'], why: w}", `pattern "[x"`},
		{"{title: t, cause: suite, role: resource-server, scenarios: [x], checks: ['[x'], why: w}", `pattern "[x"`},
		{"{" + valid + ", because: z}", "unknown field"},
		{"{" + valid + "}", ""},
	} {
		file := filepath.Join(t.TempDir(), "e.yaml")
		if err := os.WriteFile(file, []byte("- "+tc.entry+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readExplanations(file)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.entry, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want %q", tc.entry, err, tc.wantErr)
		}
	}
}

func TestSpliceRegionsKeepsTheHandWrittenText(t *testing.T) {
	doc := "# Title\n\nhand\n<!-- scorecard:a -->\nold a\n<!-- /scorecard:a -->\nmiddle\n<!-- scorecard:b -->\n<!-- /scorecard:b -->\nend\n"
	got, err := spliceRegions(doc, map[string]string{"a": "new a", "b": "new b\nline 2"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nhand\n<!-- scorecard:a -->\nnew a\n<!-- /scorecard:a -->\nmiddle\n<!-- scorecard:b -->\nnew b\nline 2\n<!-- /scorecard:b -->\nend\n"
	if got != want {
		t.Errorf("spliced:\n%s\nwant:\n%s", got, want)
	}
	// Splicing is idempotent: the check in CI is that nothing changes.
	again, err := spliceRegions(got, map[string]string{"a": "new a", "b": "new b\nline 2"})
	if err != nil || again != got {
		t.Errorf("splicing again changed the document (err %v)", err)
	}
}

func TestSpliceRegionsRefusesABrokenDocument(t *testing.T) {
	regions := map[string]string{"a": "x"}
	for name, doc := range map[string]string{
		"missing":   "text\n",
		"unknown":   "<!-- scorecard:a -->\n<!-- /scorecard:a -->\n<!-- scorecard:z -->\n<!-- /scorecard:z -->\n",
		"twice":     "<!-- scorecard:a -->\n<!-- /scorecard:a -->\n<!-- scorecard:a -->\n<!-- /scorecard:a -->\n",
		"unclosed":  "<!-- scorecard:a -->\ntext\n",
		"nested":    "<!-- scorecard:a -->\n<!-- scorecard:a -->\n<!-- /scorecard:a -->\n",
		"misclosed": "<!-- scorecard:a -->\n<!-- /scorecard:b -->\n",
	} {
		if _, err := spliceRegions(doc, regions); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNewScoreRunDoesNotDependOnReportOrder(t *testing.T) {
	checks := []conformanceCheck{
		{ID: "b", Name: "B", Status: "FAILURE", scenario: "s2"},
		{ID: "a", Name: "A2", Status: "SUCCESS", scenario: "s1"},
		{ID: "outgoing-request", Name: "OutgoingRequest", Status: "INFO", scenario: "s1"},
		{ID: "a", Name: "A1", Status: "SUCCESS", scenario: "s1"},
	}
	reversed := []conformanceCheck{checks[3], checks[2], checks[1], checks[0]}
	scored := func(s string) string { return map[string]string{"s1": "required"}[s] }
	a := newScoreRun(roleResourceServer, "r", targetGateway, "2026-07-28", checks, scored)
	b := newScoreRun(roleResourceServer, "r", targetGateway, "2026-07-28", reversed, scored)
	if !reflect.DeepEqual(marshalResults(scoreResults{Runs: []scoreRun{a}}), marshalResults(scoreResults{Runs: []scoreRun{b}})) {
		t.Errorf("the order of the suite's report changed the results:\n%s\n%s",
			marshalResults(scoreResults{Runs: []scoreRun{a}}), marshalResults(scoreResults{Runs: []scoreRun{b}}))
	}
	want := []scoreScenario{
		{Name: "s1", Scored: "required", Checks: []scoreCheck{{ID: "a", Name: "A1", Status: "SUCCESS"}, {ID: "a", Name: "A2", Status: "SUCCESS"}}},
		{Name: "s2", Checks: []scoreCheck{{ID: "b", Name: "B", Status: "FAILURE", message: ""}}},
	}
	if !reflect.DeepEqual(a.Scenarios, want) {
		t.Errorf("scenarios = %+v, want %+v (sorted, without the transcript)", a.Scenarios, want)
	}
	if passing, required := a.requiredPassing(); passing != 1 || required != 1 {
		t.Errorf("required passing = %d of %d, want 1 of 1", passing, required)
	}
}

func TestResultsRoundTripOneCheckPerLine(t *testing.T) {
	r := scoreResults{Suite: "1.0", Fixture: "v1", Runs: []scoreRun{testRun(targetGateway, "SUCCESS", "FAILURE"), {Role: roleResourceServer, Run: "x", Target: targetGateway, NotRun: `a "quoted" reason`}}}
	r.Runs[0].Scenarios[0].Checks[0].Name = `Name "with" quotes \ and backslash`
	b := marshalResults(r)
	if !strings.Contains(string(b), `{"id": "check-a", "name": "Name \"with\" quotes \\ and backslash", "status": "SUCCESS"},`+"\n") {
		t.Errorf("a check is not on one line:\n%s", b)
	}
	file := filepath.Join(t.TempDir(), "r.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := readResults(file)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("read back %+v, want %+v", back, r)
	}
}

func TestResultDiffNamesTheChangedCheck(t *testing.T) {
	before := scoreResults{Runs: []scoreRun{testRun(targetGateway, "SUCCESS", "SUCCESS")}}
	after := scoreResults{Runs: []scoreRun{testRun(targetGateway, "SUCCESS", "FAILURE")}}
	gone, added := diffLines(resultLines(before), resultLines(after))
	run := "resource-server/2026-07-28-stateless/gateway: tasks-lifecycle [extension] check-b (Check) "
	if !reflect.DeepEqual(gone, []string{run + "SUCCESS"}) || !reflect.DeepEqual(added, []string{run + "FAILURE"}) {
		t.Errorf("diff = %q / %q", gone, added)
	}
}

func TestStatusCell(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "—"},
		{[]string{"SUCCESS"}, "pass"},
		{[]string{"SUCCESS", "SUCCESS", "SUCCESS"}, "pass ×3"},
		{[]string{"SUCCESS", "FAILURE", "SUCCESS"}, "**fail**, pass ×2"},
		{[]string{"INFO", "WARNING"}, "warning, info"},
	} {
		if got := statusCell(tc.in); got != tc.want {
			t.Errorf("statusCell(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRequirementSetLabels(t *testing.T) {
	var rs requirementSet
	rs.Server = []string{"tools-list"}
	rs.Client = []string{"initialize"}
	rs.NotScored = append(rs.NotScored, struct {
		Scenario string `yaml:"scenario"`
		Leg      string `yaml:"leg"`
		Reason   string `yaml:"reason"`
	}{"tasks-lifecycle", "server", "extension"})
	server := rs.scored("server")
	for scenario, want := range map[string]string{"tools-list": "required", "tasks-lifecycle": "extension", "initialize": "not in the set"} {
		if got := server(scenario); got != want {
			t.Errorf("server %s = %q, want %q", scenario, got, want)
		}
	}
	if got := rs.scored("client")("initialize"); got != "required" {
		t.Errorf("client initialize = %q", got)
	}
	r := scoreRun{Scenarios: []scoreScenario{{Name: "tasks-lifecycle"}}}
	if got := rs.missingRequired("server", r); !reflect.DeepEqual(got, []string{"tools-list"}) {
		t.Errorf("missing required = %v, want [tools-list]", got)
	}
}

// TestScorecardColumnsMatchTheConfiguredRuns: every configured run that
// runs is shown in a table, so that no result is recorded but never
// published.
func TestScorecardColumnsMatchTheConfiguredRuns(t *testing.T) {
	shown := map[string]bool{}
	for _, c := range allColumns() {
		shown[c.role+"/"+c.run+"/"+c.target] = true
	}
	for _, r := range configuredRuns() {
		if r.NotRun == "" && !shown[r.key()] {
			t.Errorf("run %s is in no table of docs/conformance.md", r.key())
		}
		delete(shown, r.key())
	}
	for k := range shown {
		t.Errorf("a table shows %s, which no test runs", k)
	}
}
