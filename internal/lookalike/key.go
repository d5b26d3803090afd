package lookalike

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Key is what look-alike names have in common: the name without
// invisible format characters (zero-width spaces and joiners, soft
// hyphens) and without white space, in compatibility normal form (NFKC:
// fullwidth "ｓａｖｅ" and "save" are one) and case-folded ("Save", "SAVE",
// and "ſave" with a long s are "save"). A server that matches names
// loosely could run a tool under any of them (one that trims names, as
// Python's str.strip does, runs "save" when called " save" or
// "save\u00a0"; MCP tool names should hold no spaces at all, 2025-11-25
// §Tool names). Tool pinning decides a call on every pinned tool that
// shares the key, and a policy's deny rule applies to every name that
// shares its key.
//
// Look-alikes from different scripts (a Cyrillic "е" for a Latin "e") are
// not folded: no server maps one to the other, so such a name reaches a
// tool of its own, which pinning then treats as any other.
func Key(name string) string {
	if k, ok := asciiKey(name); ok {
		return k
	}
	return unicodeKey(name)
}

// unicodeKey is Key for any name.
func unicodeKey(name string) string {
	// Dropped again after NFKC, which turns some characters into spaces
	// (U+00A8 diaeresis into a space and a combining mark).
	return dropInvisible(norm.NFKC.String(cases.Fold().String(norm.NFKC.String(dropInvisible(name)))))
}

// dropInvisible removes format characters (Cf) and white space.
func dropInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// asciiKey is Key of a name of printable ASCII without spaces, the usual
// tool name, without the Unicode machinery: NFKC leaves such a name as it
// is, it has nothing invisible to drop, and case folding is lower-casing
// (and no allocation when there are no capitals). ok is false for any
// other name.
func asciiKey(name string) (key string, ok bool) {
	upper := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f {
			return "", false
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if upper {
		return strings.ToLower(name), true
	}
	return name, true
}
