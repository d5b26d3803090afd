package pinning

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NameKey is what look-alike tool names have in common: the name without
// invisible format characters (zero-width spaces and joiners, soft
// hyphens), in compatibility normal form (NFKC: fullwidth "ｓａｖｅ" and
// "save" are one) and case-folded ("Save", "SAVE", and "ſave" with a long
// s are "save"). A server that matches names loosely could run a tool
// under any of them, so a call is decided on every pinned tool that
// shares the key, and a new tool that shares one with a known tool is
// not trusted on first use (see decide.go).
//
// Look-alikes from different scripts (a Cyrillic "е" for a Latin "e") are
// not folded: no server maps one to the other, so such a name reaches a
// tool of its own, which pinning then treats as any other.
func NameKey(name string) string {
	stripped := strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(stripped)))
}
