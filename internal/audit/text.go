package audit

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps on the free text an event carries, so that a client cannot fill the
// audit trail with one request.
const (
	maxUserAgent = 200
	maxDetail    = 400
)

// UserAgent cleans a User-Agent header for an event: control characters
// become spaces, invalid UTF-8 is dropped, and it is cut to 200 bytes.
func UserAgent(ua string) string { return clean(ua, maxUserAgent) }

// Detail cleans a description for an event's Detail like UserAgent, cut to
// 400 bytes.
func Detail(s string) string { return clean(s, maxDetail) }

func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
