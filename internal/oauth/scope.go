package oauth

import (
	"fmt"
	"slices"
	"strings"
)

// ParseScope splits a scope parameter (RFC 6749 §3.3) into its tokens, in
// order, without duplicates. Tokens are separated by single or repeated
// spaces; each must consist of the characters %x21 / %x23-5B / %x5D-7E.
func ParseScope(s string) ([]string, error) {
	if len(s) > 4096 {
		return nil, fmt.Errorf("scope is longer than 4096 bytes")
	}
	var out []string
	for tok := range strings.SplitSeq(s, " ") {
		if tok == "" {
			continue
		}
		if err := checkScopeToken(tok); err != nil {
			return nil, err
		}
		if !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	return out, nil
}

func checkScopeToken(tok string) error {
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E {
			return fmt.Errorf("scope %q contains a character not allowed by RFC 6749 §3.3", tok)
		}
	}
	return nil
}

// FormatScope joins scope tokens with single spaces.
func FormatScope(scopes []string) string { return strings.Join(scopes, " ") }

// ScopeSubset reports whether every scope in want is in have.
func ScopeSubset(want, have []string) bool {
	for _, s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// ScopeUnion returns a followed by the scopes of b not already in a.
func ScopeUnion(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ScopeMissing returns the scopes of want that are not in have, in order.
func ScopeMissing(want, have []string) []string {
	var out []string
	for _, s := range want {
		if !slices.Contains(have, s) {
			out = append(out, s)
		}
	}
	return out
}
