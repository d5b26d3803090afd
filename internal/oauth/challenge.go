package oauth

import "strings"

// BearerChallenge is a WWW-Authenticate challenge for the Bearer scheme
// (RFC 6750 §3) with the resource_metadata parameter of RFC 9728 §5.1,
// or, with Scheme "DPoP", for the DPoP scheme, whose algs parameter lists
// the proof algorithms accepted (RFC 9449 §7.1).
type BearerChallenge struct {
	// Scheme is "Bearer" when empty.
	Scheme           string
	Error            string
	ErrorDescription string
	Scope            []string
	ResourceMetadata string
	Algs             []string
}

// String renders the challenge. Values are quoted strings; characters that
// cannot appear in a quoted-string are escaped or dropped (RFC 9110 §5.6.4).
func (c BearerChallenge) String() string {
	var b strings.Builder
	if c.Scheme == "" {
		b.WriteString("Bearer")
	} else {
		b.WriteString(c.Scheme)
	}
	sep := " "
	param := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(quote(value))
		b.WriteString(`"`)
		sep = ", "
	}
	param("error", c.Error)
	param("error_description", c.ErrorDescription)
	param("scope", FormatScope(c.Scope))
	param("resource_metadata", c.ResourceMetadata)
	param("algs", strings.Join(c.Algs, " "))
	return b.String()
}

func quote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t' || (c >= 0x20 && c != 0x7f):
			b.WriteByte(c)
		}
	}
	return b.String()
}
