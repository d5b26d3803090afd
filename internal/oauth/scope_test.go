package oauth

import (
	"slices"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"read", []string{"read"}, false},
		{"read  write read", []string{"read", "write"}, false},
		{" snippets:read offline_access ", []string{"snippets:read", "offline_access"}, false},
		{"a\"b", nil, true},
		{"a\\b", nil, true},
		{"caf\u00e9", nil, true},
		{"read\twrite", nil, true},
		{"read\nwrite", nil, true},
		{"!#[]~", []string{"!#[]~"}, false},
		{strings.Repeat("a", 4097), nil, true},
	}
	for _, tt := range tests {
		got, err := ParseScope(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseScope(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ParseScope(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScopeSetOperations(t *testing.T) {
	if !ScopeSubset([]string{"a"}, []string{"b", "a"}) || ScopeSubset([]string{"a", "c"}, []string{"a"}) {
		t.Error("ScopeSubset is wrong")
	}
	if got := ScopeUnion([]string{"a", "b"}, []string{"b", "c"}); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("ScopeUnion = %q", got)
	}
	if got := ScopeMissing([]string{"a", "b", "c"}, []string{"b"}); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("ScopeMissing = %q", got)
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"", "a b", "snippets:read offline_access", "a\"b", " x  y "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scopes, err := ParseScope(s)
		if err != nil {
			return
		}
		// Whatever parses must format and parse back to the same tokens,
		// with no duplicates and no empty or illegal token.
		again, err := ParseScope(FormatScope(scopes))
		if err != nil || !slices.Equal(scopes, again) {
			t.Fatalf("round trip of %q: %q then %q (%v)", s, scopes, again, err)
		}
		for i, tok := range scopes {
			if tok == "" || checkScopeToken(tok) != nil || slices.Contains(scopes[i+1:], tok) {
				t.Fatalf("bad token %q from %q", tok, s)
			}
		}
	})
}
