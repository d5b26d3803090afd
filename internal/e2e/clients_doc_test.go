package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// nodeToolsDir holds the committed manifests scripts/install-node-tools
// installs from.
var nodeToolsDir = filepath.Join("..", "..", "tools", "node")

// lockedVersions returns the packages tools/node/package.json asks for,
// with the version package-lock.json pins for each, and checks that the
// manifest pins exactly that version: a range would let two machines test
// different clients while the docs name one.
func lockedVersions(t *testing.T) map[string]string {
	t.Helper()
	var manifest struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	readJSON(t, filepath.Join(nodeToolsDir, "package.json"), &manifest)
	readJSON(t, filepath.Join(nodeToolsDir, "package-lock.json"), &lock)
	if len(manifest.Dependencies) == 0 {
		t.Fatal("tools/node/package.json lists no packages")
	}
	versions := map[string]string{}
	for name, spec := range manifest.Dependencies {
		v := lock.Packages["node_modules/"+name].Version
		if v == "" {
			t.Errorf("%s is in package.json but not in package-lock.json (run npm install --package-lock-only in tools/node)", name)
			continue
		}
		if spec != v {
			t.Errorf("package.json asks for %s %q; pin the exact locked version %s", name, spec, v)
		}
		versions[name] = v
	}
	return versions
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var backticked = regexp.MustCompile("`([^`]+)`")

// goRequire matches a requirement in go.mod, in a require block or not.
var goRequire = regexp.MustCompile(`(?m)^\s*(?:require\s+)?([a-z0-9.\-]+\.[a-z]+/\S+)\s+(v\S+)`)

// goRequirements reads the module versions go.mod requires (test binaries
// carry no module list in their build information).
func goRequirements(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]string{}
	for _, m := range goRequire.FindAllStringSubmatch(string(b), -1) {
		mods[m[1]] = m[2]
	}
	return mods
}

// registration is a way a client gets its client_id; the value is the
// phrase docs/clients.md's Registration column uses for it.
type registration string

const (
	regCIMD registration = "metadata document" // a client ID metadata document's URL
	regDCR  registration = "dynamic"           // RFC 7591 dynamic registration
)

// subtest names the subtest that runs a client with this registration.
func (r registration) subtest() string {
	if r == regCIMD {
		return "cimd"
	}
	return "dcr"
}

// testedRegistrations are the ways the tests have each client package
// obtain its client_id. The TypeScript SDK and mcp-remote tests run one
// subtest per entry, straight from this map; the conformance suite's
// client is registered dynamically by its tests; the Go SDK client is
// tested in internal/server (TestGoSDKClientWithMetadataDocument, and the
// DCR handler of the other SDK tests). TestClientsTableMatchesLockfile
// holds docs/clients.md's Registration column to this map.
var testedRegistrations = map[string][]registration{
	"@modelcontextprotocol/sdk":              {regCIMD, regDCR},
	"mcp-remote":                             {regCIMD, regDCR},
	"@modelcontextprotocol/conformance":      {regDCR},
	"github.com/modelcontextprotocol/go-sdk": {regCIMD, regDCR},
}

// TestClientsTableMatchesLockfile keeps docs/clients.md honest: its table
// of tested clients names every locked npm package at exactly the locked
// version, and each Go module it names at the version this build uses;
// each row's Registration names every way the tests register that client
// and no other.
func TestClientsTableMatchesLockfile(t *testing.T) {
	locked := lockedVersions(t)
	goMods := goRequirements(t)

	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "clients.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := tableRows(string(b), []string{"Client", "Package", "Version", "Registration"})
	if len(rows) == 0 {
		t.Fatal("docs/clients.md has no table with the columns Client | Package | Version | Registration")
	}
	listed := map[string]bool{}
	for _, r := range rows {
		m := backticked.FindStringSubmatch(r[1])
		if m == nil {
			t.Errorf("row %q: the Package column names no `package`", r[0])
			continue
		}
		pkg, version := m[1], strings.TrimSpace(r[2])
		want, npm := locked[pkg]
		if !npm {
			var isGo bool
			if want, isGo = goMods[pkg]; !isGo {
				t.Errorf("row %q names %s, which is neither in tools/node/package-lock.json nor a Go dependency", r[0], pkg)
				continue
			}
		}
		if version != want {
			t.Errorf("row %q: %s version %q, but %s is locked", r[0], pkg, version, want)
		}
		tested := testedRegistrations[pkg]
		for _, reg := range []registration{regCIMD, regDCR} {
			claimed := strings.Contains(strings.ToLower(r[3]), string(reg))
			switch is := slices.Contains(tested, reg); {
			case claimed && !is:
				t.Errorf("row %q claims %s registration, which no test uses for %s", r[0], reg, pkg)
			case is && !claimed:
				t.Errorf("row %q: the tests also use %s registration for %s; say so in the Registration column", r[0], reg, pkg)
			}
		}
		listed[pkg] = true
	}
	for pkg, v := range locked {
		if !listed[pkg] {
			t.Errorf("docs/clients.md does not list %s %s, which the tests install", pkg, v)
		}
	}
}

// tableRows returns the body rows (as cells) of the first Markdown table
// whose header starts with the given columns.
func tableRows(doc string, header []string) [][]string {
	var rows [][]string
	in := false
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if in {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case !in && len(cells) >= len(header) && equalFold(cells[:len(header)], header):
			in = true
		case in && strings.Trim(strings.Join(cells, ""), "-: ") == "":
			// the |---|---| separator
		case in:
			rows = append(rows, cells)
		}
	}
	return rows
}

func equalFold(a, b []string) bool {
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}
