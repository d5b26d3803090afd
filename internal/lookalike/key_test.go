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

// The ASCII shortcut gives what the full folding gives, for every byte
// that can start, end or sit inside a name.
func TestASCIIKeyAgrees(t *testing.T) {
	var names []string
	for c := 0; c < 0x80; c++ {
		names = append(names, string(rune(c)), "get_"+string(rune(c))+"Snippet", "x"+string(rune(c)))
	}
	names = append(names, "get_snippet", "GET_SNIPPET", "tools/call", "a.b-c~d", "")
	shortcut := 0
	for _, n := range names {
		k, ok := asciiKey(n)
		if !ok {
			continue
		}
		shortcut++
		if want := unicodeKey(n); k != want {
			t.Errorf("asciiKey(%q) = %q, the full key is %q", n, k, want)
		}
	}
	if shortcut < 200 {
		t.Fatalf("only %d names took the shortcut", shortcut)
	}
}

func FuzzASCIIKey(f *testing.F) {
	f.Add("Send_Email")
	f.Fuzz(func(t *testing.T, n string) {
		if k, ok := asciiKey(n); ok && k != unicodeKey(n) {
			t.Errorf("asciiKey(%q) = %q, the full key is %q", n, k, unicodeKey(n))
		}
	})
}
