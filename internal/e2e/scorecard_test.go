package e2e

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The conformance scorecard publishes what the official MCP conformance
// suite says about Drawbridge in its three roles. Its parts:
//
//   - docs/conformance-results.json: every check of every run, as the
//     suite reported it (the machine-readable result). TestConformanceScorecard
//     runs the suite and requires exactly these results.
//   - testdata/conformance-explanations.yaml: why each check that does not
//     pass does not pass, written by hand.
//   - docs/conformance.md: hand-written text around generated regions
//     (<!-- scorecard:NAME --> … <!-- /scorecard:NAME -->), which are rendered
//     from the two files above. TestConformanceScorecardDoc requires the
//     regions to be exactly what they render to, and every check that does
//     not pass to have an explanation.
//
// `go test ./internal/e2e -run Scorecard -update` (scripts/conformance-scorecard)
// rewrites the results from a full run and the regions from the results;
// the hand-written text is never touched.
var updateScorecard = flag.Bool("update", false,
	"rewrite docs/conformance-results.json from a full TestConformanceScorecard run, and the generated regions of docs/conformance.md")

var (
	scorecardResultsFile      = filepath.Join("..", "..", "docs", "conformance-results.json")
	scorecardDocFile          = filepath.Join("..", "..", "docs", "conformance.md")
	scorecardExplanationsFile = filepath.Join("testdata", "conformance-explanations.yaml")
)

// The suite's roles, as the scorecard names them.
const (
	roleAuthorizationServer = "authorization-server"
	roleResourceServer      = "resource-server"
	roleClient              = "client"
)

// Where a run's requests went.
const (
	targetDrawbridge = "drawbridge" // Drawbridge itself: its authorization server, or its client
	targetDirect     = "direct"     // the Go SDK's everything-server alone
	targetGateway    = "gateway"    // the everything-server through Drawbridge
)

// The statuses the suite reports, most severe first.
var checkStatuses = []string{"FAILURE", "WARNING", "SKIPPED", "INFO", "SUCCESS"}

// scoreResults is docs/conformance-results.json.
type scoreResults struct {
	// Suite is the conformance suite's version, Fixture the go-sdk version
	// the everything-server is built from.
	Suite   string     `json:"suite"`
	Fixture string     `json:"fixture"`
	Runs    []scoreRun `json:"runs"`
}

// scoreRun is one run of the suite.
type scoreRun struct {
	Role   string `json:"role"`
	Run    string `json:"run"`
	Target string `json:"target"`
	// Requirements is the requirement set the run selected
	// (--requirements), which decides which scenarios are scored.
	Requirements string `json:"requirements,omitempty"`
	// NotRun says why a configured run does not run.
	NotRun    string          `json:"not_run,omitempty"`
	Scenarios []scoreScenario `json:"scenarios,omitempty"`
}

type scoreScenario struct {
	Name string `json:"name"`
	// Scored is "required" when the run's requirement set requires the
	// scenario, or the set's reason for running it without scoring it
	// (extension, pending, added-after-release); empty outside requirement
	// sets.
	Scored string       `json:"scored,omitempty"`
	Checks []scoreCheck `json:"checks"`
}

type scoreCheck struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// message is the suite's error message: shown when a check needs an
	// explanation, never stored, because it can hold ports and times.
	message string
}

func (r scoreRun) key() string { return r.Role + "/" + r.Run + "/" + r.Target }

// suiteTranscriptIDs are the INFO "checks" in which the suite logs each
// HTTP request and response of a scenario: a transcript, not a verdict,
// left out of the scorecard.
var suiteTranscriptIDs = map[string]bool{
	"outgoing-request": true, "incoming-response": true, // the suite as the client
	"incoming-request": true, "outgoing-response": true, // its MCP server, in client scenarios
	"incoming-auth-request": true, "outgoing-auth-response": true, // its authorization server
}

// newScoreRun turns the checks a run reported into its scorecard entry:
// scenarios by name, checks by id, name and status, so that the order in
// which the suite happened to finish them does not matter, and without the
// suite's transcript of the traffic. scored labels each scenario (nil: no
// requirement set).
func newScoreRun(role, run, target, requirements string, checks []conformanceCheck, scored func(scenario string) string) scoreRun {
	r := scoreRun{Role: role, Run: run, Target: target, Requirements: requirements}
	index := map[string]int{}
	for _, c := range checks {
		if c.Status == "INFO" && suiteTranscriptIDs[c.ID] {
			continue
		}
		i, ok := index[c.scenario]
		if !ok {
			i = len(r.Scenarios)
			index[c.scenario] = i
			s := scoreScenario{Name: c.scenario}
			if scored != nil {
				s.Scored = scored(c.scenario)
			}
			r.Scenarios = append(r.Scenarios, s)
		}
		r.Scenarios[i].Checks = append(r.Scenarios[i].Checks, scoreCheck{ID: c.ID, Name: c.Name, Status: c.Status, message: c.ErrorMessage})
	}
	slices.SortFunc(r.Scenarios, func(a, b scoreScenario) int { return strings.Compare(a.Name, b.Name) })
	for _, s := range r.Scenarios {
		slices.SortStableFunc(s.Checks, func(a, b scoreCheck) int {
			return cmpStrings(a.ID, b.ID, a.Name, b.Name, a.Status, b.Status)
		})
	}
	return r
}

// cmpStrings compares pairs in turn: a1 with b1, then a2 with b2, …
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// counts is the number of checks per status.
func (r scoreRun) counts() map[string]int {
	n := map[string]int{}
	for _, s := range r.Scenarios {
		for _, c := range s.Checks {
			n[c.Status]++
		}
	}
	return n
}

// requiredPassing counts the scenarios the run's requirement set requires,
// and those of them without a failed check: the suite's own verdict, in
// which a warning does not fail a scenario.
func (r scoreRun) requiredPassing() (passing, required int) {
	for _, s := range r.Scenarios {
		if s.Scored != "required" {
			continue
		}
		required++
		if !slices.ContainsFunc(s.Checks, func(c scoreCheck) bool { return c.Status == "FAILURE" }) {
			passing++
		}
	}
	return passing, required
}

// scorecard collects the runs of one TestConformanceScorecard.
type scorecard struct {
	mu   sync.Mutex
	runs map[string]scoreRun
}

// record keeps a run's results and requires, at once, an explanation for
// each of its checks that does not pass, so that a run started alone
// (-run) is held to that too.
func (sc *scorecard) record(t *testing.T, r scoreRun) {
	t.Helper()
	sc.mu.Lock()
	if sc.runs == nil {
		sc.runs = map[string]scoreRun{}
	}
	sc.runs[r.key()] = r
	sc.mu.Unlock()
	exps, err := readExplanations(scorecardExplanationsFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := explain(scoreResults{Runs: []scoreRun{r}}, exps); err != nil {
		t.Errorf("%v\n(add the explanations to %s)", err, scorecardExplanationsFile)
	}
}

// results puts the recorded runs in the order of want, the runs configured
// (those that do not run come with their reason); it lists the configured
// runs that were not recorded, which -run filtered out or which failed
// before the suite reported.
func (sc *scorecard) results(want []scoreRun) (runs []scoreRun, missing []string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, w := range want {
		switch r, ok := sc.runs[w.key()]; {
		case w.NotRun != "":
			runs = append(runs, w)
		case ok:
			runs = append(runs, r)
		default:
			missing = append(missing, w.key())
		}
	}
	return runs, missing
}

// marshalResults is the exact text of docs/conformance-results.json:
// indented JSON with each check on one line, so that a diff shows one line
// per changed check.
func marshalResults(r scoreResults) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		panic(err) // plain strings and slices always encode
	}
	return indentedCheck.ReplaceAll(b.Bytes(), []byte(`{"id": $1, "name": $2, "status": $3}`))
}

// indentedCheck is a scoreCheck as the indenting encoder writes it.
var indentedCheck = regexp.MustCompile(`\{\n\s*"id": ("(?:[^"\\]|\\.)*"),\n\s*"name": ("(?:[^"\\]|\\.)*"),\n\s*"status": ("[A-Z]+")\n\s*\}`)

func readResults(path string) (scoreResults, error) {
	var r scoreResults
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// resultLines flattens results to one line per check, for a diff that
// names what changed.
func resultLines(r scoreResults) []string {
	lines := []string{"suite " + r.Suite, "fixture " + r.Fixture}
	for _, run := range r.Runs {
		if run.NotRun != "" {
			lines = append(lines, run.key()+": not run: "+run.NotRun)
		}
		for _, s := range run.Scenarios {
			for _, c := range s.Checks {
				lines = append(lines, fmt.Sprintf("%s: %s [%s] %s (%s) %s", run.key(), s.Name, s.Scored, c.ID, c.Name, c.Status))
			}
		}
	}
	return lines
}

// diffLines compares two lists as multisets: what only a has and what only
// b has, each sorted.
func diffLines(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, l := range a {
		count[l]++
	}
	for _, l := range b {
		count[l]--
	}
	for l, n := range count {
		for ; n > 0; n-- {
			onlyA = append(onlyA, l)
		}
		for ; n < 0; n++ {
			onlyB = append(onlyB, l)
		}
	}
	slices.Sort(onlyA)
	slices.Sort(onlyB)
	return onlyA, onlyB
}

// TestConformanceScorecard runs the official MCP conformance suite against
// Drawbridge in its three roles (authorization server; resource server, in
// front of the Go SDK's conformance server; client of upstream
// authorization servers, where the suite can test that) and requires
// exactly the results in docs/conformance-results.json, and
// docs/conformance.md to show them. With -update it rewrites both from
// this run, provided every run completed and passed its own assertions.
func TestConformanceScorecard(t *testing.T) {
	nt := needNode(t)
	sc := &scorecard{}
	t.Run(roleAuthorizationServer, func(t *testing.T) { conformanceAuthorizationServer(t, nt, sc) })
	t.Run(roleResourceServer, func(t *testing.T) { conformanceResourceServer(t, nt, sc) })
	t.Run(roleClient, func(t *testing.T) { conformanceClient(t, nt, sc) })

	runs, missing := sc.results(configuredRuns())
	if len(missing) > 0 {
		// -run chose some runs, or a run failed before the suite reported.
		t.Logf("the scorecard is not compared: no results from %s", strings.Join(missing, ", "))
		if *updateScorecard {
			t.Errorf("not updating %s from a partial run", scorecardResultsFile)
		}
		return
	}
	results := scoreResults{Suite: suiteVersion(t, nt), Fixture: goRequirements(t)[goSDKModule], Runs: runs}
	writeArtifact(t, "conformance-results.json", marshalResults(results))
	syncResults(t, results)
	if *updateScorecard && t.Failed() {
		return // the page stays true to the results file, which was not rewritten
	}
	syncScorecardDoc(t, results)
}

const goSDKModule = "github.com/modelcontextprotocol/go-sdk"

// configuredRuns are the runs the tests configure, in the scorecard's
// order; those that do not run carry the reason.
func configuredRuns() []scoreRun {
	var runs []scoreRun
	for _, r := range conformanceAuthorizationRuns {
		runs = append(runs, scoreRun{Role: roleAuthorizationServer, Run: r.name, Target: targetDrawbridge})
	}
	for _, cfg := range conformanceServerConfigs {
		targets := []string{targetDirect, targetGateway}
		if cfg.stdio != "" {
			targets = targets[1:] // the direct run is the HTTP configuration's
		}
		for _, target := range targets {
			runs = append(runs, scoreRun{Role: roleResourceServer, Run: cfg.name, Target: target,
				Requirements: cfg.requirements, NotRun: cfg.waitsFor})
		}
	}
	return append(runs, scoreRun{Role: roleClient, Run: conformanceClientRun, Target: targetDrawbridge})
}

// suiteVersion is the installed conformance suite's version.
func suiteVersion(t *testing.T, nt nodeTools) string {
	t.Helper()
	var pkg struct {
		Version string `json:"version"`
	}
	readJSON(t, filepath.Join(nt.modules, "@modelcontextprotocol", "conformance", "package.json"), &pkg)
	return pkg.Version
}

// syncResults compares a full run's results with
// docs/conformance-results.json, or writes them there with -update.
func syncResults(t *testing.T, results scoreResults) {
	t.Helper()
	fresh := marshalResults(results)
	old, err := os.ReadFile(scorecardResultsFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if bytes.Equal(old, fresh) {
		return
	}
	if *updateScorecard {
		if t.Failed() {
			t.Errorf("not updating %s: the runs failed", scorecardResultsFile)
			return
		}
		if err := os.WriteFile(scorecardResultsFile, fresh, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", scorecardResultsFile)
		return
	}
	committed, err := readResults(scorecardResultsFile)
	if err != nil {
		t.Fatal(err)
	}
	gone, added := diffLines(resultLines(committed), resultLines(results))
	t.Errorf("the conformance results changed; check them, explain any check that does not pass in %s, "+
		"and run scripts/conformance-scorecard to publish them\n  in %s only:\n    %s\n  in this run only:\n    %s",
		scorecardExplanationsFile, scorecardResultsFile, strings.Join(orNone(gone), "\n    "), strings.Join(orNone(added), "\n    "))
}

// writeArtifact keeps a copy of this run's results where CI collects test
// artifacts (DRAWBRIDGE_ARTIFACTS), when that is set.
func writeArtifact(t *testing.T, name string, b []byte) {
	t.Helper()
	dir := os.Getenv("DRAWBRIDGE_ARTIFACTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConformanceScorecardDoc keeps docs/conformance.md true to
// docs/conformance-results.json and the explanations, without running the
// suite (so a plain `go test ./...` checks it too): every check that does
// not pass has an explanation, every explanation still applies, and the
// generated regions are exactly what they render to. With -update it
// rewrites the regions. It comes after TestConformanceScorecard in this
// file, so that `-run Scorecard -update` renders from the results that test
// has just written (tests run in the order of their source).
func TestConformanceScorecardDoc(t *testing.T) {
	results, err := readResults(scorecardResultsFile)
	if err != nil {
		t.Fatal(err)
	}
	syncScorecardDoc(t, results)
}

// syncScorecardDoc renders the doc's regions from results and compares
// them with docs/conformance.md, or writes them with -update.
func syncScorecardDoc(t *testing.T, results scoreResults) {
	t.Helper()
	exps, err := readExplanations(scorecardExplanationsFile)
	if err != nil {
		t.Fatal(err)
	}
	regions, err := renderScorecard(results, exps)
	if err != nil {
		t.Fatalf("%v\n(explanations: %s; results: %s)", err, scorecardExplanationsFile, scorecardResultsFile)
	}
	old, err := os.ReadFile(scorecardDocFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spliceRegions(string(old), regions)
	if err != nil {
		t.Fatalf("%s: %v", scorecardDocFile, err)
	}
	if doc == string(old) {
		return
	}
	if *updateScorecard {
		if err := os.WriteFile(scorecardDocFile, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the generated regions of %s", scorecardDocFile)
		return
	}
	gone, added := diffLines(strings.Split(string(old), "\n"), strings.Split(doc, "\n"))
	t.Errorf("%s is not what the results and explanations render to; run scripts/conformance-scorecard "+
		"(or go test ./internal/e2e -run ScorecardDoc -update)\n  lines to remove:\n    %s\n  lines to add:\n    %s",
		scorecardDocFile, strings.Join(orNone(gone), "\n    "), strings.Join(orNone(added), "\n    "))
}
