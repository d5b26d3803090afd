package oauth

import (
	"strings"
	"testing"
)

// TestSafeDescription: an error_description may only hold %x20-21 /
// %x23-5B / %x5D-7E (RFC 6749 §4.1.2.1, §5.2), and is bounded.
func TestSafeDescription(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"the resource is not served here", "the resource is not served here"},
		{`grant type "x" is not supported`, `grant type 'x' is not supported`},
		{`C:\path`, `C:/path`},
		{"line\nbreak\ttab\x00nul", "line?break?tab?nul"},
		{"café ☕", "caf? ?"},
		{"\xff\xfe", "??"},
		{strings.Repeat("a", MaxDescription+10), strings.Repeat("a", MaxDescription-3) + "..."},
	} {
		if got := SafeDescription(tc.in); got != tc.want {
			t.Errorf("SafeDescription(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if e := NewError(ErrInvalidRequest, `bad "x"`+"\n"); e.Description != `bad 'x'?` {
		t.Errorf("NewError kept %q", e.Description)
	}
	if e := InvalidClient("a\\b"); e.Description != "a/b" {
		t.Errorf("InvalidClient kept %q", e.Description)
	}
}

func FuzzSafeDescription(f *testing.F) {
	f.Add(`quote " backslash \ nul ` + "\x00 é")
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeDescription(s)
		if len(got) > MaxDescription {
			t.Fatalf("%d bytes", len(got))
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Fatalf("%q holds %q", got, c)
			}
		}
		if SafeDescription(got) != got {
			t.Fatalf("not idempotent: %q", got)
		}
	})
}
