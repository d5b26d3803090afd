package audit

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"curl/8.5.0", "curl/8.5.0"},
		{"  a\r\nb\x00c\tz ", "a  b c z"},
		{"bad \xff utf8", "bad  utf8"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"}, // 300 bytes cut on a rune boundary
	}
	for _, tt := range tests {
		if got := UserAgent(tt.in); got != tt.want {
			t.Errorf("UserAgent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := Detail(strings.Repeat("x", 1000))
	if len(long) != maxDetail+len("…") || !utf8.ValidString(long) {
		t.Errorf("Detail cut to %d bytes", len(long))
	}
}
