package jsonrpc

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// DecodeArguments decodes a message's Arguments (or any JSON text) as
// encoding/json.Unmarshal does into a map[string]any: objects as
// map[string]any, arrays as []any, numbers as float64, and the same error
// for what it cannot decode (a number out of float64's range, text that is
// not an object).
//
// Read's canonical encoding — no whitespace, every escape a short one or a
// \u of a control character — is decoded here directly, without
// reflection; anything else (a surrogate pair's escape, invalid UTF-8, a
// number ParseFloat refuses, deeper nesting than maxArgsDepth) is handed to
// encoding/json whole, so that the answer is always encoding/json's.
func DecodeArguments(raw []byte) (map[string]any, error) {
	d := argsDecoder{in: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if m, ok := d.object(); ok && d.pos == len(raw) {
			return m, nil
		}
	}
	var m map[string]any
	err := json.Unmarshal(raw, &m)
	return m, err
}

// maxArgsDepth is where the direct decoding gives up and leaves the text
// to encoding/json (Read refuses anything past MaxDepth anyway).
const maxArgsDepth = 2 * MaxDepth

// argsDecoder decodes canonical JSON; each method reports false for
// anything outside the canonical form, leaving it to encoding/json.
type argsDecoder struct {
	in    []byte
	pos   int
	depth int
}

func (d *argsDecoder) next() byte {
	if d.pos < len(d.in) {
		return d.in[d.pos]
	}
	return 0
}

func (d *argsDecoder) value() (any, bool) {
	switch c := d.next(); {
	case c == '{':
		if m, ok := d.object(); ok {
			return m, true
		}
	case c == '[':
		if a, ok := d.array(); ok {
			return a, true
		}
	case c == '"':
		if s, ok := d.str(); ok {
			return s, true
		}
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *argsDecoder) literal(lit string) bool {
	if len(d.in)-d.pos < len(lit) || string(d.in[d.pos:d.pos+len(lit)]) != lit {
		return false
	}
	d.pos += len(lit)
	return true
}

// object decodes an object into a new map, later names replacing earlier
// ones as with encoding/json (Read refuses repeated names anyway).
func (d *argsDecoder) object() (map[string]any, bool) {
	if d.depth++; d.depth > maxArgsDepth {
		return nil, false
	}
	defer func() { d.depth-- }()
	d.pos++ // '{'
	m := make(map[string]any)
	if d.next() == '}' {
		d.pos++
		return m, true
	}
	for {
		if d.next() != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok || d.next() != ':' {
			return nil, false
		}
		d.pos++
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		switch d.next() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return m, true
		default:
			return nil, false
		}
	}
}

// array decodes an array; an empty one is an empty slice, not nil, as
// encoding/json makes it.
func (d *argsDecoder) array() ([]any, bool) {
	if d.depth++; d.depth > maxArgsDepth {
		return nil, false
	}
	defer func() { d.depth-- }()
	d.pos++ // '['
	a := make([]any, 0)
	if d.next() == ']' {
		d.pos++
		return a, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		switch d.next() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return a, true
		default:
			return nil, false
		}
	}
}

// str decodes a string. Text is copied as it is once checked to be valid
// UTF-8 (encoding/json would replace invalid bytes: such a string is left
// to it), and escapes other than a surrogate's are decoded.
func (d *argsDecoder) str() (string, bool) {
	d.pos++ // '"'
	start := d.pos
	var buf []byte // the decoded string, once an escape is met
	for d.pos < len(d.in) {
		c := d.in[d.pos]
		switch {
		case c == '"':
			s := d.in[start:d.pos]
			d.pos++
			if buf != nil {
				return string(append(buf, s...)), true
			}
			return string(s), true
		case c < 0x20:
			return "", false
		case c == '\\':
			buf = append(buf, d.in[start:d.pos]...)
			r, ok := d.escape()
			if !ok {
				return "", false
			}
			buf = utf8.AppendRune(buf, r)
			start = d.pos
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(d.in[d.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", false
			}
			d.pos += size
		default:
			d.pos++
		}
	}
	return "", false
}

// escape decodes the escape at d.pos; a surrogate is not decoded here.
func (d *argsDecoder) escape() (rune, bool) {
	if d.pos+1 >= len(d.in) {
		return 0, false
	}
	c := d.in[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'u':
		if d.pos+4 > len(d.in) {
			return 0, false
		}
		v, err := strconv.ParseUint(string(d.in[d.pos:d.pos+4]), 16, 32)
		if err != nil || v >= 0xD800 && v <= 0xDFFF {
			return 0, false
		}
		d.pos += 4
		return rune(v), true
	}
	return 0, false
}

// number decodes a number as encoding/json does for an interface value:
// strconv.ParseFloat of its text. The grammar is RFC 8259's, checked
// before ParseFloat, which accepts more.
func (d *argsDecoder) number() (any, bool) {
	start := d.pos
	if d.next() == '-' {
		d.pos++
	}
	switch c := d.next(); {
	case c == '0':
		d.pos++
	case c >= '1' && c <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.next() == '.' {
		d.pos++
		if !d.digits() {
			return nil, false
		}
	}
	if c := d.next(); c == 'e' || c == 'E' {
		d.pos++
		if c := d.next(); c == '+' || c == '-' {
			d.pos++
		}
		if !d.digits() {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(string(d.in[start:d.pos]), 64)
	if err != nil {
		return nil, false // out of range: encoding/json says so
	}
	return f, true
}

// digits skips one or more digits; false if there is none.
func (d *argsDecoder) digits() bool {
	start := d.pos
	for c := d.next(); c >= '0' && c <= '9'; c = d.next() {
		d.pos++
	}
	return d.pos > start
}
