package jsonrpc

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// nameSet holds the member names of one object, to refuse a repeat. Names
// are compared under Unicode simple case folding (what bytes.EqualFold and
// Go's encoding/json use), which also catches exact repeats: "Name" and
// "name" collide, and so do "arguments" and "argumentſ" (U+017F folds to
// 's'). Names are kept in canonical form, whose escapes are of characters
// that have no case, so folding them is folding the names.
type nameSet struct {
	// The first names are compared one by one, without allocating; a
	// larger object switches to a map of folded names.
	small [smallNames][]byte
	n     int
	large map[string]struct{}
}

const smallNames = 8

func (n *nameSet) add(name []byte) error {
	if n.large == nil {
		for _, seen := range n.small[:n.n] {
			if bytes.EqualFold(seen, name) {
				return duplicate(seen, name)
			}
		}
		if n.n < smallNames {
			n.small[n.n] = name
			n.n++
			return nil
		}
		n.large = make(map[string]struct{}, 4*smallNames)
		for _, seen := range n.small {
			n.large[foldKey(seen)] = struct{}{}
		}
	}
	k := foldKey(name)
	if _, dup := n.large[k]; dup {
		return invalidRequest("the member name %s is repeated (names may not repeat, even in another case)", quoteName(name))
	}
	n.large[k] = struct{}{}
	return nil
}

func duplicate(seen, name []byte) *Error {
	if bytes.Equal(seen, name) {
		return invalidRequest("the member name %s is repeated", quoteName(name))
	}
	return invalidRequest("the member names %s and %s differ only in case", quoteName(seen), quoteName(name))
}

// foldKey maps a name to a key that two names share exactly when
// bytes.EqualFold holds for them: each character becomes the smallest of
// its case-folding orbit.
func foldKey(b []byte) string {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		if c := b[0]; c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			// 'K' and 'S' have non-ASCII orbit members (U+212A, U+017F)
			// that are larger, so the uppercase letter is the smallest.
			out = append(out, c)
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, foldMin(r))
		b = b[size:]
	}
	return string(out)
}

func foldMin(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// caseVariant reports which of known name equals name under case folding
// without being it: a member the gateway would not read, but that a
// case-insensitive parser behind it would take for the one it did.
func caseVariant(name []byte, known ...string) (string, bool) {
	for _, k := range known {
		if bytes.EqualFold(name, []byte(k)) && string(name) != k {
			return k, true
		}
	}
	return "", false
}
