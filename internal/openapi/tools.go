package openapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tool is one operation as an MCP tool: the definition clients list, and
// what a call needs to build the HTTP request.
type Tool struct {
	Def *mcp.Tool
	op  operation
}

// operation is what a call needs from the document.
type operation struct {
	method string
	path   string // the path template, such as /pet/{petId}
	params []param
	body   *body
}

// param is one path, query or header parameter.
type param struct {
	name, in string
	style    string
	explode  bool
	required bool
}

// body is the JSON request body.
type body struct {
	contentType string
	required    bool
}

// bodyArgument is the argument that carries the JSON request body.
const bodyArgument = "body"

// Skipped is an operation left out because a call could not be built
// for it faithfully.
type Skipped struct {
	Method, Path, OperationID string
	Reason                    string
}

// Set is the tools made from one document.
type Set struct {
	Tools   []*Tool
	Skipped []Skipped
}

// methods in a fixed order, so that the same document always gives the
// same tools in the same order.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace}

// Build makes one tool per operation the filter takes. It reports every
// problem at once: two operations with the same tool name, filter entries
// that match nothing, and operations included by operationId that cannot
// be served.
func Build(doc *openapi3.T, f opfilter.Filter) (*Set, error) {
	set := &Set{}
	var refs []opfilter.Op
	var errs []error
	byName := map[string]string{}
	for _, p := range sortedPaths(doc) {
		item := doc.Paths.Value(p)
		for _, m := range methods {
			o := item.GetOperation(m)
			if o == nil {
				continue
			}
			ref := opfilter.Op{ID: o.OperationID, Path: p, Tags: o.Tags}
			refs = append(refs, ref)
			if !f.Wants(ref) {
				continue
			}
			t, reason := newTool(m, p, item, o)
			if reason != "" {
				set.Skipped = append(set.Skipped, Skipped{Method: m, Path: p, OperationID: o.OperationID, Reason: reason})
				if o.OperationID != "" && opfilter.AnyMatches(f.Include, opfilter.Op{ID: o.OperationID}) {
					errs = append(errs, fmt.Errorf("operation %s (%s %s) is included but cannot be served: %s", o.OperationID, m, p, reason))
				}
				continue
			}
			where := m + " " + p
			if prev, dup := byName[t.Def.Name]; dup {
				errs = append(errs, fmt.Errorf("tool name %q would name both %s and %s: exclude one of them", t.Def.Name, prev, where))
				continue
			}
			byName[t.Def.Name] = where
			set.Tools = append(set.Tools, t)
		}
	}
	errs = append(errs, f.Unmatched(refs))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

func sortedPaths(doc *openapi3.T) []string {
	if doc.Paths == nil {
		return nil
	}
	keys := doc.Paths.Keys()
	sort.Strings(keys)
	return keys
}

// newTool makes the tool for one operation, or says why it cannot.
func newTool(method, path string, item *openapi3.PathItem, o *openapi3.Operation) (*Tool, string) {
	op := operation{method: method, path: path}
	c := &converter{}
	input := map[string]any{}
	var required []string
	for _, p := range mergedParams(item.Parameters, o.Parameters) {
		pr, reason := newParam(p)
		if reason != "" {
			return nil, reason
		}
		if pr == nil {
			continue
		}
		if _, dup := input[pr.name]; dup || pr.name == bodyArgument {
			return nil, fmt.Sprintf("two parameters are both named %q", pr.name)
		}
		input[pr.name] = paramSchema(c, p)
		if pr.required {
			required = append(required, pr.name)
		}
		op.params = append(op.params, *pr)
	}
	if reason := checkTemplate(path, op.params); reason != "" {
		return nil, reason
	}
	b, schema, reason := requestBody(c, o.RequestBody)
	if reason != "" {
		return nil, reason
	}
	if b != nil {
		input[bodyArgument] = schema
		if b.required {
			required = append(required, bodyArgument)
		}
		op.body = b
	}
	def := &mcp.Tool{
		Name:        toolName(method, path, o.OperationID),
		Title:       o.Summary,
		Description: description(method, path, o),
		InputSchema: objectSchema(input, required),
		Annotations: annotations(method),
	}
	if out := outputSchema(&converter{}, o.Responses); out != nil {
		def.OutputSchema = out
	}
	return &Tool{Def: def, op: op}, ""
}

func objectSchema(props map[string]any, required []string) map[string]any {
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func description(method, path string, o *openapi3.Operation) string {
	parts := []string{}
	for _, s := range []string{o.Summary, o.Description} {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return method + " " + path
	}
	return strings.Join(parts, "\n\n")
}

// annotations are the hints HTTP's method semantics give (RFC 9110
// §9.2.1 safe methods, §9.2.2 idempotent methods).
func annotations(method string) *mcp.ToolAnnotations {
	a := &mcp.ToolAnnotations{}
	switch method {
	case http.MethodGet, http.MethodHead:
		a.ReadOnlyHint = true
	case http.MethodDelete:
		yes := true
		a.DestructiveHint = &yes
		a.IdempotentHint = true
	case http.MethodPut:
		a.IdempotentHint = true
	}
	return a
}
