package server_test

import (
	"os"
	"regexp"
	"testing"
	"time"
)

// docBlock returns the YAML block of docs/policy.md marked
// "<!-- test: name -->", so that the documentation shows exactly what the
// tests load.
func docBlock(t *testing.T, file, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/" + file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- test: " + regexp.QuoteMeta(name) + " -->\\s*```yaml\\n(.*?)```")
	m := re.FindSubmatch(raw)
	if m == nil {
		t.Fatalf("docs/%s has no block %q", file, name)
	}
	return string(m[1])
}

func waitABit() { time.Sleep(20 * time.Millisecond) }
