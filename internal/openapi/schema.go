package openapi

import (
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// Bounds on a converted schema. A recursive schema (a tree node whose
// children are tree nodes) would otherwise inline forever, and a large
// document can reference the same big schema from everywhere.
const (
	// maxSchemaDepth is how deep a schema is inlined; below, any value.
	maxSchemaDepth = 12
	// maxSchemaNodes bounds the schemas inlined into one tool's schema.
	maxSchemaNodes = 5000
)

// converter turns OpenAPI schemas, their $refs already resolved by the
// loader, into self-contained JSON Schema (2020-12) objects for MCP's
// inputSchema and outputSchema. It keeps the validation keywords of JSON
// Schema, maps OpenAPI 3.0's nullable, example and boolean exclusive
// bounds to their JSON Schema forms, and drops what has no meaning to a
// client (xml, discriminator, externalDocs, $dynamicRef, if/then/else).
type converter struct {
	nodes int
	stack []*openapi3.Schema
}

func (c *converter) schema(ref *openapi3.SchemaRef) map[string]any {
	if ref == nil || ref.Value == nil {
		return map[string]any{}
	}
	s := ref.Value
	if s.Always != nil {
		if *s.Always {
			return map[string]any{}
		}
		return map[string]any{"not": map[string]any{}}
	}
	c.nodes++
	if len(c.stack) >= maxSchemaDepth || c.nodes > maxSchemaNodes || slices.Contains(c.stack, s) {
		// A recursion or a schema too deep to inline: accept any value
		// here; the API still validates what it receives.
		return map[string]any{"description": "(schema not expanded: recursive or too deep)"}
	}
	c.stack = append(c.stack, s)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	m := map[string]any{}
	annotate(m, s)
	numeric(m, s)
	c.structure(m, s)
	return m
}

// annotate copies the type and the keywords that describe a value.
func annotate(m map[string]any, s *openapi3.Schema) {
	if types := s.Type.Slice(); len(types) > 0 {
		if s.Nullable && !slices.Contains(types, "null") {
			types = append(slices.Clone(types), "null")
		}
		if len(types) == 1 {
			m["type"] = types[0]
		} else {
			m["type"] = types
		}
	}
	setNonEmpty(m, "title", s.Title)
	setNonEmpty(m, "description", s.Description)
	setNonEmpty(m, "format", s.Format)
	setNonEmpty(m, "pattern", s.Pattern)
	if len(s.Enum) > 0 {
		m["enum"] = s.Enum
	}
	setNonNil(m, "default", s.Default)
	setNonNil(m, "const", s.Const)
	switch {
	case len(s.Examples) > 0:
		m["examples"] = s.Examples
	case s.Example != nil:
		m["examples"] = []any{s.Example}
	}
	setTrue(m, "readOnly", s.ReadOnly)
	setTrue(m, "writeOnly", s.WriteOnly)
	setTrue(m, "deprecated", s.Deprecated)
	setTrue(m, "uniqueItems", s.UniqueItems)
	if len(s.Required) > 0 {
		m["required"] = s.Required
	}
}

// numeric copies the numeric, length and count bounds. OpenAPI 3.0's
// boolean exclusiveMinimum modifies minimum; 2020-12 has a number.
func numeric(m map[string]any, s *openapi3.Schema) {
	bound(m, "minimum", "exclusiveMinimum", s.Min, s.ExclusiveMin)
	bound(m, "maximum", "exclusiveMaximum", s.Max, s.ExclusiveMax)
	if s.MultipleOf != nil {
		m["multipleOf"] = *s.MultipleOf
	}
	setCount(m, "minLength", s.MinLength)
	setCountPtr(m, "maxLength", s.MaxLength)
	setCount(m, "minItems", s.MinItems)
	setCountPtr(m, "maxItems", s.MaxItems)
	setCount(m, "minProperties", s.MinProps)
	setCountPtr(m, "maxProperties", s.MaxProps)
}

func bound(m map[string]any, inclusive, exclusive string, v *float64, ex openapi3.ExclusiveBound) {
	switch {
	case ex.Value != nil:
		m[exclusive] = *ex.Value
		if v != nil {
			m[inclusive] = *v
		}
	case ex.Bool != nil && *ex.Bool && v != nil:
		m[exclusive] = *v
	case v != nil:
		m[inclusive] = *v
	}
}

// structure converts the subschemas.
func (c *converter) structure(m map[string]any, s *openapi3.Schema) {
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			props[name] = c.schema(p)
		}
		m["properties"] = props
	}
	if ap := s.AdditionalProperties; ap.Schema != nil {
		m["additionalProperties"] = c.schema(ap.Schema)
	} else if ap.Has != nil {
		m["additionalProperties"] = *ap.Has
	}
	if s.Items != nil {
		m["items"] = c.schema(s.Items)
	}
	c.list(m, "prefixItems", s.PrefixItems)
	c.list(m, "allOf", s.AllOf)
	c.list(m, "anyOf", s.AnyOf)
	c.list(m, "oneOf", s.OneOf)
	if s.Not != nil {
		m["not"] = c.schema(s.Not)
	}
}

func (c *converter) list(m map[string]any, key string, refs openapi3.SchemaRefs) {
	if len(refs) == 0 {
		return
	}
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = c.schema(r)
	}
	m[key] = out
}

func setNonEmpty(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func setNonNil(m map[string]any, k string, v any) {
	if v != nil {
		m[k] = v
	}
}

func setTrue(m map[string]any, k string, v bool) {
	if v {
		m[k] = true
	}
}

func setCount(m map[string]any, k string, v uint64) {
	if v > 0 {
		m[k] = v
	}
}

func setCountPtr(m map[string]any, k string, v *uint64) {
	if v != nil {
		m[k] = *v
	}
}

// isObject says whether a converted schema describes a JSON object, as
// MCP requires of an outputSchema.
func isObject(m map[string]any) bool {
	return m["type"] == "object"
}
