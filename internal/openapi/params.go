package openapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// mergedParams are the path item's parameters overridden by the
// operation's own with the same name and location (OpenAPI 3.1 §4.8.9).
func mergedParams(pathLevel, opLevel openapi3.Parameters) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	seen := map[string]bool{}
	for _, list := range []openapi3.Parameters{opLevel, pathLevel} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			p := ref.Value
			key := p.In + "\x00" + p.Name
			if !seen[key] {
				seen[key] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// callerHeaders are headers a caller can never set through a header
// parameter: the ones OpenAPI itself says are ignored as parameters
// (Accept, Content-Type, Authorization), the request's routing and
// framing, hop-by-hop headers (RFC 9110 §7.6.1) and cookies.
var callerHeaders = []string{"Accept", "Content-Type", "Authorization", "Host", "Cookie", "Content-Length",
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

func forbiddenHeader(name string) bool {
	c := http.CanonicalHeaderKey(name)
	return slices.Contains(callerHeaders, c) || strings.HasPrefix(c, "X-Drawbridge-")
}

// newParam reads a parameter. It returns nil for a parameter the tool
// leaves out (an optional cookie, a header the caller may never set), and
// a reason for one it cannot serve.
func newParam(p *openapi3.Parameter) (*param, string) {
	m, err := p.SerializationMethod()
	if err != nil {
		return nil, err.Error()
	}
	pr := &param{name: p.Name, in: p.In, style: m.Style, explode: m.Explode, required: p.Required || p.In == openapi3.ParameterInPath}
	switch p.In {
	case openapi3.ParameterInPath, openapi3.ParameterInHeader:
		if m.Style != openapi3.SerializationSimple {
			return nil, fmt.Sprintf("%s parameter %q has style %s (only simple is supported)", p.In, p.Name, m.Style)
		}
		if p.In == openapi3.ParameterInHeader && (forbiddenHeader(p.Name) || !validHeaderName(p.Name)) {
			return nil, ""
		}
	case openapi3.ParameterInQuery:
		switch m.Style {
		case openapi3.SerializationForm, openapi3.SerializationSpaceDelimited, openapi3.SerializationPipeDelimited, openapi3.SerializationDeepObject:
		default:
			return nil, fmt.Sprintf("query parameter %q has style %s", p.Name, m.Style)
		}
	case openapi3.ParameterInCookie:
		if p.Required {
			return nil, fmt.Sprintf("cookie parameter %q is required (cookie parameters are not supported)", p.Name)
		}
		return nil, ""
	default:
		return nil, fmt.Sprintf("parameter %q is in %q", p.Name, p.In)
	}
	if p.Name == "" {
		return nil, "a parameter has no name"
	}
	return pr, ""
}

// validHeaderName is RFC 9110 §5.6.2's token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}

// paramSchema is a parameter's schema with its description; a parameter
// described by content (not schema) takes its JSON media type's schema.
func paramSchema(c *converter, p *openapi3.Parameter) map[string]any {
	ref := p.Schema
	if ref == nil {
		if mt := jsonMediaType(p.Content); mt != nil {
			ref = mt.Schema
		}
	}
	s := c.schema(ref)
	if p.Description != "" {
		s["description"] = p.Description
	}
	if p.Deprecated {
		s["deprecated"] = true
	}
	return s
}

// checkTemplate makes sure every {name} in the path template has a path
// parameter, so that no call sends a literal brace.
func checkTemplate(path string, params []param) string {
	for _, name := range templateNames(path) {
		found := false
		for _, p := range params {
			found = found || (p.in == openapi3.ParameterInPath && p.name == name)
		}
		if !found {
			return fmt.Sprintf("path template variable {%s} has no path parameter", name)
		}
	}
	return ""
}

func templateNames(path string) []string {
	var names []string
	for rest := path; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return names
		}
		names = append(names, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
}
