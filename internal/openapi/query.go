package openapi

import (
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// query serialises the query parameters in their styles (OpenAPI "Style
// Values"). Every name and value is percent-encoded, so a value can add
// no parameter and no fragment.
func (t *Tool) query(args map[string]any) (string, error) {
	var pairs []string
	for _, p := range t.op.params {
		v, ok := args[p.name]
		if p.in != openapi3.ParameterInQuery || !ok || v == nil {
			continue
		}
		ps, err := queryPairs(p, v)
		if err != nil {
			return "", err
		}
		pairs = append(pairs, ps...)
	}
	return strings.Join(pairs, "&"), nil
}

func queryPairs(p param, v any) ([]string, error) {
	name := queryEscape(p.name)
	switch x := v.(type) {
	case []any:
		values, err := scalars(p.name, x)
		if err != nil {
			return nil, err
		}
		return arrayPairs(p, name, values), nil
	case map[string]any:
		return objectPairs(p, name, x)
	}
	if p.style == openapi3.SerializationDeepObject {
		return nil, argError("%q must be an object", p.name)
	}
	s, err := scalar(p.name, v)
	if err != nil {
		return nil, err
	}
	return []string{name + "=" + queryEscape(s)}, nil
}

func arrayPairs(p param, name string, values []string) []string {
	if p.explode && p.style == openapi3.SerializationForm {
		out := make([]string, len(values))
		for i, s := range values {
			out[i] = name + "=" + queryEscape(s)
		}
		return out
	}
	sep := ","
	switch p.style {
	case openapi3.SerializationSpaceDelimited:
		sep = "%20"
	case openapi3.SerializationPipeDelimited:
		sep = "%7C"
	}
	for i, s := range values {
		values[i] = queryEscape(s)
	}
	return []string{name + "=" + strings.Join(values, sep)}
}

func objectPairs(p param, name string, obj map[string]any) ([]string, error) {
	var out, flat []string
	for _, k := range sortedKeys(obj) {
		s, err := scalar(p.name, obj[k])
		if err != nil {
			return nil, err
		}
		switch {
		case p.style == openapi3.SerializationDeepObject:
			out = append(out, name+"%5B"+queryEscape(k)+"%5D="+queryEscape(s))
		case p.explode:
			out = append(out, queryEscape(k)+"="+queryEscape(s))
		default:
			flat = append(flat, queryEscape(k), queryEscape(s))
		}
	}
	if p.style != openapi3.SerializationForm && p.style != openapi3.SerializationDeepObject {
		return nil, argError("%q: objects are not supported in style %s", p.name, p.style)
	}
	if flat != nil {
		out = append(out, name+"="+strings.Join(flat, ","))
	}
	return out, nil
}

// queryEscape encodes a query component, spaces as %20.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
