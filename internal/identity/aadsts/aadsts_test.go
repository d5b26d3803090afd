package aadsts

import (
	"os"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	tests := []struct {
		name, text, code string
		known            bool
		fix              string
	}{
		{"redirect mismatch, as Entra writes it", "AADSTS50011: The redirect URI 'https://gw.example/callback' specified in the request does not match", "AADSTS50011", true, "<public_url>/callback"},
		{"in a token error", `invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value`, "AADSTS7000215", true, "not its Secret ID"},
		{"resource parameter", "invalid_request: AADSTS901002: The 'resource' request parameter is not supported.", "AADSTS901002", true, "extra_auth_params"},
		{"assertion signature", "AADSTS700027: Client assertion contains an invalid signature.", "AADSTS700027", true, "Certificates"},
		{"first code wins", "AADSTS50076 then AADSTS53003", "AADSTS50076", true, "MFA"},
		{"unknown code", "AADSTS1234567: something new", "AADSTS1234567", false, "error?code=1234567"},
		{"no code", "access_denied: the user cancelled", "", false, ""},
		{"code inside a word is not a code", "XAADSTS50011", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := Find(tt.text)
			if ok != tt.known || e.Code != tt.code || !strings.Contains(e.Fix, tt.fix) {
				t.Errorf("Find = %+v, %v; want code %q known %v fix containing %q", e, ok, tt.code, tt.known, tt.fix)
			}
			if tt.known && e.Meaning == "" {
				t.Error("a known code has no meaning")
			}
		})
	}
}

func TestFixIsForLogs(t *testing.T) {
	if got := Fix("AADSTS50105: The signed in user is not assigned to a role"); !strings.HasPrefix(got, "AADSTS50105: In Enterprise applications") {
		t.Errorf("Fix = %q", got)
	}
	for _, s := range []string{"", "invalid_grant", "AADSTS1: short"} {
		if got := Fix(s); got != "" {
			t.Errorf("Fix(%q) = %q, want empty", s, got)
		}
	}
}

func TestTableIsComplete(t *testing.T) {
	for _, c := range []string{"AADSTS50011", "AADSTS700016", "AADSTS65001", "AADSTS50076", "AADSTS50079", "AADSTS7000218",
		"AADSTS700027", "AADSTS50148", "AADSTS90009", "AADSTS9002313", "AADSTS500011", "AADSTS53003", "AADSTS50105",
		"AADSTS901002", "AADSTS7000215"} {
		if e, ok := table[c]; !ok || e.Meaning == "" || e.Fix == "" {
			t.Errorf("%s: missing from the table or incomplete", c)
		}
	}
}

// TestDocumented: docs/entra.md shows every code of the table with its fix.
func TestDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/entra.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes() {
		if !strings.Contains(string(doc), "| `"+c+"` | "+table[c].Meaning+" | "+table[c].Fix+" |") {
			t.Errorf("docs/entra.md lacks the row of %s as in the table", c)
		}
	}
}
