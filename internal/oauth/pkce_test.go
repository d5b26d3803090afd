package oauth

import (
	"strings"
	"testing"
)

func TestPKCE(t *testing.T) {
	// RFC 7636 Appendix B.
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := S256Challenge(verifier); got != challenge {
		t.Fatalf("S256Challenge = %q, want %q", got, challenge)
	}
	if !VerifyCodeVerifier(verifier, challenge) {
		t.Error("the RFC 7636 example verifier was refused")
	}
	if VerifyCodeVerifier(verifier+"x", challenge) {
		t.Error("a wrong verifier was accepted")
	}
	if VerifyCodeVerifier("short", S256Challenge("short")) {
		t.Error("a verifier under 43 characters was accepted")
	}
	if VerifyCodeVerifier(strings.Repeat("a", 129), S256Challenge(strings.Repeat("a", 129))) {
		t.Error("a verifier over 128 characters was accepted")
	}
	bad := strings.Repeat("a", 42) + "/"
	if VerifyCodeVerifier(bad, S256Challenge(bad)) {
		t.Error("a verifier with a reserved character was accepted")
	}
	// A plain challenge equal to the verifier must never verify.
	if VerifyCodeVerifier(verifier, verifier) {
		t.Error("plain PKCE was accepted")
	}
}

func TestValidateCodeChallenge(t *testing.T) {
	good := "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	tests := []struct {
		challenge, method string
		ok                bool
	}{
		{good, "S256", true},
		{good, "plain", false},
		{good, "", false},
		{good, "s256", false},
		{"", "S256", false},
		{good[:42], "S256", false},
		{good[:42] + "=", "S256", false},
		{good[:42] + "+", "S256", false},
	}
	for _, tt := range tests {
		if err := ValidateCodeChallenge(tt.challenge, tt.method); (err == nil) != tt.ok {
			t.Errorf("ValidateCodeChallenge(%q, %q) = %v, want ok=%v", tt.challenge, tt.method, err, tt.ok)
		}
	}
}
