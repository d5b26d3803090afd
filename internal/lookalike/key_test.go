package lookalike

import "testing"

func TestKey(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"send_email", "SEND_EMAIL", true},
		{"send_email", "Send_Email", true},
		{"send_email", "ｓｅｎｄ_ｅｍａｉｌ", true},        // fullwidth
		{"send_email", "send\u200b_email", true},  // zero-width space
		{"send_email", "send_emai\u00ad l", true}, // soft hyphen and a space
		{"send_email", " send_email\u00a0", true}, // trimmed by lenient servers
		{"send_email", "send_email\u3000", true},  // ideographic space
		{"send_email", "send_email\u2028", true},  // line separator
		{"send_email", "send-email", false},
		{"ask", "aſk", true},                // long s folds to s
		{"kit", "\u212Ait", true},           // Kelvin sign
		{"send_email", "sеnd_email", false}, // Cyrillic е: another name to every server
		{"send_email", "send_emails", false},
	} {
		if got := Key(tc.a) == Key(tc.b); got != tc.same {
			t.Errorf("Key(%q) == Key(%q): %v, want %v (%q, %q)", tc.a, tc.b, got, tc.same, Key(tc.a), Key(tc.b))
		}
	}
}
