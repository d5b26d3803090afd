package openapi

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
)

// FuzzNewRequest: whatever the arguments, a request goes to the base URL's
// scheme and host, under its path, and nothing panics.
func FuzzNewRequest(f *testing.F) {
	for _, s := range []string{`{"petId":"../x"}`, `{"petId":"%2e%2e"}`, `{"q":"a#b","tags":["x","y"]}`, `{"filter":{"a":"b"}}`, `{"X-Trace":"v"}`, `{"body":{"a":1}}`} {
		f.Add(s)
	}
	doc, err := Build(loadYAMLFuzz(), opfilter.Filter{})
	if err != nil {
		f.Fatal(err)
	}
	base, _ := url.Parse("https://api.example/v1")
	f.Fuzz(func(t *testing.T, args string) {
		for _, tool := range doc.Tools {
			a, err := tool.decodeArgs(json.RawMessage(args))
			if err != nil {
				continue
			}
			req, err := tool.newRequest(context.Background(), base, a)
			if err != nil {
				continue
			}
			if req.URL.Scheme != "https" || req.URL.Host != "api.example" || !strings.HasPrefix(req.URL.EscapedPath(), "/v1/") || req.URL.Fragment != "" {
				t.Fatalf("%s %s left the base URL", tool.Def.Name, req.URL)
			}
			for _, seg := range strings.Split(req.URL.EscapedPath(), "/")[1:] {
				if seg == "" || seg == "." || seg == ".." {
					t.Fatalf("%s: path %q has a dot or empty segment", tool.Def.Name, req.URL.EscapedPath())
				}
			}
		}
	})
}

func loadYAMLFuzz() *openapi3T {
	doc, err := newLoader().LoadFromData([]byte(`
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /pet/{petId}/photos/{n}:
    get:
      operationId: photo
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: n, in: path, required: true, explode: true, schema: {type: object}}
  /s:
    post:
      operationId: search
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: tags, in: query, explode: false, schema: {type: array}}
        - {name: filter, in: query, style: deepObject, schema: {type: object}}
        - {name: X-Trace, in: header, schema: {type: string}}
      requestBody: {content: {application/json: {schema: {type: object}}}}
`))
	if err != nil {
		panic(err)
	}
	return doc
}
