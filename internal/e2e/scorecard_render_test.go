package e2e

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// scoreColumn is a column of a scorecard table: one run's results.
type scoreColumn struct {
	role, run, target string
	title             string
}

// renderScorecard renders every generated region of docs/conformance.md.
func renderScorecard(results scoreResults, exps []explanation) (map[string]string, error) {
	matched, explainErr := explain(results, exps)
	explainErr = errors.Join(explainErr, staleExplanations(exps, matched))
	regions := map[string]string{
		"versions": renderVersions(results),
		"summary":  renderSummary(results),
	}
	var errs []error
	add := func(name string, s string, err error) {
		regions[name] = s
		errs = append(errs, err)
	}
	s, err := renderCheckTable(results, authorizationColumns())
	add("authorization-server", s, err)
	for _, rev := range requirementRevisions() {
		s, err := renderResourceServer(results, rev)
		add("resource-server-"+rev, s, err)
	}
	s, err = renderCheckTable(results, clientColumns())
	add("client", s, err)
	regions["not-passing"] = renderExplanations(exps, matched)
	return regions, errors.Join(append([]error{explainErr}, errs...)...)
}

func authorizationColumns() []scoreColumn {
	var cols []scoreColumn
	for _, r := range conformanceAuthorizationRuns {
		cols = append(cols, scoreColumn{roleAuthorizationServer, r.name, targetDrawbridge, r.title})
	}
	return cols
}

// resourceServerColumns are the runs of one requirement set: the Go SDK
// server alone (from the HTTP configuration), then each configuration
// through Drawbridge. Configurations that do not run have no column; the
// summary says why.
func resourceServerColumns(rev string) []scoreColumn {
	var direct, through []scoreColumn
	for _, cfg := range conformanceServerConfigs {
		if cfg.requirements != rev || cfg.waitsFor != "" {
			continue
		}
		if cfg.stdio == "" {
			direct = append(direct, scoreColumn{roleResourceServer, cfg.name, targetDirect, "Go SDK server alone"})
		}
		through = append(through, scoreColumn{roleResourceServer, cfg.name, targetGateway, cfg.title})
	}
	return append(direct, through...)
}

// requirementRevisions are the requirement sets the resource-server runs
// select, in their order; each has a region in docs/conformance.md.
func requirementRevisions() []string {
	var revs []string
	for _, cfg := range conformanceServerConfigs {
		if !slices.Contains(revs, cfg.requirements) {
			revs = append(revs, cfg.requirements)
		}
	}
	return revs
}

// allColumns is every column of every table.
func allColumns() []scoreColumn {
	cols := append(authorizationColumns(), clientColumns()...)
	for _, rev := range requirementRevisions() {
		cols = append(cols, resourceServerColumns(rev)...)
	}
	return cols
}

func clientColumns() []scoreColumn {
	return []scoreColumn{{roleClient, conformanceClientRun, targetDrawbridge, "Drawbridge, backend auth `client_credentials`"}}
}

func findRun(results scoreResults, c scoreColumn) (scoreRun, error) {
	for _, r := range results.Runs {
		if r.Role == c.role && r.Run == c.run && r.Target == c.target {
			return r, nil
		}
	}
	return scoreRun{}, fmt.Errorf("the results have no run %s/%s/%s (the tests configure it): run scripts/conformance-scorecard", c.role, c.run, c.target)
}

func renderVersions(results scoreResults) string {
	return "| Software | Version |\n|---|---|\n" +
		fmt.Sprintf("| MCP conformance suite, `@modelcontextprotocol/conformance` | %s |\n", results.Suite) +
		fmt.Sprintf("| Backend of the resource-server runs, `%s` | %s |", everythingServerPkg, results.Fixture)
}

var roleTitles = map[string]string{
	roleAuthorizationServer: "Authorization server",
	roleResourceServer:      "Resource server",
	roleClient:              "Client of an upstream authorization server",
}

// runTitle names a run in the summary: its column's title, or, for a run
// that has no column because it does not run, its configuration's.
func runTitle(r scoreRun) string {
	for _, c := range allColumns() {
		if c.role == r.Role && c.run == r.Run && c.target == r.Target {
			return c.title
		}
	}
	for _, cfg := range conformanceServerConfigs {
		if r.Role == roleResourceServer && cfg.name == r.Run {
			return cfg.title
		}
	}
	return r.Run
}

func renderSummary(results scoreResults) string {
	var b strings.Builder
	b.WriteString("| Role | Requirement set | Run | Checks | pass | fail | warning | skipped | info | Required scenarios passing |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	var notRun []string
	for _, r := range results.Runs {
		if r.NotRun != "" {
			notRun = append(notRun, fmt.Sprintf("- %s, %s, %s (`%s`): not run; it waits for %s.", roleTitles[r.Role], orDash(r.Requirements), runTitle(r), r.Run, r.NotRun))
			continue
		}
		n := r.counts()
		total := 0
		for _, v := range n {
			total += v
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d | %d | %d | %s |\n", roleTitles[r.Role], orDash(r.Requirements), runTitle(r),
			total, n["SUCCESS"], n["FAILURE"], n["WARNING"], n["SKIPPED"], n["INFO"], requiredCell(r))
	}
	s := strings.TrimSuffix(b.String(), "\n")
	if len(notRun) > 0 {
		s += "\n\n" + strings.Join(notRun, "\n")
	}
	return s
}

// requiredCell is the suite's verdict on the scenarios a run's requirement
// set requires, or why none are.
func requiredCell(r scoreRun) string {
	if r.Requirements != "" {
		passing, required := r.requiredPassing()
		return fmt.Sprintf("%d of %d", passing, required)
	}
	var labels []string
	for _, s := range r.Scenarios {
		if s.Scored != "" && !slices.Contains(labels, s.Scored) {
			labels = append(labels, s.Scored)
		}
	}
	if len(labels) == 0 {
		return "none: no requirement set covers this role"
	}
	slices.Sort(labels)
	return "none: " + strings.Join(labels, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// rowKey is a row of a check table: several checks of a scenario may share
// an id (one per header tried, say), but not also a name.
type rowKey struct{ scenario, id, name string }

// renderCheckTable lists every check of the columns' runs, one row per
// scenario, id and name, with each run's result.
func renderCheckTable(results scoreResults, cols []scoreColumn) (string, error) {
	runs, err := columnRuns(results, cols)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| Scenario | Check | Name |")
	sep := "|---|---|---|"
	for _, c := range cols {
		b.WriteString(" " + c.title + " |")
		sep += "---|"
	}
	b.WriteString("\n" + sep)
	for _, k := range checkRows(runs) {
		fmt.Fprintf(&b, "\n| `%s` | `%s` | %s |", k.scenario, k.id, k.name)
		for _, r := range runs {
			b.WriteString(" " + statusCell(statusesOf(r, k)) + " |")
		}
	}
	return b.String(), nil
}

func columnRuns(results scoreResults, cols []scoreColumn) ([]scoreRun, error) {
	var runs []scoreRun
	for _, c := range cols {
		r, err := findRun(results, c)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// checkRows is every row of the runs, sorted.
func checkRows(runs []scoreRun) []rowKey {
	seen := map[rowKey]bool{}
	var keys []rowKey
	for _, r := range runs {
		for _, s := range r.Scenarios {
			for _, c := range s.Checks {
				if k := (rowKey{s.Name, c.ID, c.Name}); !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	slices.SortFunc(keys, func(a, b rowKey) int { return cmpStrings(a.scenario, b.scenario, a.id, b.id, a.name, b.name) })
	return keys
}

func statusesOf(r scoreRun, k rowKey) []string {
	var st []string
	for _, s := range r.Scenarios {
		if s.Name != k.scenario {
			continue
		}
		for _, c := range s.Checks {
			if c.ID == k.id && c.Name == k.name {
				st = append(st, c.Status)
			}
		}
	}
	return st
}

var statusWords = map[string]string{"SUCCESS": "pass", "FAILURE": "**fail**", "WARNING": "warning", "SKIPPED": "skipped", "INFO": "info"}

// statusCell shows the statuses of one check (several when the suite
// reports it more than once): "pass", "pass ×3", "pass ×2, **fail**".
func statusCell(statuses []string) string {
	if len(statuses) == 0 {
		return "—"
	}
	var parts []string
	for _, st := range checkStatuses {
		n := 0
		for _, s := range statuses {
			if s == st {
				n++
			}
		}
		switch {
		case n == 1:
			parts = append(parts, statusWords[st])
		case n > 1:
			parts = append(parts, fmt.Sprintf("%s ×%d", statusWords[st], n))
		}
	}
	return strings.Join(parts, ", ")
}

// renderResourceServer renders one requirement set's runs: a table of
// scenarios, then every check in a collapsed table.
func renderResourceServer(results scoreResults, rev string) (string, error) {
	cols := resourceServerColumns(rev)
	runs, err := columnRuns(results, cols)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| Scenario | Scored |")
	sep := "|---|---|"
	for _, c := range cols {
		b.WriteString(" " + c.title + " |")
		sep += "---|"
	}
	b.WriteString("\n" + sep)
	for _, name := range scenarioRows(runs) {
		fmt.Fprintf(&b, "\n| `%s` | %s |", name, scoredOf(runs, name))
		for _, r := range runs {
			b.WriteString(" " + scenarioCell(r, name) + " |")
		}
	}
	checks, err := renderCheckTable(results, cols)
	if err != nil {
		return "", err
	}
	n := len(checkRows(runs))
	fmt.Fprintf(&b, "\n\n<details><summary>Every check (%d)</summary>\n\n%s\n\n</details>", n, checks)
	return b.String(), nil
}

// scenarioRows lists the scenarios of the runs, the required ones first.
func scenarioRows(runs []scoreRun) []string {
	var names []string
	for _, r := range runs {
		for _, s := range r.Scenarios {
			if !slices.Contains(names, s.Name) {
				names = append(names, s.Name)
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		ra, rb := boolRank(scoredOf(runs, a) != "required"), boolRank(scoredOf(runs, b) != "required")
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return names
}

func scoredOf(runs []scoreRun, scenario string) string {
	for _, r := range runs {
		for _, s := range r.Scenarios {
			if s.Name == scenario {
				if s.Scored == "required" {
					return "required"
				}
				return "not scored: " + s.Scored
			}
		}
	}
	return "—"
}

// scenarioCell is "passed/checks", with what did not pass: "1/9: 8 **fail**".
func scenarioCell(r scoreRun, scenario string) string {
	for _, s := range r.Scenarios {
		if s.Name != scenario {
			continue
		}
		n := map[string]int{}
		for _, c := range s.Checks {
			n[c.Status]++
		}
		cell := fmt.Sprintf("%d/%d", n["SUCCESS"], len(s.Checks))
		var rest []string
		for _, st := range checkStatuses[:len(checkStatuses)-1] {
			if n[st] > 0 {
				rest = append(rest, fmt.Sprintf("%d %s", n[st], statusWords[st]))
			}
		}
		if len(rest) > 0 {
			cell += ": " + strings.Join(rest, ", ")
		}
		return cell
	}
	return "—"
}

// renderExplanations renders each explanation, in the file's order, with
// the checks it explains.
func renderExplanations(exps []explanation, matched [][]explainedCheck) string {
	var parts []string
	for i, e := range exps {
		if len(matched[i]) == 0 {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "### %s\n\n**Whose:** %s.\n\n%s\n\n", e.Title, explanationCauses[e.Cause], strings.TrimSpace(e.Why))
		b.WriteString("| Role | Scenario | Check | Name | Result |\n|---|---|---|---|---|")
		for _, row := range explainedRows(matched[i]) {
			fmt.Fprintf(&b, "\n| %s | `%s` | `%s` | %s | %s |", row.role, row.scenario, row.id, row.name, row.result)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "\n\n")
}

type explainedRow struct{ role, scenario, id, name, result string }

// explainedRows groups an explanation's checks by role, requirement set,
// scenario, id and name; the result names each status and the runs that
// reported it.
func explainedRows(checks []explainedCheck) []explainedRow {
	type key struct{ role, scenario, id, name string }
	var keys []key
	where := map[key]map[string][]string{} // status → runs
	for _, ec := range checks {
		role := roleTitles[ec.run.Role]
		if ec.run.Requirements != "" && ec.run.Role == roleResourceServer {
			role += ", " + ec.run.Requirements
		}
		k := key{role, ec.scenario, ec.check.ID, ec.check.Name}
		if where[k] == nil {
			where[k] = map[string][]string{}
			keys = append(keys, k)
		}
		if t := runTitle(ec.run); !slices.Contains(where[k][ec.check.Status], t) {
			where[k][ec.check.Status] = append(where[k][ec.check.Status], t)
		}
	}
	var rows []explainedRow
	for _, k := range keys {
		var res []string
		for _, st := range checkStatuses {
			if runs := where[k][st]; len(runs) > 0 {
				res = append(res, statusWords[st]+" ("+strings.Join(runs, "; ")+")")
			}
		}
		rows = append(rows, explainedRow{k.role, k.scenario, k.id, k.name, strings.Join(res, ", ")})
	}
	return rows
}

// boolRank sorts false before true.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
