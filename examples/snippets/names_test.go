package snippets

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	valid := []string{"a", "A-1", "my_snippet.go", "x..y", "-dash", strings.Repeat("n", MaxNameLength)}
	invalid := []string{"", ".", "..", ".env", "../a", "a/b", `a\b`, "a b", "a\x00b", "é", "a:b",
		strings.Repeat("n", MaxNameLength+1)}
	for _, n := range valid {
		if err := validName(n); err != nil {
			t.Errorf("validName(%q) = %v, want nil", n, err)
		}
	}
	for _, n := range invalid {
		if err := validName(n); !errors.Is(err, errInvalidName) {
			t.Errorf("validName(%q) = %v, want errInvalidName", n, err)
		}
	}
}

// FuzzValidName checks that the Go rule and the schema's pattern agree, and
// that whatever passes is a plain file name in the data directory.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"a", "..", ".x", "a/b", "x.snippet", strings.Repeat("z", 129)} {
		f.Add(s)
	}
	pattern := regexp.MustCompile(namePattern)
	f.Fuzz(func(t *testing.T, name string) {
		ok := validName(name) == nil
		if ok != pattern.MatchString(name) {
			t.Fatalf("validName(%q) = %v but the schema pattern says %v", name, ok, !ok)
		}
		if !ok {
			return
		}
		file := fileName(name)
		if filepath.Base(file) != file || !filepath.IsLocal(file) || strings.HasPrefix(file, tempPrefix) {
			t.Fatalf("valid name %q maps to unsafe file %q", name, file)
		}
	})
}
