package backendauth

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// StaticHeaders sends the same secret headers with every request: an API
// key, a Functions key, a fixed bearer token. Values come from the
// environment (${NAME} in the configuration) or from files, such as
// mounted secrets; they are never logged.
type StaticHeaders struct {
	h http.Header
}

var _ Credential = (*StaticHeaders)(nil)

// NewStaticHeaders reads the files now, so that a missing one stops the
// server at startup. A file's content is used without its trailing line
// break; a new value takes a restart.
func NewStaticHeaders(values, files map[string]string) (*StaticHeaders, error) {
	h := http.Header{}
	for name, v := range values {
		h.Set(name, v)
	}
	for name, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			// The path, not the content, goes into the error.
			return nil, fmt.Errorf("header %s: %w", name, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" || strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("header %s: file %s must hold one non-empty line", name, path)
		}
		h.Set(name, v)
	}
	return &StaticHeaders{h: h}, nil
}

// Headers returns a copy of the headers; the caller does not matter.
func (s *StaticHeaders) Headers(context.Context, *tokens.AccessClaims) (http.Header, error) {
	return s.h.Clone(), nil
}
