package authserver

import (
	"fmt"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// resourceRequired is the error for a request that names no resource when
// several MCP servers could be meant: invalid_target (RFC 8707 §2), whose
// description lists their resource URLs, so that whoever reads it (a
// person, in the client's error message) can set the client up with one.
// Resources that are never a default (the admin API, the console) are not
// MCP servers and are not listed. As many as fit in an error_description
// are listed, then how many more there are.
func (s *Server) resourceRequired() *oauth.Error {
	var urls []string
	for _, r := range s.opt.Resources {
		if !r.ExplicitOnly {
			urls = append(urls, descriptionURL(r.URL))
		}
	}
	var b strings.Builder
	b.WriteString("the resource parameter is required: this server protects several MCP servers; name one of:")
	for i, u := range urls {
		sep := ", "
		if i == 0 {
			sep = " "
		}
		rest := fmt.Sprintf(" and %d more", len(urls)-i)
		if b.Len()+len(sep)+len(u)+len(" and 9999 more") > oauth.MaxDescription {
			b.WriteString(rest)
			break
		}
		b.WriteString(sep + u)
	}
	return oauth.NewError(oauth.ErrInvalidTarget, b.String())
}

// descriptionURL writes a URL with only the characters an
// error_description may hold (RFC 6749 §5.2), percent-encoding the others,
// so that it stays the same URL.
func descriptionURL(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= 0x20 || c > 0x7e || c == '"' || c == '\\' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
