package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// Status is a check's verdict.
type Status string

const (
	// OK: nothing wrong was seen.
	OK Status = "ok"
	// Warn: something some clients trip over, or that will break soon;
	// it does not change the exit status.
	Warn Status = "warn"
	// Problem: clients fail to connect or to work because of it.
	Problem Status = "problem"
	// Skip: the check could not run because an earlier one failed.
	Skip Status = "skip"
)

// rank orders statuses by severity, for a check with several findings.
func (s Status) rank() int {
	switch s {
	case Problem:
		return 3
	case Warn:
		return 2
	case OK:
		return 1
	}
	return 0
}

// Check is the result of one check. Seen says what the doctor observed;
// Fix, for a warning or a problem, what to change, in plain words.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Seen   string `json:"seen"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the doctor's answer: every check once, in the order of Names.
type Report struct {
	// Format is the version of this JSON shape; it changes only when a
	// field changes meaning or goes away.
	Format int `json:"format"`
	// URL is what was asked about; MCP the MCP endpoint checked (the same,
	// or the one discovered from a bare origin).
	URL      string  `json:"url"`
	MCP      string  `json:"mcp_url"`
	Problems int     `json:"problems"`
	Warnings int     `json:"warnings"`
	Checks   []Check `json:"checks"`
}

// Names are the checks, in the order they run and are reported.
var Names = []string{
	"url", "tls", "challenge", "public_url", "resource_metadata", "well_known", "scopes",
	"authorization_server", "issuer", "registration", "cors", "sse", "clock",
}

// Check returns the check named name.
func (r *Report) Check(name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

// finding is one observation a check makes; a check reports the worst.
type finding struct {
	status    Status
	seen, fix string
}

// result collects a check's findings.
type result struct {
	name     string
	findings []finding
}

func (r *result) ok(format string, a ...any) {
	r.findings = append(r.findings, finding{status: OK, seen: fmt.Sprintf(format, a...)})
}

func (r *result) warn(seen, fix string) {
	r.findings = append(r.findings, finding{status: Warn, seen: seen, fix: fix})
}

func (r *result) problem(seen, fix string) {
	r.findings = append(r.findings, finding{status: Problem, seen: seen, fix: fix})
}

func (r *result) skip(why string) {
	r.findings = append(r.findings, finding{status: Skip, seen: why})
}

// check folds the findings: the worst status, what was seen of it (and the
// lesser findings after it), and every fix.
func (r *result) check() Check {
	c := Check{Name: r.name, Status: Skip}
	var seen, fixes []string
	for _, f := range r.findings {
		if f.status.rank() > c.Status.rank() {
			c.Status = f.status
		}
	}
	for _, rank := range []int{3, 2, 1, 0} {
		for _, f := range r.findings {
			if f.status.rank() != rank {
				continue
			}
			seen = append(seen, f.seen)
			if f.fix != "" && !slices.Contains(fixes, f.fix) {
				fixes = append(fixes, f.fix)
			}
		}
	}
	c.Seen, c.Fix = strings.Join(seen, "; "), strings.Join(fixes, " ")
	if c.Seen == "" {
		c.Seen = "not checked"
	}
	return c
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a terminal: one line per check, the fix
// under each warning and problem, then a summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Checking %s", printable(r.MCP))
	if r.MCP != r.URL {
		fmt.Fprintf(&b, " (discovered from %s)", printable(r.URL))
	}
	b.WriteString("\n\n")
	for _, c := range r.Checks {
		label := string(c.Status)
		if c.Status == Problem {
			label = "PROBLEM"
		}
		fmt.Fprintf(&b, "  %-8s %-21s %s\n", label, c.Name, printable(c.Seen))
		if c.Fix != "" && (c.Status == Problem || c.Status == Warn) {
			fmt.Fprintf(&b, "  %-8s %-21s fix: %s\n", "", "", printable(c.Fix))
		}
	}
	fmt.Fprintf(&b, "\n%s, %s.\n", plural(r.Problems, "problem"), plural(r.Warnings, "warning"))
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// printable keeps a terminal safe from what a server sent: control
// characters (escape sequences) and other invisible runes become '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r) {
			return r
		}
		return '?'
	}, s)
}
