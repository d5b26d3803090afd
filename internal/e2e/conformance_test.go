package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// conformanceCheck is one entry of the suite's checks.json.
type conformanceCheck struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Status       string `json:"status"` // SUCCESS, FAILURE, WARNING, SKIPPED, INFO
	ErrorMessage string `json:"errorMessage"`
	scenario     string // from the result directory's name
}

// The authorization-server scenarios and the checks each must report. The
// suite runs them in this order and hands the first one's metadata to the
// second, so they run together (one `authorization` run without
// --scenario); naming the checks here catches a run that silently did less.
var conformanceScenarios = map[string][]string{
	"authorization-server-metadata-endpoint": {"authorization-server-metadata", "authorization-server-metadata-cimd"},
	"authorization-code-grant":               {"authorization-code-grant"},
}

// conformanceAuthorizationRuns are the ways the suite's `authorization`
// command is run against Drawbridge's authorization server. The suite sends
// no `resource` unless told to; Drawbridge must then bind the grant to its
// only MCP server.
var conformanceAuthorizationRuns = []struct {
	name, title string
	resource    bool // send the MCP server's URL as `resource`
}{
	{"no-resource", "without `resource`", false},
	{"resource", "with `resource`", true},
}

// conformanceAuthorizationServer runs the official MCP conformance suite's
// `authorization` command against Drawbridge's authorization server. The
// suite plays an OAuth client that knows only the issuer URL and a client
// id: it reads the RFC 8414 metadata, prints an authorization URL for a
// person to open, listens on http://127.0.0.1:<port>/callback, and redeems
// the code. The test registers that client, plays the person (sign-in as
// alice, approve), and requires every check to succeed: a failure, a
// warning or a skipped check fails the test. The checks go to the
// scorecard.
func conformanceAuthorizationServer(t *testing.T, nt nodeTools, sc *scorecard) {
	cli := nt.bin(t, "@modelcontextprotocol/conformance", "conformance")
	gw := gwtest.Start(t, gwtest.Options{})
	for _, run := range conformanceAuthorizationRuns {
		t.Run(run.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()

			// The suite's client is public (PKCE only) and must be known
			// beforehand; its redirect URI is fixed by the port it is given.
			port := freePort(t)
			client := gwtest.RegisterClient(t, gw, map[string]any{
				"client_name":   "MCP conformance suite",
				"redirect_uris": []string{fmt.Sprintf("http://127.0.0.1:%d/callback", port)},
			})

			out := t.TempDir()
			args := []string{cli, "authorization", "--url", gw.URL, "--client-id", client.ID,
				"--port", strconv.Itoa(port), "--output-dir", out}
			if run.resource {
				args = append(args, "--resource", gw.MCP)
			}
			p := startNode(t, ctx, nt, t.TempDir(), nt.env(t.TempDir()), args...)
			report := func() string { return "conformance suite output:\n" + p.transcript() }

			// The suite prints the URL on a line of its own and then waits
			// up to five minutes for the browser to reach its callback.
			var at int
			authURL, err := p.waitLine(ctx, &at, func(l string) bool { return strings.HasPrefix(l, gw.URL+"/authorize?") })
			if err != nil {
				t.Fatalf("%v\n%s", err, report())
			}
			cb, err := approve(gw, authURL)
			if err != nil {
				t.Fatalf("%v\n%s", err, report())
			}
			// The suite starts its callback server as it prints the URL
			// and reports when it listens; deliver only then.
			listening := fmt.Sprintf("Callback server started: http://127.0.0.1:%d", port)
			var from int
			if _, err := p.waitLine(ctx, &from, func(l string) bool { return strings.HasPrefix(l, listening) }); err != nil {
				t.Fatalf("%v\n%s", err, report())
			}
			if err := deliver(cb); err != nil {
				t.Fatalf("%v\n%s", err, report())
			}
			if q := cb.Query(); q.Get("iss") != gw.URL {
				t.Errorf("authorization response iss = %q, want %q (RFC 9207)", q.Get("iss"), gw.URL)
			}

			exitErr := p.wait(ctx)
			checks, err := readConformanceChecks(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, report())
			}
			// The suite's requirement sets leave authorization servers out
			// (the MCP specification does not say how to build one), so
			// no scenario is labelled required or not.
			sc.record(t, newScoreRun(roleAuthorizationServer, run.name, targetDrawbridge, "", checks, nil))
			var bad []string
			seen := map[string]bool{}
			for _, c := range checks {
				seen[c.scenario+"/"+c.ID] = true
				switch c.Status {
				case "SUCCESS":
				case "INFO":
					t.Logf("%s: %s INFO: %s %s", c.scenario, c.ID, c.Description, c.ErrorMessage)
				default:
					bad = append(bad, fmt.Sprintf("%s: %s %s: %s: %s", c.scenario, c.ID, c.Status, c.Description, c.ErrorMessage))
				}
			}
			for sc, ids := range conformanceScenarios {
				for _, id := range ids {
					if !seen[sc+"/"+id] {
						bad = append(bad, fmt.Sprintf("%s: check %s was not reported", sc, id))
					}
				}
			}
			slices.Sort(bad)
			if len(bad) > 0 {
				t.Errorf("conformance checks not passed:\n  %s", strings.Join(bad, "\n  "))
			}
			if exitErr != nil {
				t.Errorf("conformance suite exited with %v", exitErr)
			}
			if t.Failed() {
				var all strings.Builder
				for _, c := range checks {
					fmt.Fprintf(&all, "  %-40s %-26s %s\n", c.scenario, c.ID, c.Status)
				}
				t.Logf("checks reported:\n%s%s", all.String(), report())
			}
		})
	}
}

// readConformanceChecks reads every checks.json the suite wrote under dir,
// one per scenario, in a directory named authorization-server-<scenario>-<time>.
func readConformanceChecks(dir string) ([]conformanceCheck, error) {
	return readChecks(dir, func(base string) (string, error) {
		for sc := range conformanceScenarios {
			if strings.HasPrefix(base, "authorization-server-"+sc+"-") {
				return sc, nil
			}
		}
		return "", fmt.Errorf("results for an unknown scenario: %s", base)
	})
}

// readChecks reads every checks.json under dir; scenarioOf names the
// scenario from the name of the directory holding the file.
func readChecks(dir string, scenarioOf func(base string) (string, error)) ([]conformanceCheck, error) {
	var all []conformanceCheck
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "checks.json" {
			return err
		}
		scenario, err := scenarioOf(filepath.Base(filepath.Dir(path)))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var cs []conformanceCheck
		if err := json.Unmarshal(b, &cs); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		for i := range cs {
			cs[i].scenario = scenario
		}
		all = append(all, cs...)
		return nil
	})
	if err == nil && len(all) == 0 {
		err = fmt.Errorf("the suite wrote no results under %s", dir)
	}
	return all, err
}
