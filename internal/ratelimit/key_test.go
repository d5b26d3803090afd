package ratelimit_test

import (
	"crypto/sha256"
	"encoding/base64"
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

// TestKeyOnePart: a single part is its own key when it needs no escape
// (no copy is made), escaped when it does, and hashed when long, exactly
// as parts are joined.
func TestKeyOnePart(t *testing.T) {
	hashed := func(key string) string {
		sum := sha256.Sum256([]byte(key))
		return "%H" + base64.RawURLEncoding.EncodeToString(sum[:])
	}
	x128 := strings.Repeat("x", ratelimit.MaxKeyLen)
	for _, tc := range []struct{ part, want string }{
		{"client-1", "client-1"},
		{"%", "%25"},
		{":", "%3A"},
		{"a%b:c", "a%25b%3Ac"},
		{x128, x128},
		// sha256("u" × 200) in unpadded base64url, computed with Python's hashlib.
		{strings.Repeat("u", 200), "%HLJ3ys6FDSxNdauZtBfpGn8F_GybpBNiJyW39FLSXF74"},
		{x128 + "x", hashed(x128 + "x")},
		// 125 bytes escaped to 127 stay; 127 escaped to 129 are hashed as escaped.
		{x128[:124] + ":", x128[:124] + "%3A"},
		{x128[:126] + ":", hashed(x128[:126] + "%3A")},
	} {
		if got := ratelimit.Key(tc.part); got != tc.want {
			t.Errorf("Key(%q) = %q, want %q", tc.part, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(10, func() { _ = ratelimit.Key("client-1") }); n != 0 {
		t.Errorf("Key of one plain part: %v allocations, want 0", n)
	}
}
