package jsonrpc

import (
	"bytes"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of objects and arrays. MCP messages nest a
// handful of levels; tool arguments a few more.
const MaxDepth = 128

// scanner parses JSON text strictly and writes its canonical encoding to
// out as it goes: no insignificant whitespace, strings re-escaped one way
// (only '"', '\\' and control characters, everything else as UTF-8),
// numbers and literals as written (their grammar leaves no choice).
// Two texts with the same canonical encoding mean the same to every
// conforming parser.
type scanner struct {
	in    []byte
	pos   int
	out   []byte
	depth int
}

// span is a part of out, by offsets (out may move as it grows).
type span struct{ start, end int }

func (s *scanner) bytes(sp span) []byte { return s.out[sp.start:sp.end:sp.end] }

func (s *scanner) eof() bool { return s.pos >= len(s.in) }

// ws skips insignificant whitespace (RFC 8259 §2). A byte-order mark is
// not whitespace, so a text that starts with one is refused (§8.1 lets a
// parser ignore it; some do, some do not).
func (s *scanner) ws() {
	for s.pos < len(s.in) {
		switch s.in[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.eof() {
		return 0
	}
	return s.in[s.pos]
}

func (s *scanner) unexpected() *Error {
	if s.eof() {
		return parseError("unexpected end of input")
	}
	return parseError("unexpected character at offset %d", s.pos)
}

// value parses any JSON value.
func (s *scanner) value() error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(func([]byte) error { return s.value() })
	case c == '[':
		return s.array(func(int) error { return s.value() })
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.unexpected()
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > MaxDepth {
		return invalidRequest("nested deeper than %d levels", MaxDepth)
	}
	return nil
}

// object parses an object, calling member for each member's value after
// its name has been read and checked: no name may repeat, nor equal
// another under Unicode case folding (RFC 8259 §4 leaves duplicates to the
// parser, and parsers differ: first wins, last wins, case-insensitive
// matching). member must parse the value.
func (s *scanner) object(member func(name []byte) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '{'
	s.out = append(s.out, '{')
	var names nameSet
	for i := 0; ; i++ {
		c := s.peek()
		if c == '}' && i == 0 {
			break
		}
		if i > 0 {
			if c == '}' {
				break
			}
			if c != ',' {
				return s.unexpected()
			}
			s.pos++
			s.out = append(s.out, ',')
			c = s.peek()
		}
		if c != '"' {
			return s.unexpected()
		}
		sp, err := s.str()
		if err != nil {
			return err
		}
		name := s.bytes(sp)
		if err := names.add(name); err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.unexpected()
		}
		s.pos++
		s.out = append(s.out, ':')
		if err := member(name); err != nil {
			return err
		}
	}
	s.pos++ // '}'
	s.out = append(s.out, '}')
	s.depth--
	return nil
}

// array parses an array, calling elem to parse each element.
func (s *scanner) array(elem func(i int) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.pos++ // '['
	s.out = append(s.out, '[')
	for i := 0; ; i++ {
		c := s.peek()
		if c == ']' {
			break
		}
		if i > 0 {
			if c != ',' {
				return s.unexpected()
			}
			s.pos++
			s.out = append(s.out, ',')
			if s.peek() == ']' {
				return s.unexpected() // a trailing comma
			}
		}
		if err := elem(i); err != nil {
			return err
		}
	}
	s.pos++ // ']'
	s.out = append(s.out, ']')
	s.depth--
	return nil
}

// str parses a string and returns the span of its canonical content
// (between the quotes) in out.
func (s *scanner) str() (span, error) {
	s.pos++ // '"'
	s.out = append(s.out, '"')
	sp := span{start: len(s.out)}
	for {
		// Copy a run of plain ASCII at once.
		run := s.pos
		for run < len(s.in) {
			c := s.in[run]
			if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
				break
			}
			run++
		}
		s.out = append(s.out, s.in[s.pos:run]...)
		s.pos = run
		if s.eof() {
			return sp, parseError("unterminated string")
		}
		switch c := s.in[s.pos]; {
		case c == '"':
			sp.end = len(s.out)
			s.pos++
			s.out = append(s.out, '"')
			return sp, nil
		case c == '\\':
			if err := s.escape(); err != nil {
				return sp, err
			}
		case c < 0x20:
			return sp, parseError("control character in a string at offset %d", s.pos)
		default:
			r, size := utf8.DecodeRune(s.in[s.pos:])
			if r == utf8.RuneError && size <= 1 {
				return sp, parseError("invalid UTF-8 at offset %d", s.pos)
			}
			s.out = append(s.out, s.in[s.pos:s.pos+size]...)
			s.pos += size
		}
	}
}

// escape decodes one escape sequence and writes the character it stands
// for canonically. A \u escape of a UTF-16 surrogate must be the first
// half of a pair followed by the second (RFC 8259 §7); parsers disagree on
// lone halves, so they are refused.
func (s *scanner) escape() error {
	if s.pos+1 >= len(s.in) {
		return parseError("unterminated string")
	}
	c := s.in[s.pos+1]
	s.pos += 2
	switch c {
	case '"', '\\', '/':
		appendRune(s, rune(c))
		return nil
	case 'b':
		appendRune(s, '\b')
	case 'f':
		appendRune(s, '\f')
	case 'n':
		appendRune(s, '\n')
	case 'r':
		appendRune(s, '\r')
	case 't':
		appendRune(s, '\t')
	case 'u':
		r, ok := s.hex4()
		if !ok {
			return parseError("invalid \\u escape at offset %d", s.pos)
		}
		if r >= 0xDC00 && r <= 0xDFFF {
			return parseError("lone UTF-16 surrogate at offset %d", s.pos)
		}
		if r >= 0xD800 && r <= 0xDBFF {
			if s.pos+1 >= len(s.in) || s.in[s.pos] != '\\' || s.in[s.pos+1] != 'u' {
				return parseError("lone UTF-16 surrogate at offset %d", s.pos)
			}
			s.pos += 2
			lo, ok := s.hex4()
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return parseError("lone UTF-16 surrogate at offset %d", s.pos)
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		}
		appendRune(s, r)
	default:
		return parseError("invalid escape at offset %d", s.pos-2)
	}
	return nil
}

func (s *scanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.in) {
		return 0, false
	}
	var r rune
	for _, c := range s.in[s.pos : s.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.pos += 4
	return r, true
}

const hexDigits = "0123456789abcdef"

// appendRune writes a decoded character in canonical form.
func appendRune(s *scanner, r rune) {
	switch {
	case r == '"' || r == '\\':
		s.out = append(s.out, '\\', byte(r))
	case r == '\b':
		s.out = append(s.out, '\\', 'b')
	case r == '\f':
		s.out = append(s.out, '\\', 'f')
	case r == '\n':
		s.out = append(s.out, '\\', 'n')
	case r == '\r':
		s.out = append(s.out, '\\', 'r')
	case r == '\t':
		s.out = append(s.out, '\\', 't')
	case r < 0x20:
		s.out = append(s.out, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xF])
	default:
		s.out = utf8.AppendRune(s.out, r)
	}
}

// number parses a number (RFC 8259 §6) and writes it as written.
func (s *scanner) number() error {
	start := s.pos
	if s.in[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.in) && s.in[s.pos] == '0':
		s.pos++
	case s.pos < len(s.in) && s.in[s.pos] >= '1' && s.in[s.pos] <= '9':
		s.digits()
	default:
		return s.unexpected()
	}
	if s.pos < len(s.in) && s.in[s.pos] == '.' {
		s.pos++
		if !s.digits() {
			return s.unexpected()
		}
	}
	if s.pos < len(s.in) && (s.in[s.pos] == 'e' || s.in[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.in) && (s.in[s.pos] == '+' || s.in[s.pos] == '-') {
			s.pos++
		}
		if !s.digits() {
			return s.unexpected()
		}
	}
	s.out = append(s.out, s.in[start:s.pos]...)
	return nil
}

func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.in) && s.in[s.pos] >= '0' && s.in[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.in[s.pos:], []byte(lit)) {
		return s.unexpected()
	}
	s.pos += len(lit)
	s.out = append(s.out, lit...)
	return nil
}
