package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
)

// requirementSet is one of the suite's requirements/<revision>.yaml files:
// the scenarios a protocol revision requires, per role, and those it runs
// without scoring them, each with the reason.
type requirementSet struct {
	Server    []string `yaml:"server"`
	Client    []string `yaml:"client"`
	NotScored []struct {
		Scenario string `yaml:"scenario"`
		Leg      string `yaml:"leg"`
		Reason   string `yaml:"reason"`
	} `yaml:"not_scored"`
}

// readRequirementSet reads a revision's requirement set from the installed
// suite.
func readRequirementSet(t *testing.T, nt nodeTools, revision string) requirementSet {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(nt.modules, "@modelcontextprotocol", "conformance", "requirements", revision+".yaml"))
	if err != nil {
		t.Fatalf("the conformance suite's requirement set %s: %v", revision, err)
	}
	var rs requirementSet
	if err := yaml.Unmarshal(b, &rs); err != nil {
		t.Fatalf("requirements/%s.yaml: %v", revision, err)
	}
	if len(rs.Server) == 0 || len(rs.Client) == 0 {
		t.Fatalf("requirements/%s.yaml lists no server or no client scenarios", revision)
	}
	return rs
}

// scored labels a scenario of leg (server, client): "required", the reason
// it is run but not scored, or "not in the set".
func (rs requirementSet) scored(leg string) func(scenario string) string {
	required := rs.required(leg)
	return func(scenario string) string {
		if slices.Contains(required, scenario) {
			return "required"
		}
		for _, n := range rs.NotScored {
			if n.Leg == leg && n.Scenario == scenario {
				return n.Reason
			}
		}
		return "not in the set"
	}
}

// missingRequired lists the scenarios the set requires of leg that the run
// did not report: a run that silently did less must not look complete.
func (rs requirementSet) missingRequired(leg string, r scoreRun) []string {
	var missing []string
	for _, sc := range rs.required(leg) {
		if !slices.ContainsFunc(r.Scenarios, func(s scoreScenario) bool { return s.Name == sc }) {
			missing = append(missing, sc)
		}
	}
	return missing
}

// required lists the scenarios the set requires of leg (server, client).
func (rs requirementSet) required(leg string) []string {
	if leg == "client" {
		return rs.Client
	}
	return rs.Server
}
