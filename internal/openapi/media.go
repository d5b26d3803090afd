package openapi

import (
	"mime"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// isJSON says whether a media type is JSON: application/json or any
// structured-syntax +json type (RFC 6839 §3.1).
func isJSON(mediaType string) bool {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// jsonMediaType picks the JSON media type of a content map, preferring
// application/json, then the first +json type by name.
func jsonMediaType(c openapi3.Content) *openapi3.MediaType {
	if mt := c.Get("application/json"); mt != nil {
		return mt
	}
	name := jsonMediaTypeName(c)
	if name == "" {
		return nil
	}
	return c[name]
}

func jsonMediaTypeName(c openapi3.Content) string {
	if c["application/json"] != nil {
		return "application/json"
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if isJSON(k) {
			return k
		}
	}
	return ""
}

// requestBody reads the operation's JSON request body. An operation whose
// body has no JSON media type cannot be served.
func requestBody(c *converter, ref *openapi3.RequestBodyRef) (*body, map[string]any, string) {
	if ref == nil || ref.Value == nil || len(ref.Value.Content) == 0 {
		return nil, nil, ""
	}
	rb := ref.Value
	name := jsonMediaTypeName(rb.Content)
	if name == "" {
		if !rb.Required {
			return nil, nil, ""
		}
		return nil, nil, "the request body has no JSON media type"
	}
	s := c.schema(rb.Content[name].Schema)
	if rb.Description != "" {
		s["description"] = rb.Description
	}
	return &body{contentType: name, required: rb.Required}, s, ""
}

// successCodes are tried in this order for the output schema.
var successCodes = []string{"200", "201", "202", "203", "204", "206", "2XX"}

// outputSchema is the JSON success response's schema when it describes
// an object (MCP's outputSchema must be an object schema), else nil.
func outputSchema(c *converter, responses *openapi3.Responses) map[string]any {
	if responses == nil {
		return nil
	}
	for _, code := range successCodes {
		r := responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		mt := jsonMediaType(r.Value.Content)
		if mt == nil {
			return nil
		}
		s := c.schema(mt.Schema)
		if !isObject(s) {
			return nil
		}
		return s
	}
	return nil
}
