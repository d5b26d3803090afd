package aadsts

import (
	"regexp"
	"strings"
)

// Explanation is what one code means and what to change.
type Explanation struct {
	Code    string `json:"code"`
	Meaning string `json:"meaning"`
	Fix     string `json:"fix"`
}

var codeRe = regexp.MustCompile(`\bAADSTS(\d{5,9})\b`)

// Find returns the explanation of the first AADSTS code in text, and false
// when text holds none, or one the table does not know (then Code is set
// and Fix points to Microsoft's lookup page).
func Find(text string) (Explanation, bool) {
	m := codeRe.FindStringSubmatch(text)
	if m == nil {
		return Explanation{}, false
	}
	code := "AADSTS" + m[1]
	if e, ok := table[code]; ok {
		e.Code = code
		return e, true
	}
	return Explanation{Code: code, Fix: "Look the code up at https://login.microsoftonline.com/error?code=" + m[1] +
		" and in the tenant's sign-in logs (Entra admin center, Monitoring, Sign-in logs)."}, false
}

// Fix is the fix for the first AADSTS code in text, "" when there is none
// or it is unknown: for log lines.
func Fix(text string) string {
	if !strings.Contains(text, "AADSTS") {
		return ""
	}
	e, ok := Find(text)
	if !ok {
		return ""
	}
	return e.Code + ": " + e.Fix
}

// Codes lists the codes the table explains, for documentation tests.
func Codes() []string {
	out := make([]string, 0, len(table))
	for c := range table {
		out = append(out, c)
	}
	return out
}
