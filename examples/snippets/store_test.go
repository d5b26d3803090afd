package snippets

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func newTestStore(t *testing.T) (*store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.close() })
	return s, dir
}

func TestStoreRoundTrip(t *testing.T) {
	s, dir := newTestStore(t)
	if _, err := s.load("a"); !errors.Is(err, errNotFound) {
		t.Fatalf("load before save = %v, want errNotFound", err)
	}
	for _, v := range []string{"one", "two, longer than one", ""} {
		if err := s.save("a", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := s.load("a")
		if err != nil || string(got) != v {
			t.Fatalf("load = %q, %v; want %q", got, err, v)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a.snippet")); err != nil || len(b) != 0 {
		t.Errorf("on disk: %q, %v", b, err)
	}
}

func TestStoreRejectsInvalidNames(t *testing.T) {
	s, dir := newTestStore(t)
	for _, n := range []string{"../out", "..", "a/b"} {
		if err := s.save(n, []byte("x")); !errors.Is(err, errInvalidName) {
			t.Errorf("save(%q) = %v, want errInvalidName", n, err)
		}
		if _, err := s.load(n); !errors.Is(err, errInvalidName) {
			t.Errorf("load(%q) = %v, want errInvalidName", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "out.snippet")); err == nil {
		t.Error("a save escaped the data directory")
	}
}

// TestStoreFailedSaveLeavesNoTrace makes the rename fail (a directory sits
// where the snippet file would go) and checks the temporary file is gone.
func TestStoreFailedSaveLeavesNoTrace(t *testing.T) {
	s, dir := newTestStore(t)
	if err := os.MkdirAll(filepath.Join(dir, "blocked.snippet", "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.save("blocked", []byte("x")); err == nil {
		t.Fatal("save over a non-empty directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestStoreConcurrentSameName(t *testing.T) {
	s, dir := newTestStore(t)
	values := make([]string, 16)
	for i := range values {
		values[i] = strings.Repeat(string(rune('a'+i)), 64<<10)
	}
	var wg sync.WaitGroup
	for i := range values {
		wg.Go(func() {
			for range 5 {
				if err := s.save("same", []byte(values[i])); err != nil {
					t.Error(err)
				}
				got, err := s.load("same")
				if err != nil || !slices.Contains(values, string(got)) {
					t.Errorf("read a torn or missing snippet (%d bytes, %v)", len(got), err)
				}
			}
		})
	}
	wg.Wait()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want 1", len(entries))
	}
}
