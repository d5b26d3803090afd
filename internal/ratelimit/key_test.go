package ratelimit_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

func TestKey(t *testing.T) {
	long := strings.Repeat("u", 200)
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a:b"},
		{[]string{"a:b"}, "a%3Ab"},
		{[]string{"100%", ":"}, "100%25:%3A"},
		{[]string{"a", ""}, "a:"},
		// sha256("user:" + long), computed with openssl.
		{[]string{"user", long}, "%HYtPkKWczXX3HjiD41uGDOr-BPERAua1-RvEnOFK0GLE"},
	} {
		if got := ratelimit.Key(tc.parts...); got != tc.want {
			t.Errorf("Key(%q) = %q, want %q", tc.parts, got, tc.want)
		}
	}
}

// FuzzKey: Key is injective (different part lists give different keys,
// but for the documented Key() == Key("")), and bounded.
func FuzzKey(f *testing.F) {
	f.Add("a", "b", "a:b", "")
	f.Add("%25", "%3A", "%", ":")
	f.Add(strings.Repeat("x", 130), "", "%H", "y")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		lists := [][]string{{a}, {a, b}, {c, d}, {a, b, c}, {a, b, c, d}, {a + ":" + b}, {a, b + ":" + c}}
		keys := make([]string, len(lists))
		for i, parts := range lists {
			keys[i] = ratelimit.Key(parts...)
			if len(keys[i]) > ratelimit.MaxKeyLen {
				t.Fatalf("Key(%q) is %d bytes, want at most %d", parts, len(keys[i]), ratelimit.MaxKeyLen)
			}
		}
		for i := range lists {
			for j := range i {
				if keys[i] == keys[j] && !slices.Equal(lists[i], lists[j]) {
					t.Fatalf("Key(%q) == Key(%q) == %q", lists[i], lists[j], keys[i])
				}
			}
		}
	})
}
