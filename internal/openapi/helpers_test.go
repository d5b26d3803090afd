package openapi

import (
	"context"
	"encoding/json"
	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func loadDoc(t *testing.T, path string) *openapi3.T {
	t.Helper()
	doc, err := Load(context.Background(), Source{Spec: path, MaxBytes: 10 << 20})
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return doc
}

func loadYAML(t *testing.T, src string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(src))
	if err != nil {
		t.Fatalf("LoadFromData: %v", err)
	}
	return doc
}

func petstore(t *testing.T) *Set {
	t.Helper()
	set, err := Build(loadDoc(t, "testdata/petstore3.yaml"), opfilter.Filter{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return set
}

func toolNamed(t *testing.T, set *Set, name string) *Tool {
	t.Helper()
	for _, tl := range set.Tools {
		if tl.Def.Name == name {
			return tl
		}
	}
	t.Fatalf("no tool %q", name)
	return nil
}

func names(set *Set) []string {
	var out []string
	for _, t := range set.Tools {
		out = append(out, t.Def.Name)
	}
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type openapi3T = openapi3.T

func newLoader() *openapi3.Loader { return openapi3.NewLoader() }
