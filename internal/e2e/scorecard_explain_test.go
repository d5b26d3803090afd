package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// explanation is one entry of testdata/conformance-explanations.yaml: why
// the checks it matches do not pass. An entry whose cause is "harness"
// matches passing checks instead, and says that the test harness, not
// Drawbridge, earned them.
type explanation struct {
	Title string `yaml:"title"`
	Cause string `yaml:"cause"`
	Role  string `yaml:"role"`
	// Runs narrows the entry to these runs of the role; default all.
	Runs []string `yaml:"runs"`
	// Scenarios and Checks (check ids; default all) are path.Match
	// patterns.
	Scenarios []string `yaml:"scenarios"`
	Checks    []string `yaml:"checks"`
	Why       string   `yaml:"why"`
}

// explanationCauses says, for each cause, whose the result is.
var explanationCauses = map[string]string{
	"drawbridge": "Drawbridge",
	"backend":    "the backend: the Go SDK's everything-server gets the same result on its own",
	"suite":      "the conformance suite",
	"harness":    "the test harness, not Drawbridge (these checks pass)",
}

func readExplanations(file string) ([]explanation, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var exps []explanation
	dec := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField())
	if err := dec.Decode(&exps); err != nil {
		return nil, fmt.Errorf("%s: %s", file, yaml.FormatError(err, false, true))
	}
	var errs []error
	for i, e := range exps {
		if err := e.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: entry %d (%q): %w", file, i+1, e.Title, err))
		}
	}
	return exps, errors.Join(errs...)
}

func (e explanation) validate() error {
	var errs []error
	if e.Title == "" || strings.TrimSpace(e.Why) == "" {
		errs = append(errs, errors.New("title and why are required"))
	}
	if _, ok := explanationCauses[e.Cause]; !ok {
		errs = append(errs, fmt.Errorf("cause %q is none of drawbridge, backend, suite, harness", e.Cause))
	}
	if !slices.Contains([]string{roleAuthorizationServer, roleResourceServer, roleClient}, e.Role) {
		errs = append(errs, fmt.Errorf("role %q is none of %s, %s, %s", e.Role, roleAuthorizationServer, roleResourceServer, roleClient))
	}
	if len(e.Scenarios) == 0 {
		errs = append(errs, errors.New("scenarios is required"))
	}
	for _, p := range append(slices.Clone(e.Scenarios), e.Checks...) {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("pattern %q: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func (e explanation) matches(r scoreRun, scenario string, c scoreCheck) bool {
	if r.Role != e.Role || (len(e.Runs) > 0 && !slices.Contains(e.Runs, r.Run)) {
		return false
	}
	if (e.Cause == "harness") != (c.Status == "SUCCESS") {
		return false
	}
	return matchAny(e.Scenarios, scenario) && (len(e.Checks) == 0 || matchAny(e.Checks, c.ID))
}

func matchAny(patterns []string, s string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { ok, _ := path.Match(p, s); return ok })
}

// explainedCheck is a check an explanation matched.
type explainedCheck struct {
	run      scoreRun
	scenario string
	check    scoreCheck
}

// explain gives every check that does not pass its explanation (the first
// entry that matches it) and every harness entry its passing checks. It
// fails when a check that does not pass has none, and when an entry blames
// Drawbridge for what the backend does alone.
func explain(results scoreResults, exps []explanation) ([][]explainedCheck, error) {
	matched := make([][]explainedCheck, len(exps))
	var errs []error
	for _, r := range results.Runs {
		for _, s := range r.Scenarios {
			for _, c := range s.Checks {
				i := slices.IndexFunc(exps, func(e explanation) bool { return e.matches(r, s.Name, c) })
				if i < 0 {
					if c.Status != "SUCCESS" {
						errs = append(errs, fmt.Errorf("no explanation for %s: %s %s (%s) %s%s", r.key(), s.Name, c.ID, c.Name, c.Status, suiteMessage(c)))
					}
					continue
				}
				if exps[i].Cause == "drawbridge" && r.Target == targetDirect {
					errs = append(errs, fmt.Errorf("explanation %q blames Drawbridge for %s: %s %s, which was run without Drawbridge", exps[i].Title, r.key(), s.Name, c.ID))
				}
				matched[i] = append(matched[i], explainedCheck{run: r, scenario: s.Name, check: c})
			}
		}
	}
	return matched, errors.Join(errs...)
}

// staleExplanations fails for each entry that matched nothing in a full
// set of results: it must be removed, not linger.
func staleExplanations(exps []explanation, matched [][]explainedCheck) error {
	var errs []error
	for i, e := range exps {
		if len(matched[i]) == 0 {
			errs = append(errs, fmt.Errorf("explanation %q matches no check any more: remove it", e.Title))
		}
	}
	return errors.Join(errs...)
}

func suiteMessage(c scoreCheck) string {
	if c.message == "" {
		return ""
	}
	return ": " + c.message
}
